/**
 * Benchmarks of verified quantities of an activation without closed forms (tanh): every
 * Gaussian expectation is a quadrature (double-double, float64 for a first pass at few digits).
 * Each value also reports the CPU time of the run (on a shared machine the wall time mostly
 * measures the other processes); the reference is the NumPy float64 route a user would take
 * (bench/reference/quadact_reference.py).
 */
import { kernel, response, optimalAlphaAnalysis } from '../api';
import { network } from '../model/network';
import { ntkAnalysis } from '../quantities/ntk';

interface QuadActBench {
  name: string;
  description: string;
  target: number;
  run(): string;
  reference: { implementation: string; script: string; args: string[] };
}

function withCpu(f: () => string): string {
  const t = process.cpuUsage();
  const v = f();
  const u = process.cpuUsage(t);
  return `${v} (cpu ${((u.user + u.system) / 1e6).toFixed(2)} s)`;
}

const NUMPY = 'NumPy float64, rotated product trapezoid (801 x 201 nodes) per layer, unverified';

export function quadActBenches(): QuadActBench[] {
  const deep = { act: 'tanh', depth: 300, c0: '0.999' };
  return [
    {
      name: 'kernel-tanh-16digits-depth300-c0.999',
      description: '`fieldprop kernel --act tanh --depth 300 --c0 0.999`: 16 verified digits of every layer (two passes, quadratures to 19 and 22 digits in double-double); value c^300',
      target: 15,
      run: () => withCpu(() => kernel(deep, { digits: 16 }).c[300]),
      reference: { implementation: NUMPY, script: 'quadact_reference.py', args: ['kernel300'] },
    },
    {
      name: 'response-tanh-16digits-depth300-c0.999',
      description: '`fieldprop response --act tanh --depth 300 --c0 0.999`: chi, chi12 and dc^L/dc^0 to 16 verified digits; value dc^300/dc^0 (reference: central difference)',
      target: 15,
      run: () => withCpu(() => response(deep, { digits: 16 }).sensitivity),
      reference: { implementation: `${NUMPY}; central difference in c0`, script: 'quadact_reference.py', args: ['response300'] },
    },
    {
      name: 'optimal-alpha-tanh-6digits-depth100-c0.99',
      description: '`fieldprop optimal-alpha --act tanh --depth 100 --c0 0.99 --digits 6`: float64 scan and polish, then two verified passes; value alpha*',
      target: 20,
      run: () => withCpu(() => String(optimalAlphaAnalysis({ act: 'tanh', depth: 100, c0: '0.99' }, { digits: 6 }).alpha)),
      reference: { implementation: `${NUMPY}; scan + golden section on the central difference`, script: 'quadact_reference.py', args: ['optimal100'] },
    },
    {
      name: 'ntk-tanh-6digits-depth1000',
      description: '`fieldprop ntk --act tanh --depth 1000 --digits 6`: NTK of every layer and its large-depth limits, 6 verified digits; value Theta^1000_12 / Theta^1000_11',
      target: 10,
      run: () => withCpu(() => String(ntkAnalysis(network({ act: 'tanh', depth: 1000 }), { digits: 6 }).ratio[1000])),
      reference: { implementation: NUMPY, script: 'quadact_reference.py', args: ['ntk1000'] },
    },
  ];
}
