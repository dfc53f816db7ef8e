/**
 * memoDecimal (src/numeric/memo.ts): cached Decimal elementary functions must return exactly what
 * the function returns, per precision, rounding mode and constructor.
 */
import Decimal from 'decimal.js';
import { memoDecimal } from '../src/numeric/memo';
import { activation } from '../src/model/activation';

describe('memoDecimal', () => {
  test('same values as the function; computed once per (precision, rounding, argument)', () => {
    let calls = 0;
    const f = memoDecimal((x) => {
      calls++;
      return x.tanh();
    });
    const D30 = Decimal.clone({ precision: 30 });
    const D50 = Decimal.clone({ precision: 50 });
    const x30 = new D30('0.7312');
    const x50 = new D50('0.7312');
    expect(f(x30).eq(x30.tanh())).toBe(true);
    expect(f(new D30('0.7312')).eq(x30.tanh())).toBe(true);
    expect(calls).toBe(1);
    // another precision: its own value (more digits), not the cached one
    const v50 = f(x50);
    expect(calls).toBe(2);
    expect(v50.eq(x50.tanh())).toBe(true);
    expect(v50.sd()).toBeGreaterThan(40);
    expect(v50.constructor).toBe(D50);
    // a precision change of the same constructor is a new entry
    D30.set({ precision: 20 });
    expect(f(new D30('0.7312')).eq(new D30('0.7312').tanh())).toBe(true);
    expect(calls).toBe(3);
    D30.set({ precision: 30 });
  });

  test('the cache is bounded', () => {
    let calls = 0;
    const f = memoDecimal((x) => {
      calls++;
      return x.exp();
    }, 4);
    const D = Decimal.clone({ precision: 20 });
    for (let i = 0; i < 10; i++) f(new D(i));
    expect(calls).toBe(10);
    f(new D(9));
    expect(calls).toBe(10);
  });

  test('the memoised activations and elementary functions give the unmemoised values', () => {
    const D = Decimal.clone({ precision: 40 });
    const tanh = activation('tanh');
    const erf = activation('erf');
    for (const s of ['-3.25', '0', '1e-12', '0.5', '7']) {
      const x = new D(s);
      expect(tanh.dec(x).eq(x.tanh())).toBe(true);
      expect(tanh.dec(x).eq(tanh.dec(new D(s)))).toBe(true);
      expect(erf.dec(x).eq(erf.dec(new D(s)))).toBe(true);
    }
  });
});
