/**
 * phase --net: the description gives the activation (sw2-sb2) or the residual network (alpha-sw2),
 * the scanned grids replace its sw2, sb2 (or alpha, sw2); the same digits as the flags; other
 * forms and replaced flags are refused in one line, exit 2.
 */
import { run, jsonFiles } from './cliRun';

const { file } = jsonFiles('fieldprop-phasenet-');

const ff = (phi: string) => ({ inputs: { q0: 1, c0: 0.6 }, layers: [{ repeat: 7, layers: [{ act: phi }, { dense: { sw2: 9, sb2: 3 } }] }] });
const res = (scaling: string) => ({
  inputs: { q0: 1, c0: 0.9 },
  layers: [{ repeat: 30, layers: [{ residual: { alpha: 5, scaling, branch: [{ act: 'erf' }, { dense: { sw2: 9, sb2: 0.02 } }] } }] }],
});

describe('phase --net', () => {
  test('sw2-sb2: the activation from repeat(L, [act, dense]) (its sw2, sb2 scanned), JSON and text as the flags', async () => {
    const grid = ['--sw2', '0.5:3:6', '--sb2', '0:0.4:3', '--levels', '2,10', '--critical-points', '3'];
    for (const json of [['--json'], []]) {
      const a = await run(['phase', '--net', file(ff('erf')), ...grid, ...json]);
      const b = await run(['phase', '--act', 'erf', ...grid, ...json]);
      expect(a.code).toBe(0);
      expect(a.out).toBe(b.out);
    }
    const c = await run(['phase', '--net', file(ff('relu')), ...grid, '--json']);
    expect(c.out).not.toBe((await run(['phase', '--act', 'erf', ...grid, '--json'])).out);
    expect(c.out).toBe((await run(['phase', '--act', 'relu', ...grid, '--json'])).out);
  });

  test('alpha-sw2: act, sb2, depth, q0, c0 and scaling from the residual description (its alpha, sw2 scanned)', async () => {
    const grid = ['--plane', 'alpha-sw2', '--sw2', '1:2:3', '--alpha', '0.1:2:8'];
    for (const scaling of ['amplitude', 'variance']) {
      const a = await run(['phase', '--net', file(res(scaling)), ...grid, '--json']);
      const b = await run(['phase', ...grid, '--act', 'erf', '--sb2', '0.02', '--depth', '30', '--q0', '1', '--c0', '0.9', '--scaling', scaling, '--json']);
      expect(a.code).toBe(0);
      expect(a.out).toBe(b.out);
    }
  });

  test('other forms and replaced flags: one line, exit 2', async () => {
    for (const [argv, re] of [
      [['--net', file(res('amplitude'))], /layers\[0\]\.repeat\.layers\[0\] \(residual\): phase --plane sw2-sb2 covers a repeated feed-forward block/],
      [['--plane', 'alpha-sw2', '--net', file(ff('erf'))], /--net: the alpha-sw2 plane scans the residual scale alpha: this network has no residual blocks/],
      [['--plane', 'alpha-sw2', '--net', file({ ...res('amplitude'), layers: [{ repeat: 3, layers: [{ conv: { kernelSize: 3, sw2: 1 } }] }] })], /\(conv\): phase --plane alpha-sw2 does not cover this layer/],
      [['--net', file(ff('erf')), '--act', 'tanh'], /--net: replaces --act/],
      [['--plane', 'alpha-sw2', '--net', file(res('amplitude')), '--depth', '10'], /--net: replaces --depth/],
    ] as [string[], RegExp][]) {
      const r = await run(['phase', ...argv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
