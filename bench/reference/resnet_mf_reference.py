#!/usr/bin/env python3
"""Reference for the `resnet-mf-relu-float64-depth1e6` benchmark (src/bench/run.ts): the mean-field
full residual ReLU network (Yang & Schoenholz) iterated over 10^6 layers in plain Python floats,
the same recursion as src/quantities/residualMF.ts iterate64 (the recursion is sequential, so NumPy
cannot vectorise it):

  q = sw2 p + sb2,  1 - c = sw2 d / q,  p += sv2 q/2 + sa2,  d += sv2 (q/2) (1 - f(c)),
  G += log1p(sv2 sw2 / 2),  f(cos t) = (sin t + (pi - t) cos t) / pi,
with p, d rescaled by 2^-332 whenever p > 1e100 (exact: the ReLU kernel is homogeneous of degree 1).

Usage: resnet_mf_reference.py relu1e6   prints one JSON line {"case", "seconds", "value"}.
Parameters: sv2 = 1, sw2 = 1, sa2 = 0.1, sb2 = 0.05, q0 = 1, c0 = 0.6.
"""
import json
import math
import sys
import time


def t_cos_minus_sin(t):
    if t > 0.1:
        return t * math.cos(t) - math.sin(t)
    s, p, q = 0.0, t, t
    for n in range(1, 12):
        p = p * t * t / ((2 * n) * (2 * n + 1))
        q = q * t * t / ((2 * n - 1) * (2 * n))
        s += (-1 if n % 2 else 1) * (q - p)
    return s


def run(depth, sv2, sw2, sa2, sb2, q0, c0):
    p, d, G, E = q0, q0 * (1 - c0), 0.0, 0
    sa2s, sb2s = sa2, sb2
    g = math.log1p(sv2 * sw2 / 2)
    for _ in range(depth):
        q = sw2 * p + sb2s
        omc = sw2 * d / q
        th = math.pi if omc >= 2 else 2 * math.asin(math.sqrt(omc / 2))
        one_minus_f = (2 * math.pi * math.sin(th / 2) ** 2 + t_cos_minus_sin(th)) / math.pi
        G += g
        p = p + sv2 * q / 2 + sa2s
        d = d + sv2 * (q / 2) * one_minus_f
        if p > 1e100:
            E += 332
            p *= 2.0 ** -332
            d *= 2.0 ** -332
            sa2s = sa2 * 2.0 ** -E
            sb2s = sb2 * 2.0 ** -E
    return math.log(p) + E * math.log(2), d / p, G


def main():
    case = sys.argv[1]
    t = time.perf_counter()
    if case != 'relu1e6':
        raise SystemExit(f'unknown case {case}')
    lnp, ome, G = run(1_000_000, 1.0, 1.0, 0.1, 0.05, 1.0, 0.6)
    value = f'ln p = {lnp:.12g}, 1 - e = {ome:.12g}, G = {G:.12g}'
    print(json.dumps({'case': case, 'seconds': time.perf_counter() - t, 'value': value}))


if __name__ == '__main__':
    main()
