#!/usr/bin/env python3
"""Reference implementations for `npm run bench` (timed in the same benchmark run).

Usage: kernel_reference.py CASE   prints one JSON line {"case", "seconds", "value"}.
Cases:
  erf40      40-digit erf ResNet kernel, depth 50 (mpmath, closed form, dps 50)
  tanh20     20-digit tanh ResNet kernel, first 2 of the 10 layers (mpmath nested quad, dps 30;
             a full depth-10 run takes many minutes)
  erf64      float64 erf ResNet kernel, depth 10000 (plain Python floats)
Same network as the engine's defaults: alpha 0.3, sw2 1.5, sb2 0.05, q0 1, c0 0.6 (tanh: alpha
0.7, sw2 2, sb2 0, c0 0.5).
"""
import json
import math
import sys
import time

import mpmath as mp


def erf_kernel(depth, alpha, sw2, sb2, q0, c0, F):
    q, k = q0, q0 * c0
    a = alpha * alpha
    for _ in range(depth):
        C11 = sb2 + sw2 * (2 / F.pi) * F.asin(2 * q / (1 + 2 * q))
        C12 = sb2 + sw2 * (2 / F.pi) * F.asin(2 * k / (1 + 2 * q))
        q, k = q + a * C11, k + a * C12
    return q, k / q


def tanh_kernel(depth, alpha, sw2, sb2, q0, c0):
    q, k = q0, q0 * c0
    a = alpha * alpha
    for _ in range(depth):
        rho = k / q
        s = mp.sqrt(q)
        s2 = mp.sqrt(q * (1 - rho * rho))
        phi = lambda x: mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)
        C11 = sb2 + sw2 * mp.quad(lambda x: phi(x) * mp.tanh(s * x) ** 2, [-mp.inf, mp.inf])
        inner = lambda x: mp.quad(lambda y: phi(y) * mp.tanh(rho * s * x + s2 * y), [-mp.inf, mp.inf])
        C12 = sb2 + sw2 * mp.quad(lambda x: phi(x) * mp.tanh(s * x) * inner(x), [-mp.inf, mp.inf])
        q, k = q + a * C11, k + a * C12
    return q, k / q


class F64:
    pi = math.pi
    asin = staticmethod(math.asin)


def main():
    case = sys.argv[1]
    t = time.perf_counter()
    if case == 'erf40':
        mp.mp.dps = 50
        q, c = erf_kernel(50, mp.mpf('0.3'), mp.mpf('1.5'), mp.mpf('0.05'), mp.mpf(1), mp.mpf('0.6'), mp)
        value = mp.nstr(c, 40)
    elif case == 'tanh20':
        mp.mp.dps = 30
        q, c = tanh_kernel(2, mp.mpf('0.7'), mp.mpf(2), mp.mpf(0), mp.mpf(1), mp.mpf('0.5'))
        value = mp.nstr(c, 20)
    elif case == 'erf64':
        q, c = erf_kernel(10000, 0.3, 1.5, 0.05, 1.0, 0.6, F64)
        value = repr(c)
    else:
        raise SystemExit(f'unknown case {case}')
    print(json.dumps({'case': case, 'seconds': time.perf_counter() - t, 'value': value}))


if __name__ == '__main__':
    main()
