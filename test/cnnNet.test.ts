/**
 * cnn-simulate --net and cnn-jacobian --net: a CNN described as repeat(L, [act, conv]) prints
 * what the flags print (timings aside); the conv's weights choose Gaussian taps or the
 * delta-orthogonal kernel; other forms and replaced flags are refused in one line, exit 2.
 */
import { run, jsonFiles } from './cliRun';

const { file } = jsonFiles('fieldprop-cnnnet-');

const cnnNet = (conv: Record<string, unknown>, L = 4, order: 'act,conv' | 'conv,act' = 'act,conv') => ({
  inputs: { q0: 1, c0: 0 },
  layers: [{ repeat: L, layers: order === 'act,conv' ? [{ act: 'tanh' }, { conv }] : [{ conv }, { act: 'tanh' }] }],
});

/** The JSON output without its wall-clock times. */
function digits(out: string): unknown {
  const j = JSON.parse(out);
  for (const r of j.runs) delete r.seconds;
  return j;
}

const SMALL = ['--image', '6', '--width', '4', '--networks', '3', '--json'];

describe('cnn-simulate --net', () => {
  test('Gaussian taps, uniform profile, zero padding: the same digits as the flags', async () => {
    const a = await run(['cnn-simulate', '--net', file(cnnNet({ kernelSize: 3, dims: 1, profile: 'uniform', padding: 'zero', sw2: 1.7, sb2: 0.05 })), ...SMALL]);
    const b = await run(['cnn-simulate', '--act', 'tanh', '--sw2', '1.7', '--sb2', '0.05', '--dims', '1', '--kernel-size', '3', '--profile', 'uniform', '--padding', 'zero', '--depth', '4', ...SMALL]);
    expect(a.code).toBe(0);
    expect(digits(a.out)).toEqual(digits(b.out));
    expect((digits(a.out) as { runs: unknown[] }).runs).toHaveLength(1);
  });
  test('the delta profile: Gaussian centre tap (the list 0,0,0,0,1,0,0,0,0), or the delta-orthogonal kernel', async () => {
    const g = await run(['cnn-simulate', '--net', file(cnnNet({ kernelSize: 3, dims: 2, profile: 'delta', sw2: 1.5 }, 3, 'conv,act')), ...SMALL]);
    const gf = await run(['cnn-simulate', '--sw2', '1.5', '--sb2', '0', '--dims', '2', '--profile', '0,0,0,0,1,0,0,0,0', '--depth', '3', ...SMALL]);
    expect(g.code).toBe(0);
    expect(digits(g.out)).toEqual(digits(gf.out));
    const o = await run(['cnn-simulate', '--net', file(cnnNet({ kernelSize: 3, dims: 2, profile: 'delta', weights: 'orthogonal', sw2: 1.5 }, 3)), ...SMALL]);
    const of = await run(['cnn-simulate', '--sw2', '1.5', '--sb2', '0', '--dims', '2', '--init', 'delta-orthogonal', '--depth', '3', ...SMALL]);
    expect(o.code).toBe(0);
    expect(digits(o.out)).toEqual(digits(of.out));
    expect(digits(o.out)).not.toEqual(digits(g.out));
  });
});

describe('cnn-jacobian --net', () => {
  test('the same digits as the flags, text and JSON; the delta-orthogonal kernel is an isometry at sw2 = 1', async () => {
    const net = file({ inputs: { q0: 1, c0: 0 }, layers: [{ repeat: 3, layers: [{ act: 'linear' }, { conv: { kernelSize: 3, profile: 'delta', weights: 'orthogonal', sw2: 1 } }] }] });
    const flags = ['--act', 'linear', '--sw2', '1', '--sb2', '0', '--dims', '1', '--kernel-size', '3', '--init', 'delta-orthogonal', '--depth', '3'];
    const a = await run(['cnn-jacobian', '--net', net, ...SMALL]);
    const b = await run(['cnn-jacobian', ...flags, ...SMALL]);
    expect(a.code).toBe(0);
    expect(digits(a.out)).toEqual(digits(b.out));
    const j = JSON.parse(a.out);
    expect(j.runs[0].init).toBe('delta-orthogonal');
    expect(j.runs[0].quantiles.every((q: { sigma: string }) => Math.abs(Number(q.sigma) - 1) < 1e-12)).toBe(true);
    const text = (s: string) => s.replace(/, [\d.]+ s\n/g, '\n');
    const at = await run(['cnn-jacobian', '--net', net, ...SMALL.slice(0, -1)]);
    const bt = await run(['cnn-jacobian', ...flags, ...SMALL.slice(0, -1)]);
    expect(at.code).toBe(0);
    expect(text(at.out)).toBe(text(bt.out));
  });
  test('other forms, orthogonal weights without the delta profile, and replaced flags: one line, exit 2', async () => {
    const dense = file({ inputs: { q0: 1, c0: 0 }, layers: [{ repeat: 4, layers: [{ act: 'tanh' }, { dense: { sw2: 1.5 } }] }] });
    for (const [argv, re] of [
      [['cnn-jacobian', '--net', dense], /layers\[0\]\.repeat\.layers\[1\] \(dense\): cnn-jacobian covers repeat\(L, \[act\(phi\), conv/],
      [['cnn-simulate', '--net', dense], /layers\[0\]\.repeat\.layers\[1\] \(dense\): cnn-simulate covers repeat\(L, \[act\(phi\), conv/],
      [['cnn-simulate', '--net', file(cnnNet({ kernelSize: 3, profile: 'uniform', weights: 'orthogonal', sw2: 1 }))], /conv\.weights: "orthogonal" needs the profile "delta"/],
      [['cnn-jacobian', '--net', file(cnnNet({ kernelSize: 3, sw2: 1 })), '--init', 'gaussian'], /--net: replaces --init/],
      [['cnn-simulate', '--net', file(cnnNet({ kernelSize: 3, sw2: 1 })), '--depth', '5'], /--net: replaces --depth/],
    ] as [string[], RegExp][]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
