/** The verification harness itself: it must accept truths and catch small lies. */
import Decimal from 'decimal.js';
import {
  parse, verifyIdentity, verifyDerivative, assertIdentity, assertDerivative, assertVerified, VerificationError,
  numericalTaylorCoefficients, compileDecimal,
} from '../src/symbolic';
import { numericalDerivative } from '../src/symbolic/verify';

describe('verifyIdentity', () => {
  test('accepts true identities, reproducibly', () => {
    const a = verifyIdentity(parse('sin(x)^2'), parse('(1 - cos(2*x))/2'), { domain: { x: [-3, 3] } });
    expect(a.ok).toBe(true);
    expect(a.checked).toBe(12);
    expect(a.maxRelErr).toBeLessThan(1e-35);
    const b = verifyIdentity(parse('sin(x)^2'), parse('(1 - cos(2*x))/2'), { domain: { x: [-3, 3] } });
    expect(b.maxRelErr).toBe(a.maxRelErr);
    expect(b.worst).toEqual(a.worst);
  });
  test('catches an error in the 20th digit', () => {
    const r = verifyIdentity(parse('pi*x'), parse('3.14159265358979323846*x'), { domain: { x: [1, 2] } });
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeGreaterThan(1e-22);
    expect(r.maxRelErr).toBeLessThan(1e-20);
    expect(r.reason).toMatch(/relative error/);
  });
  test('measures cancellation against the scale of the terms', () => {
    // cosh^2 - sinh^2 - 1 is 0 up to rounding: relative to the terms (~cosh^2) that is tiny
    const lhs = parse('cosh(x)^2 - sinh(x)^2 - 1');
    expect(verifyIdentity(lhs, parse('0'), { domain: { x: [1, 3] } }).ok).toBe(true);
    // but a 1e-30 discrepancy is still seen
    expect(verifyIdentity(lhs, parse('10^(-30)'), { domain: { x: [1, 3] } }).ok).toBe(false);
  });
  test('domains: both sides undefined is skipped, one side undefined fails', () => {
    const r = verifyIdentity(parse('sqrt(x)*sqrt(x+1)'), parse('sqrt(x*(x+1))'), { domain: { x: [-0.5, 1] }, points: 12 });
    expect(r.ok).toBe(true);
    expect(r.skipped).toBeGreaterThan(0);
    expect(r.checked).toBeGreaterThan(0);
    const s = verifyIdentity(parse('sqrt(x)*sqrt(x-1)'), parse('sqrt(x*(x-1))'), { domain: { x: [-2, 2] }, points: 12 });
    expect(s.ok).toBe(false); // x < 0: the product is undefined, the joint root is not
    expect(s.maxRelErr).toBe(Infinity);
    const t = verifyIdentity(parse('log(x)'), parse('2*log(sqrt(x))'), { domain: { x: [-2, -1] }, points: 3 });
    expect(t.ok).toBe(false);
    expect(t.reason).toMatch(/no point of the domain could be evaluated/);
  });
  test('missing domain is an error', () => {
    expect(() => verifyIdentity(parse('x+y'), parse('y+x'), { domain: { x: [0, 1] } })).toThrow(/no domain given for symbol 'y'/);
  });
});

describe('verifyDerivative (independent numerical derivative)', () => {
  test('accepts correct derivatives, rejects slightly wrong ones', () => {
    const f = parse('x*erf(x/sqrt(2))');
    const good = parse('erf(x/sqrt(2)) + x*sqrt(2/pi)*exp(-x^2/2)');
    const bad = parse('erf(x/sqrt(2)) + x*sqrt(2/3.14159265358979)*exp(-x^2/2)');
    expect(verifyDerivative(f, 'x', good, { domain: { x: [-3, 3] }, points: 4 }).ok).toBe(true);
    const r = verifyDerivative(f, 'x', bad, { domain: { x: [-3, 3] }, points: 4 });
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeLessThan(1e-12);
  });
  test('numerical derivative reaches ~2x precision, also near a kink', () => {
    const D = Decimal.clone({ precision: 90 });
    const f = compileDecimal(parse('x/(1+abs(x))'), ['x']);
    const ev = (DD: typeof Decimal, p: Record<string, Decimal>) => f(new DD(p.x));
    const at = new D('0.001');
    const r = numericalDerivative(ev, 'x', { x: at }, D, 40);
    const exact = new D(1).div(new D('1.001').pow(2));
    expect(r.value.minus(exact).abs().toNumber()).toBeLessThan(1e-60);
  });
  test('assert variants throw with a clear message', () => {
    expect(() => assertDerivative(parse('x^3'), 'x', parse('3*x^2 + 1e-25'), { domain: { x: [1, 2] }, points: 3 })).toThrow(VerificationError);
    expect(() => assertDerivative(parse('x^3'), 'x', parse('3*x^2 + 1e-25'), { domain: { x: [1, 2] }, points: 3 })).toThrow(
      /verification failed: d\/dx x\^3 = 1\/10000000000000000000000000 \+ 3\*x\^2: relative error/,
    );
    expect(() => assertIdentity(parse('(x+1)^2'), parse('x^2+2*x+1'), { domain: { x: [-5, 5] } })).not.toThrow();
    expect(() => assertIdentity(parse('(x+1)^2'), parse('x^2+2*x'), { domain: { x: [-5, 5] } }, 'square')).toThrow(/square/);
    expect(() => assertVerified({ ok: false, maxRelErr: 1, checked: 1, skipped: 0, reason: 'because' }, 'thing')).toThrow(
      'verification failed: thing: because',
    );
  });
});

describe('numericalTaylorCoefficients', () => {
  test('exp and 1/(1-x) to many digits', () => {
    const D = Decimal.clone({ precision: 60 });
    const cs = numericalTaylorCoefficients(parse('exp(x)'), 'x', 5, 0);
    const fact = [1, 1, 2, 6, 24, 120];
    cs.forEach((c, k) => expect(new D(c).minus(new D(1).div(fact[k])).abs().toNumber()).toBeLessThan(1e-30));
    const gs = numericalTaylorCoefficients(parse('1/(1-x)'), 'x', 4, '0.5');
    gs.forEach((c, k) => expect(new D(c).minus(new D(2).pow(k + 1)).abs().toNumber()).toBeLessThan(1e-25));
  });
});
