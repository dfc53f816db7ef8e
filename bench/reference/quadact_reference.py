#!/usr/bin/env python3
"""NumPy float64 references for the tanh (quadrature-activation) benchmarks of `npm run bench`:
the route a user would otherwise take, a float64 recursion with a product trapezoid rule.

Usage: quadact_reference.py CASE   prints one JSON line {"case", "seconds", "value"}.
Cases (defaults of the engine: alpha 0.3, sw2 1.5, sb2 0.05, q0 1, residual, amplitude scaling):
  kernel300    c^300 of `kernel --act tanh --depth 300 --c0 0.999`
  response300  dc^300/dc^0 of the same network (central difference in c0, step 1e-5)
  optimal100   alpha maximising dc^100/dc^0 at c0 = 0.99 (scan + golden section on the central
               difference), the float64 analogue of `optimal-alpha --depth 100 --c0 0.99`
  ntk1000      normalised NTK Theta^1000_12 / sqrt(Theta_11 Theta_22), c0 = 0.6
E[f(u) g(v)] uses the rotated variables u = sqrt(q)(a z1 + b z2), v = sqrt(q)(a z1 - b z2),
a = sqrt((1+rho)/2), b = sqrt((1-rho)/2), z1, z2 standard normal, each on a trapezoid grid
(z in [-10, 10], 801 and 201 points): spectrally accurate for these analytic integrands.
"""
import json
import sys
import time

import numpy as np

Z1 = np.linspace(-10, 10, 801)
Z2 = np.linspace(-10, 10, 201)
W1 = np.exp(-Z1 ** 2 / 2) * (Z1[1] - Z1[0]) / np.sqrt(2 * np.pi)
W2 = np.exp(-Z2 ** 2 / 2) * (Z2[1] - Z2[0]) / np.sqrt(2 * np.pi)


def dtanh(x):
    return 1 - np.tanh(x) ** 2


def pair(f, q, rho):
    a = np.sqrt((1 + rho) / 2)
    b = np.sqrt(max(0.0, (1 - rho) / 2))
    s = np.sqrt(q)
    u = s * (a * Z1[:, None] + b * Z2[None, :])
    v = s * (a * Z1[:, None] - b * Z2[None, :])
    return W1 @ (f(u) * f(v)) @ W2


def square(f, q):
    return W1 @ (f(np.sqrt(q) * Z1) ** 2)


def kernel(depth, c0, alpha=0.3, sw2=1.5, sb2=0.05, q0=1.0, ntk=False):
    a = alpha * alpha
    q, k = q0, q0 * c0
    t11, t12 = q, k
    for _ in range(depth):
        rho = k / q
        C11 = sb2 + sw2 * square(np.tanh, q)
        C12 = sb2 + sw2 * pair(np.tanh, q, rho)
        if ntk:
            g11 = square(dtanh, q)
            g12 = pair(dtanh, q, rho)
            t11 = (1 + a * sw2 * g11) * t11 + a * C11
            t12 = (1 + a * sw2 * g12) * t12 + a * C12
        q, k = q + a * C11, k + a * C12
    return q, k, t11, t12


def sensitivity(depth, c0, alpha, h=1e-5):
    cp = kernel(depth, c0 + h, alpha)
    cm = kernel(depth, c0 - h, alpha)
    return (cp[1] / cp[0] - cm[1] / cm[0]) / (2 * h)


def optimal(depth, c0):
    alphas = np.linspace(0.05, 2.0, 40)
    s = [sensitivity(depth, c0, x) for x in alphas]
    i = int(np.argmax(s))
    lo, hi = alphas[max(0, i - 1)], alphas[min(len(alphas) - 1, i + 1)]
    g = (np.sqrt(5) - 1) / 2
    while hi - lo > 1e-7:
        x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
        if sensitivity(depth, c0, x1) > sensitivity(depth, c0, x2):
            hi = x2
        else:
            lo = x1
    return (lo + hi) / 2


def main():
    case = sys.argv[1]
    t = time.perf_counter()
    if case == 'kernel300':
        q, k, _, _ = kernel(300, 0.999)
        value = '%.16g' % (k / q)
    elif case == 'response300':
        value = '%.10g' % sensitivity(300, 0.999, 0.3)
    elif case == 'optimal100':
        value = '%.7g' % optimal(100, 0.99)
    elif case == 'ntk1000':
        _, _, t11, t12 = kernel(1000, 0.6, ntk=True)
        value = '%.10g' % (t12 / t11)
    else:
        raise SystemExit('unknown case ' + case)
    print(json.dumps({'case': case, 'seconds': time.perf_counter() - t, 'value': value}))


if __name__ == '__main__':
    main()
