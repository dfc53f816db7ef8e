/** The public one-loop table: the algorithm chosen per network, the _12 arrays eager or lazy. */
import { Network } from '../../model/network';
import { NumericalError } from '../../model/errors';
import { OneLoopTable, OneLoopInfo, OneLoopOptions, params, kindOf } from './common';
import { feedForward1, residual1Pairwise, quadraturePair, polarPair, reluPair, linearPair } from './oneInput';
import { residual1ByGrid } from './oneInputGrid';
import { Table12 } from './twoInputGrid';
import { twoInput } from './twoInput';

// =======================================================================================
// Public entry

export function oneLoop64(net: Network, opts: OneLoopOptions = {}): OneLoopTable {
  const P = params(net);
  const method = opts.method ?? 'auto';
  let t: OneLoopTable;
  if (!P.residual) {
    t = feedForward1(P);
    t.info = { method: 'feed-forward' };
  } else if (method === 'pairwise') {
    t = P.act.homogeneousDegree === 1
      ? residual1Pairwise(P, polarPair(P.act, P.sw2), 'pairwise-polar')
      : residual1Pairwise(P, quadraturePair(P.act, P.sw2), 'pairwise-quadrature');
  } else if (method === 'auto' && kindOf(P.act) === 'relu') {
    t = residual1Pairwise(P, reluPair(P.sw2), 'closed-form');
  } else if (method === 'auto' && kindOf(P.act) === 'linear') {
    t = residual1Pairwise(P, linearPair(P.sw2), 'closed-form');
  } else {
    t = residual1ByGrid(P, opts);
  }
  const attach = (r: { t: Table12; info: Partial<OneLoopInfo> }) => {
    t.info = { ...(t.info as OneLoopInfo), ...r.info };
    return r.t;
  };
  if (opts.twoInputs) {
    const r = attach(twoInput(net, P, opts));
    t.k1_12 = r.k1;
    t.c1_12 = r.c1;
    t.varC_12 = r.varC;
    t.varK_12 = r.varK;
    t.chat1 = r.chat1;
  } else {
    // computed on first access (non-enumerable: spreading or serialising the one-input table
    // does not trigger the two-input computation)
    // A two-input computation that is not possible (NumericalError: e.g. a kernel too close to
    // c = 1) leaves the _12 arrays undefined (reason in info.note12) instead of throwing from a
    // property read.
    let cached: Table12 | null | undefined;
    const get = (): Table12 | null => {
      if (cached === undefined) {
        try {
          cached = attach(twoInput(net, P, opts));
        } catch (e) {
          if (!(e instanceof NumericalError)) throw e;
          cached = null;
          t.info = { ...(t.info as OneLoopInfo), note12: e.message };
        }
      }
      return cached;
    };
    for (const [key, field] of [
      ['k1_12', 'k1'],
      ['c1_12', 'c1'],
      ['varC_12', 'varC'],
      ['varK_12', 'varK'],
      ['chat1', 'chat1'],
    ] as const) {
      Object.defineProperty(t, key, {
        configurable: true,
        enumerable: false,
        get: () => get()?.[field],
        set: (v) => Object.defineProperty(t, key, { value: v, writable: true, enumerable: true, configurable: true }),
      });
    }
  }
  return t;
}
