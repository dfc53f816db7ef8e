/**
 * relu's one-loop table at large depth: the closed-form pairs (arc-cosine-type formulas) against
 * an angular Gauss-Legendre rule of the defining four-point expectations, and `loop` at depth 1000
 * (checked by that second route at a cost near the algorithm's own).
 */
import { main } from '../src/cli/main';
import { network } from '../src/model/network';
import { activation } from '../src/model/activation';
import { oneLoop64 } from '../src/quantities/loop';
import { polarPair, reluPair, linearPair } from '../src/quantities/loop/oneInput';
import { maxRelDiff } from './tables';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('relu and linear: angular Gauss-Legendre pairs = closed forms', () => {
  test('V and dV/dD at K1 <= K2 over six decades of K2/K1', () => {
    for (const [name, closed] of [['relu', reluPair], ['linear', linearPair]] as const) {
      const sw2 = 1.7;
      const polar = polarPair(activation(name), sw2);
      const ref = closed(sw2);
      for (const K1 of [0.3, 1, 7]) {
        for (const r of [1, 1 + 1e-9, 1.001, 1.5, 3, 10, 1e3, 1e6]) {
          const K2 = K1 * r;
          const a = polar(K1, K2);
          const b = ref(K1, K2);
          expect(Math.abs(a.V - b.V)).toBeLessThan(2e-14 * sw2 * sw2 * K1 * K2);
          expect(Math.abs(a.dV - b.dV)).toBeLessThan(2e-14 * sw2 * sw2 * K1);
        }
      }
    }
  });
});

describe('loop --act relu at depth 1000', () => {
  const NET = { act: 'relu', alpha: '0.3', sw2: '1.6', sb2: '0.1', q0: '1', depth: 1000 };
  test('the pairwise route (angular rule) reproduces the closed-form table', () => {
    const net = network(NET);
    const c = oneLoop64(net);
    const q = oneLoop64(net, { method: 'pairwise' });
    expect(c.info?.method).toBe('closed-form');
    expect(q.info?.method).toBe('pairwise-polar');
    for (const k of ['k1', 'c1', 'varC', 'varK'] as const) expect(maxRelDiff(q[k], c[k])).toBeLessThan(1e-11);
  });

  test('the command finishes in seconds with the digits both routes agree on', async () => {
    const t0 = Date.now();
    const r = await run(['loop', '--act', 'relu', '--alpha', '0.3', '--sw2', '1.6', '--sb2', '0.1', '--q0', '1', '--depth', '1000', '--json']);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.method).toBe('closed-form');
    expect(j.k1).toHaveLength(1001);
    // the digits both routes agree on: at least 10 at the last layer, equal to the API's table
    const sig = (x: string) => x.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length;
    const api = oneLoop64(network(NET));
    for (const k of ['k1', 'c1', 'varC', 'varK'] as const) {
      expect(sig(j[k][1000])).toBeGreaterThanOrEqual(10);
      expect(Math.abs(Number(j[k][1000]) / (api[k][1000] as number) - 1)).toBeLessThan(1e-9);
    }
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
