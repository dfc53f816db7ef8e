/**
 * `npm run bench`: speed targets, each measured next to a reference implementation run by the
 * same script (Python/mpmath or NumPy, when python3 is available; the engine does not depend on
 * it). Results go to bench/results/latest.json and bench/results/latest.md.
 *
 *   node dist/bench/run.js [--only name,name] [--out DIR]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { kernel, kernel64, optimalAlphaAnalysis } from '../api';
import { network } from '../model/network';
import { oneLoop64 } from '../quantities/loop';
import { loopBenches } from './loop';
import { iterate64, residualSpec } from '../quantities/residualMF';
import { cnnBenches } from './cnn';
import { gaussianBenches } from './gaussian';
import { startupBenches } from './startup';
import { twoInputBenches } from './twoInput';
import { deepLoopBenches } from './deepLoop';
import { netKernel, netOptimalAlpha } from '../netApi';
import { net, repeat, residual, dense, act, describeStandard } from '../model/net';
import { elementaryBenches } from './elementary';
import { quadActBenches } from './quadAct';

export interface BenchResult {
  name: string;
  description: string;
  target_seconds: number;
  seconds: number;
  pass: boolean;
  value?: string;
  reference?: { implementation: string; seconds?: number; value?: string; error?: string };
}

interface Bench {
  name: string;
  description: string;
  target: number;
  run(): string;
  reference?: { implementation: string; script: string; args: string[] };
  /** A relative target (e.g. "at least as fast as the reference"): decides pass instead of `target` seconds. */
  judge?: (value: string, reference: BenchResult['reference']) => boolean;
}

const ROOT = path.join(__dirname, '..', '..');
const REF = path.join(ROOT, 'bench', 'reference');

export const BENCHES: Bench[] = [
  {
    name: 'kernel-erf-40digits-depth50',
    description: '40-digit verified erf ResNet kernel, depth 50 (two passes at 50 and 58 working digits)',
    target: 2,
    run: () => kernel({ act: 'erf', depth: 50 }, { digits: 40 }).c[50],
    reference: { implementation: 'mpmath closed form, dps 50, one pass', script: 'kernel_reference.py', args: ['erf40'] },
  },
  {
    name: 'kernel-tanh-20digits-depth10',
    description: '20-digit verified tanh ResNet kernel, depth 10 (2D quadrature per layer, two passes)',
    target: 20,
    run: () => kernel({ act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', c0: '0.5', depth: 10 }, { digits: 20 }).c[10],
    reference: { implementation: 'mpmath nested tanh-sinh quad, dps 30, one pass, only 2 of the 10 layers', script: 'kernel_reference.py', args: ['tanh20'] },
  },
  {
    name: 'kernel-erf-float64-depth10000',
    description: 'float64 erf ResNet kernel, depth 10,000',
    target: 1,
    run: () => String(kernel64({ act: 'erf', depth: 10000 }).c[10000]),
    reference: { implementation: 'plain Python floats', script: 'kernel_reference.py', args: ['erf64'] },
  },
  {
    name: 'kernel-net-erf-40digits-depth50',
    description: 'the same 40-digit erf ResNet kernel through its layer description (kernel --net: the mean field over any description)',
    target: 2,
    run: () => netKernel(describeStandard(network({ act: 'erf', depth: 50 })), { digits: 40 }).c12![50],
  },
  {
    name: 'optimal-alpha-net-post-erf-20digits-depth100',
    description: 'optimal shared alpha of the post-activation erf ResNet x + alpha erf(W x) (sw2 1, sb2 0, q0 1, c0 0.99), depth 100, 20 verified digits (optimal-alpha --net: nested dual numbers)',
    target: 30,
    run: () => netOptimalAlpha(net({ inputs: { q0: 1, c0: '0.99' }, layers: [repeat(100, residual(1, dense(1, 0), act('erf')))] }), { digits: 20 }).alpha as string,
  },
  // Monte Carlo simulators: throughput next to NumPy running the same algorithm. The
  // measurements run in a child process (dist/simulate/bench.js) since they use worker threads.
  ...simulatorBenches(),
  // CNN covariance propagation: FFT against dense route, and 10,000 layers at 32x32.
  ...cnnBenches(),
  // float64 Gaussian expectations per call, next to a NumPy Gauss–Hermite rule
  ...gaussianBenches(),
  {
    name: 'optimal-alpha-erf-20digits-depth1000',
    description: 'optimal residual scaling alpha* of an erf ResNet (sw2 1, sb2 0, q0 1, c0 0.99), depth 1000, 20 verified digits (float64 scan, then Decimal secant passes at 28 and 34 digits with exact dual-number slopes)',
    target: 30,
    run: () => optimalAlphaAnalysis({ act: 'erf', sw2: '1', sb2: '0', depth: 1000, q0: '1', c0: '0.99' }, { digits: 20 }).alpha as string,
    reference: { implementation: 'mpmath dps 30, findroot of the numerical derivative, one pass', script: 'optimal_reference.py', args: ['erf1000'] },
  },
  {
    name: 'one-loop-erf-float64-depth1000',
    description: 'one-input one-loop (1/N) tables k1, c1, varC, varK, c1_curvature of the default erf ResNet, depth 1000, float64 (heat-flow grid, O(L n log n))',
    target: 10,
    run: () => String(oneLoop64(network({ act: 'erf', depth: 1000 })).c1[1000]),
    reference: { implementation: 'NumPy, the same heat-flow algorithm', script: 'loop_reference.py', args: ['erf1000'] },
  },
  // relu's one-loop table at depth 1000: the command next to the algorithm alone
  ...loopBenches(),
  // the staged two-input grid (the finite-width example at depth 100, c0 0.99)
  ...twoInputBenches(),
  // the two-input one-loop tables at depth 1000 (relu, erf, tanh) as fresh processes
  ...deepLoopBenches(),
  // CLI start-up against a bare node start
  ...startupBenches(),
  // arbitrary-precision elementary functions and the verified closed-form route, against mpmath
  ...elementaryBenches(),
  // activations without closed forms (tanh): verified kernel, response, optimal alpha and NTK
  ...quadActBenches(),
  {
    name: 'resnet-mf-relu-float64-depth1e6',
    description: 'mean-field full residual ReLU network (Yang & Schoenholz): length, cosine distance and gradient recursions over 10^6 layers, float64',
    target: 5,
    run: () => {
      const s = iterate64(residualSpec({ act: 'relu', arch: 'full', sv2: '1', sw2: '1', sa2: '0.1', sb2: '0.05', q0: '1', c0: '0.6', depth: 1_000_000 }), { perDecade: 1 });
      const i = s.layer.length - 1;
      return `ln p = ${s.logP[i].toPrecision(12)}, 1 - e = ${s.oneMinusE[i].toPrecision(12)}, G = ${(s.G[i] as number).toPrecision(12)}`;
    },
    reference: { implementation: 'plain Python floats, the same recursion (sequential: NumPy cannot vectorise it)', script: 'resnet_mf_reference.py', args: ['relu1e6'] },
  },
];

/** Run `dist/simulate/bench.js ARGS` and return its measurement. */
function simMeasure(args: string[]): { rate: number; value: string; case: string } {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'simulate', 'bench.js'), ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`simulate/bench.js ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

/** Leading number of "123.4M unit" (in millions). */
function rateOf(value: string | undefined): number {
  const m = /^([\d.]+)M/.exec(value ?? '');
  return m ? Number(m[1]) : NaN;
}

function simulatorBenches(): Bench[] {
  const ratio = (ours: string, ref: BenchResult['reference']) => rateOf(ours) / rateOf(ref?.value);
  const describeRatio = (m: { value: string; case: string }) => `${m.value} (${m.case})`;
  return [
    {
      name: 'simulate-fast-neuron-layers',
      description: 'fast exact sampler, tanh ResNet, N = 512, depth 20, 2000 networks, P = 2, both cores; target: at least as fast as NumPy (batched einsum + Cholesky)',
      target: 600,
      run: () => describeRatio(simMeasure(['fast', '512', '20', '2000', '2'])),
      reference: { implementation: 'NumPy, the same algorithm vectorised over networks (best of 1 and 2 BLAS threads)', script: 'simulate_reference.py', args: ['fast', '512', '20', '2000', '2'] },
      judge: (v, ref) => ratio(v, ref) >= 1,
    },
    {
      name: 'simulate-full-multiply-adds',
      description: 'full network (explicit N x N Gaussian weights, generated and multiplied), tanh ResNet, N = 256, depth 10, 64 networks, P = 2, both cores; target: within 3x of NumPy (standard_normal + BLAS W @ phi)',
      target: 600,
      run: () => describeRatio(simMeasure(['full', '256', '10', '64', '2'])),
      reference: { implementation: 'NumPy: W = standard_normal((N,N)) * sw, h += alpha (W @ tanh(h) + b) (best of 1 and 2 BLAS threads)', script: 'simulate_reference.py', args: ['full', '256', '10', '64', '2'] },
      judge: (v, ref) => ratio(v, ref) >= 1 / 3,
    },
    {
      name: 'simulate-full-part-normals',
      description: "the full network's real cost: generating its Gaussian weights (ziggurat on xoshiro128**), one core; target: at least half NumPy's rate",
      target: 600,
      run: () => describeRatio(simMeasure(['normals', '20000000'])),
      reference: { implementation: 'NumPy Generator.standard_normal (PCG64 + ziggurat)', script: 'simulate_reference.py', args: ['normals', '20000000'] },
      judge: (v, ref) => ratio(v, ref) >= 0.5,
    },
    {
      name: 'simulate-full-part-matmul',
      description: "the full network's other part: a stored N x N W times P = 2 columns (N = 512), one core, scalar JS; about 10% of the simulator's time. Target: within 10x of OpenBLAS (SIMD), see docs/validate.md",
      target: 600,
      run: () => describeRatio(simMeasure(['matmul', '512', '2', '200'])),
      reference: { implementation: 'NumPy W @ X (OpenBLAS, best of 1 and 2 threads)', script: 'simulate_reference.py', args: ['matmul', '512', '2', '200'] },
      judge: (v, ref) => ratio(v, ref) >= 0.1,
    },
  ];
}

function runReference(ref: NonNullable<Bench['reference']>): BenchResult['reference'] {
  const r = spawnSync('python3', [path.join(REF, ref.script), ...ref.args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return { implementation: ref.implementation, error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { seconds: number; value: string };
  return { implementation: ref.implementation, seconds: j.seconds, value: j.value };
}

export function runBenches(only?: string[]): BenchResult[] {
  const results: BenchResult[] = [];
  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    process.stderr.write(`bench ${b.name} ...\n`);
    const t0 = process.hrtime.bigint();
    const value = b.run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const res: BenchResult = { name: b.name, description: b.description, target_seconds: b.target, seconds, pass: seconds < b.target, value };
    if (b.reference) res.reference = runReference(b.reference);
    if (b.judge) res.pass = b.judge(value, res.reference);
    results.push(res);
  }
  return results;
}

function markdown(results: BenchResult[]): string {
  const lines = [
    `# Benchmark results (${new Date().toISOString()}, node ${process.version})`,
    '',
    '| benchmark | fieldprop (s) | target (s) | pass | reference | reference (s) |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const ref = r.reference;
    lines.push(`| ${r.name} | ${r.seconds.toFixed(3)} | ${r.target_seconds} | ${r.pass ? 'yes' : 'NO'} | ${ref?.implementation ?? '-'} | ${ref?.seconds !== undefined ? ref.seconds.toFixed(3) : ref?.error ?? '-'} |`);
  }
  // Throughput benchmarks (relative targets): the measured rates side by side.
  const rates = results.filter((r) => r.name.startsWith('simulate-'));
  if (rates.length) {
    lines.push('', '| throughput | fieldprop | reference | ratio | pass |', '|---|---|---|---|---|');
    for (const r of rates) {
      const ratio = rateOf(r.value) / rateOf(r.reference?.value);
      lines.push(`| ${r.name} | ${r.value ?? '-'} | ${r.reference?.value ?? r.reference?.error ?? '-'} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : '-'} | ${r.pass ? 'yes' : 'NO'} |`);
    }
  }
  const perCall = results.filter((r) => r.name.startsWith('gaussian-'));
  if (perCall.length) {
    lines.push('', '| per call | fieldprop | reference | pass |', '|---|---|---|---|');
    for (const r of perCall) lines.push(`| ${r.name} | ${r.value ?? '-'} | ${r.reference?.value ?? r.reference?.error ?? '-'} | ${r.pass ? 'yes' : 'NO'} |`);
  }
  const startup = results.filter((r) => r.name.startsWith('cli-startup'));
  if (startup.length) {
    lines.push('', '| start-up | measured | pass |', '|---|---|---|');
    for (const r of startup) lines.push(`| ${r.name} | ${r.value ?? '-'} | ${r.pass ? 'yes' : 'NO'} |`);
  }
  // against mpmath in the same run (src/bench/elementary.ts): the measured values side by side
  const vsMpmath = results.filter((r) => r.name.startsWith('elementary-') || r.name.endsWith('-vs-mpmath'));
  if (vsMpmath.length) {
    lines.push('', '| against mpmath | fieldprop | mpmath | pass |', '|---|---|---|---|');
    for (const r of vsMpmath) {
      const ref = r.reference;
      const refTime = ref?.seconds !== undefined && !r.name.startsWith('elementary-') ? ` in ${ref.seconds.toPrecision(3)} s` : '';
      lines.push(`| ${r.name} | ${r.value ?? '-'} | ${ref?.value ?? ref?.error ?? '-'}${refTime} | ${r.pass ? 'yes' : 'NO'} |`);
    }
  }
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const onlyIdx = argv.indexOf('--only');
  const outIdx = argv.indexOf('--out');
  const only = onlyIdx >= 0 ? argv[onlyIdx + 1].split(',') : undefined;
  const outDir = outIdx >= 0 ? argv[outIdx + 1] : path.join(ROOT, 'bench', 'results');
  let results = runBenches(only);
  fs.mkdirSync(outDir, { recursive: true });
  if (only) {
    // a partial run keeps the other entries of the previous results (in BENCHES order)
    try {
      const prev = JSON.parse(fs.readFileSync(path.join(outDir, 'latest.json'), 'utf8')) as { results: BenchResult[] };
      const fresh = new Set(results.map((r) => r.name));
      const order = BENCHES.map((b) => b.name);
      results = prev.results.filter((r) => !fresh.has(r.name)).concat(results);
      results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    } catch {
      // no previous results: this run alone
    }
  }
  const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n';
  const md = markdown(results);
  // Write to temporary files first, then rename: never a half-written result file.
  fs.writeFileSync(path.join(outDir, 'latest.json.tmp'), json);
  fs.writeFileSync(path.join(outDir, 'latest.md.tmp'), md);
  fs.renameSync(path.join(outDir, 'latest.json.tmp'), path.join(outDir, 'latest.json'));
  fs.renameSync(path.join(outDir, 'latest.md.tmp'), path.join(outDir, 'latest.md'));
  process.stdout.write(md);
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}
