/** fieldprop loop: output shape, two inputs, corrected predictions, warnings, agreement with the API. */
import { main } from '../src/cli/main';
import { oneLoop64 } from '../src/quantities/loop';
import { network } from '../src/model/network';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('fieldprop loop', () => {
  test('--json: arrays of length depth+1, null where undefined, values equal to the API', async () => {
    const r = await run(['loop', '--act', 'tanh', '--alpha', '0.7', '--sw2', '2', '--sb2', '0', '--depth', '10', '--q0', '1', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['k1', 'c1', 'varC', 'varK', 'c1_curvature']) expect(j[k]).toHaveLength(11);
    expect(j.c1[0]).toBeNull();
    expect(j.varC[0]).toBeNull();
    expect(j.k1[0]).toBe('0');
    expect(j.varK[0]).toBe('2');
    expect(j.k1_12).toBeUndefined();
    const api = oneLoop64(network({ act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', depth: 10, q0: '1' }));
    for (let l = 1; l <= 10; l++) expect(Number(j.c1[l])).toBeCloseTo(api.c1[l] as number, 6);
    // the memory term dominates: curvature alone is an order of magnitude smaller here
    expect(Math.abs(Number(j.c1_curvature[6]))).toBeLessThan(0.2 * Math.abs(Number(j.c1[6])));
  });
  test('--c0 adds the off-diagonal arrays; --width adds q_N = K + k1/N and k12_N', async () => {
    const r = await run(['loop', '--act', 'relu', '--alpha', '0.5', '--sw2', '2', '--depth', '5', '--c0', '0.5', '--width', '64', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['k1_12', 'c1_12', 'varC_12', 'varK_12', 'q_N', 'k12_N']) expect(j[k]).toHaveLength(6);
    expect(j.c1_curvature.slice(1)).toEqual(['0', '0', '0', '0', '0']); // relu, one input: no curvature term
  });
  test('a width where the expansion is meaningless gets a warning', async () => {
    const r = await run(['loop', '--act', 'relu', '--alpha', '1', '--sw2', '2', '--depth', '20', '--width', '4', '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*not small/);
    expect(JSON.parse(r.out).warnings).toHaveLength(1);
    const one = await run(['loop', '--act', 'relu', '--depth', '3', '--width', '1', '--json']);
    expect(one.err).toMatch(/width 1 < 2/);
  });
  test('bad input: --width 0', async () => {
    const r = await run(['loop', '--width', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--width: /);
  });
});
