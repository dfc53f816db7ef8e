import { main } from '../src/cli/main';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelFromDocument, kernelSingularValues, KernelDocument } from '../src/simulate/cnn';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('cnn-orthogonal --out', () => {
  it('writes the kernel as JSON [k^d][C][C] that reads back to an orthogonal operator', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnk-'));
    const file = path.join(dir, 'k.json');
    const r = await run(['cnn-orthogonal', '--channels', '4', '--kernel-size', '3', '--dims', '2', '--image', '5', '--out', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).out).toBe(file);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as KernelDocument;
    expect(doc.format).toBe('fieldprop-cnn-kernel');
    expect(doc.offsets.length).toBe(9);
    expect(doc.offsets[4]).toEqual([0, 0]);
    expect(doc.weights.length).toBe(9);
    expect(doc.weights[0].length).toBe(4);
    expect(doc.weights[0][0].length).toBe(4);
    const K = kernelFromDocument(doc);
    expect(kernelSingularValues(K, 4, 3, [5, 5]).maxDeviation).toBeLessThan(1e-12);
    // a Gaussian kernel read back is not orthogonal (the check can fail)
    const g = path.join(dir, 'g.json');
    expect((await run(['cnn-orthogonal', '--channels', '4', '--kernel', 'gaussian', '--image', '5', '--out', g])).code).toBe(0);
    const G = kernelFromDocument(JSON.parse(fs.readFileSync(g, 'utf8')));
    expect(kernelSingularValues(G, 4, 3, [5, 5]).maxDeviation).toBeGreaterThan(0.1);
  });

  it('refuses a path in a missing directory before any work, with one line and exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnk-'));
    const file = path.join(dir, 'nope', 'k.json');
    const r = await run(['cnn-orthogonal', '--out', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out/);
    expect(r.err.trim().split('\n').length).toBe(1);
    expect(r.out).toBe('');
    const r2 = await run(['cnn-orthogonal', '--out', dir]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/is a directory/);
  });
});
