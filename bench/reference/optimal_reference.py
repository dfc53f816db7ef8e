#!/usr/bin/env python3
"""Reference for `npm run bench`: the optimal residual scaling of an erf ResNet at depth 1000.

Usage: optimal_reference.py erf1000   prints one JSON line {"case", "seconds", "value"}.
mpmath at dps 30: S(alpha) = dc^L/dc^0 from the closed-form erf kernel recursion (one pass, no
verification), dS/dalpha by mpmath's numerical differentiation, the root by mpmath.findroot from
the same float64 start the engine uses. Network: sw2 1, sb2 0, q0 1, c0 0.99, amplitude scaling.
"""
import json
import sys
import time

import mpmath as mp


def sensitivity(alpha, depth=1000, sw2=1, sb2=0, q0=1, c0='0.99'):
    a = alpha * alpha
    q, k = mp.mpf(q0), mp.mpf(q0) * mp.mpf(c0)  # c0 exact (a float 0.99 would shift alpha* at 1e-16)
    log_dk = mp.mpf(0)
    for _ in range(depth):
        d = 1 + 2 * q
        rho = 2 * k / d
        dC12 = sw2 * (2 / mp.pi) * (2 / d) / mp.sqrt(1 - rho * rho)
        log_dk += mp.log(1 + a * dC12)
        C11 = sb2 + sw2 * (2 / mp.pi) * mp.asin(2 * q / d)
        C12 = sb2 + sw2 * (2 / mp.pi) * mp.asin(rho)
        q, k = q + a * C11, k + a * C12
    # c^L = k^L / q^L with q^L independent of c0: dc^L/dc^0 = (q0 / q^L) dk^L/dk^0
    return q0 / q * mp.exp(log_dk)


def main():
    case = sys.argv[1]
    if case != 'erf1000':
        raise SystemExit(f'unknown case {case}')
    mp.mp.dps = 30
    t = time.time()
    alpha = mp.findroot(lambda x: mp.diff(sensitivity, x), mp.mpf('0.2775982343707'))
    value = mp.nstr(alpha, 20)
    print(json.dumps({'case': case, 'seconds': time.time() - t, 'value': value}))


if __name__ == '__main__':
    main()
