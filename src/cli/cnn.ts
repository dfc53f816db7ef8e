/**
 * CNN commands (the mean field of Xiao et al. 2018):
 *   fieldprop cnn             fixed point, Fourier-mode eigenvalues and depth scales, and optional
 *                             covariance propagation of a random image (FFT route, checked
 *                             against the dense route)
 *   fieldprop cnn-simulate    finite-width deep CNNs, Gaussian against delta-orthogonal, vs theory
 *   fieldprop cnn-orthogonal  random orthogonal convolution kernels: singular values from the FFT
 *   fieldprop cnn-jacobian    singular values of the input-output Jacobian of simulated deep CNNs
 */
import * as fs from 'fs';
import { Command, ACT, SW2, SB2, JSON_OPT, HELP, parse, table } from './options';
import { CSV_OPT } from './csv';
import { OptionSpec, ParsedArgs } from './args';
import { InputError } from '../model/errors';
import { intParam } from '../model/network';
import { cnnFixedPointVerified, lengthMapLinear, cnnAnalysis, cnnZeroPadAnalysis, cnnJacobianAnalysis, logLayers } from '../api';
import { cnnSpec, CnnSpec, CnnFixedPoint, CNN_INITS } from '../quantities/cnn';
import { CnnSampling, simulateCnn, randomOrthogonalKernel, deltaOrthogonalKernel, gaussianKernel, kernelSingularValues, kernelDocument, tapVariances } from '../simulate/cnn';
import { depthScalePlotSpec, signalPlotSpec, writeSvg, SignalRow } from '../simulate/cnnPlot';
import { MAX_SEED, Rng } from '../simulate/rng';
import { checkOutPath } from './shard';
import { writeFileAtomic } from '../io/files';
import { formatTrimmed as fmt } from '../io/format';
import { checkCost, UNIT_COST } from './cost';
import { NET_OPTION, cnnFromNet, checkNetFlags } from './netForm';
import { readNetworkFile } from '../model/net/json';

const GEOMETRY: OptionSpec[] = [
  { name: 'kernel-size', value: '<odd integer <= image>', help: 'kernel width k (k taps per axis, centred)', default: '3' },
  { name: 'dims', value: '<1|2>', help: 'spatial dimensions of the input', default: '2' },
];
const PLOT: OptionSpec = { name: 'plot', value: '<file.svg>', help: 'write an SVG plot (written atomically)' };
const PROFILE: OptionSpec = {
  name: 'profile',
  value: '<gaussian|delta-orthogonal|uniform|file.json|"w1,w2,..." (k^d weights >= 0 summing to 1)>',
  help: 'kernel variance profile v(beta) over the window, row-major over {-r..r}^d; replaces --init',
};

/** --profile as given: a name or list (text), or the parsed content of a .json file. */
function profileValue(opts: ParsedArgs): unknown {
  if (opts.profile === undefined) return undefined;
  const text = String(opts.profile);
  if (!/\.json$/i.test(text.trim())) return text;
  let content: string;
  try {
    content = fs.readFileSync(text.trim(), 'utf8');
  } catch {
    throw new InputError('profile', `cannot read the file "${text.trim()}"`);
  }
  try {
    return JSON.parse(content);
  } catch {
    throw new InputError('profile', `"${text.trim()}" is not JSON (expected an array of k^d weights)`);
  }
}

/** --init as a list of initialisations; a --profile replaces them by the one profile (a Gaussian kernel). */
function initsFrom(opts: ParsedArgs): string[] {
  const inits = String(opts.init).split(',').map((s) => s.trim());
  if (inits.some((i) => !CNN_INITS.includes(i as never))) throw new InputError('init', `must be a comma-separated list of ${CNN_INITS.join(', ')}, got "${opts.init}"`);
  return opts.profile !== undefined ? ['gaussian'] : inits;
}

function plotFile(opts: ParsedArgs): string | undefined {
  if (opts.plot === undefined) return undefined;
  const f = String(opts.plot);
  if (f.trim() === '') throw new InputError('plot', 'needs a file name');
  return f;
}

/** The flags `--net` replaces in the cnn commands (the file describes the layers; the image stays a flag). */
const CNN_NET_REPLACES = ['act', 'sw2', 'sb2', 'dims', 'kernel-size', 'init', 'profile', 'padding', 'depth'];

/** `--net FILE` of a cnn command: the spec on the given image and the depth L, refusing the flags it replaces. */
function specFromNet(opts: ParsedArgs, argv: string[], command: string, image: string): { spec: CnnSpec; depth: number } {
  checkNetFlags(argv, opts, CNN_NET_REPLACES, 'the layers');
  const c = cnnFromNet(readNetworkFile(String(opts.net)), command);
  const spec = cnnSpec({ act: c.act, sw2: c.sw2, sb2: c.sb2, dims: c.dims, image, kernelSize: c.kernelSize, profile: c.profile, padding: c.padding });
  return { spec, depth: c.depth };
}

function specFrom(opts: ParsedArgs, init = opts.init as string): CnnSpec {
  return cnnSpec({
    act: opts.act as string,
    sw2: opts.sw2 as string,
    sb2: opts.sb2 as string,
    dims: opts.dims as string,
    image: opts.image as string,
    kernelSize: opts['kernel-size'] as string,
    init,
    profile: profileValue(opts),
    padding: opts.padding as string | undefined,
  });
}

/** What cnn-simulate and cnn-jacobian both read: the image, the networks' specs (from --net or the flags) and the sampling options. */
interface CnnRunSetup extends CnnSampling {
  image: number;
  specs: CnnSpec[];
}

function cnnRunSetup(opts: ParsedArgs, argv: string[], command: string, max: { width: number; depth: number; networks: number }): CnnRunSetup {
  const image = intParam('image', opts.image as string, 1, 256);
  const fromNet = opts.net !== undefined ? specFromNet(opts, argv, command, String(image)) : undefined;
  const specs = fromNet ? [fromNet.spec] : initsFrom(opts).map((init) => specFrom({ ...opts, image: String(image) }, init));
  return {
    image,
    specs,
    width: intParam('width', opts.width as string, 1, max.width),
    depth: intParam('depth', fromNet ? String(fromNet.depth) : (opts.depth as string), 1, max.depth),
    networks: intParam('networks', opts.networks as string, 2, max.networks),
    seed: intParam('seed', opts.seed as string, 0, MAX_SEED),
    channels: intParam('channels', opts.channels as string, 1, 64),
    inputSeed: intParam('input-seed', opts['input-seed'] as string, 0, MAX_SEED),
  };
}

function describeSpec(s: CnnSpec): string {
  const img = s.dims === 1 ? `1D image of ${s.image}` : `2D image ${s.image}x${s.image}`;
  const ker = s.dims === 1 ? `${s.kernelSize}` : `${s.kernelSize}x${s.kernelSize}`;
  return `act = ${s.act.name}, sw2 = ${s.sw2}, sb2 = ${s.sb2}, ${img}, kernel ${ker}, ${s.padding} padding, ${s.init === 'custom' ? `profile ${Array.from(s.profile, (x) => fmt(x, 6)).join(',')}` : `init ${s.init}`}`;
}

/** `cnn --padding zero`: the boundary's fixed-point variance map, depth scales and a propagation. */
function zeroPadRun(
  spec: CnnSpec,
  fp: CnnFixedPoint,
  o: { depth: number; channels: number; inputSeed: number; digits: number; qText: string | null; json: boolean },
  io: { out: (s: string) => void },
): number {
  const d = o.digits;
  const { fixedPoint: z, landmarks: marks, xi_circular, propagation } = cnnZeroPadAnalysis(spec, fp, o);
  const xi = (x: number | null) => (x === null ? null : fmt(x, 6));
  if (o.json) {
    const out: Record<string, unknown> = {
      network: {
        act: spec.act.name, sw2: spec.sw2, sb2: spec.sb2, dims: spec.dims, image: spec.image, kernel_size: spec.kernelSize, init: spec.init, padding: 'zero',
        ...(spec.init === 'custom' ? { profile: Array.from(spec.profile) } : {}),
      },
      digits: d,
      circular: { q_star: o.qText, c_star: fmt(fp.c_star, d), chi_q: fmt(fp.chi_q, d), chi_c: fmt(fp.chi_c, d) },
      q_star_map: Array.from(z.q, (x) => fmt(x, 10)),
      q_star_at: Object.fromEntries(marks.map((m) => [m.name, fmt(m.q, 10)])),
      layers_q: z.layers_q,
      layers_sigma: z.layers_sigma,
      rho_q: z.rho_q === null ? null : fmt(z.rho_q, 8),
      xi_q: xi(z.xi_q),
      rho_c: z.rho_c === null ? null : fmt(z.rho_c, 8),
      xi_c: xi(z.xi_c),
    };
    if (propagation) {
      out.propagation = {
        input: { channels: o.channels, input_seed: o.inputSeed },
        layers: propagation.layers,
        mean_q: propagation.mean_q.map((x) => fmt(x, 10)),
        mean_c: propagation.mean_c.map((r) => r.map((x) => fmt(x, 10))),
        structure_q: propagation.structure_q.map((x) => fmt(x, 6)),
        structure_c: propagation.structure_c.map((r) => r.map((x) => fmt(x, 6))),
        q_at: Object.fromEntries(marks.map((m, i) => [m.name, propagation!.q_at[i].map((x) => fmt(x, 10))])),
      };
    }
    io.out(JSON.stringify(out) + '\n');
    return 0;
  }
  io.out(`CNN mean field: ${describeSpec(spec)}\n\n`);
  io.out(`Circular (fully connected) fixed point, ${d} digits: q* ${o.qText ?? 'any q > 0'}, c* ${fmt(fp.c_star, d)}, chi_q ${fmt(fp.chi_q, d)}, chi_c ${fmt(fp.chi_c, d)}\n\n`);
  io.out(`Zero padding: the fixed point is not translation invariant (full covariance over all ${z.q.length} positions).\n`);
  io.out(`Fixed-point variance map q*(alpha) (converged in ${z.layers_q} layers):\n`);
  io.out(table(['position', 'q*(alpha)', 'q*(alpha) / circular q*'], marks.map((m) => [m.name, fmt(m.q, 10), fmt(m.ratio, 6)]), 'q_star'));
  io.out(`\nDepth scales of the linearised map at the zero-padded fixed point (spectral radius rho of each block, xi = -1/ln rho):\n`);
  const rows = [
    ['variance block', z.rho_q === null ? '-' : fmt(z.rho_q, 8), xi(z.xi_q) ?? '-', fmt(fp.chi_q, 8), fmt(xi_circular.q, 6)],
    ['correlation block', z.rho_c === null ? '-' : fmt(z.rho_c, 8), xi(z.xi_c) ?? '-', fmt(fp.chi_c, 8), fmt(xi_circular.c, 6)],
  ];
  io.out(table(['block', 'rho (zero)', 'xi (zero)', 'rho (circular, f = 0)', 'xi (circular)'], rows, 'depth_scales'));
  if (z.rho_q === null || z.rho_c === null) {
    io.out(
      z.sigma === null
        ? '(-: the full covariance did not reach its fixed point within the work budget)\n'
        : '(-: a block has entries that are not positive, or its Perron root was not bracketed to 1e-10 within the work budget)\n',
    );
  }
  if (propagation) {
    io.out(`\nCovariance of a random ${o.channels}-channel image (input seed ${o.inputSeed}), full zero-padded covariance:\n`);
    const header = ['layer', 'mean q', ...propagation.mean_c.map((_, p) => `mean c(e${p})`), 'structure q', ...marks.map((m) => `q(${m.name})`)];
    const prow = propagation.layers.map((l, i) => [
      String(l),
      fmt(propagation!.mean_q[i], 10),
      ...propagation!.mean_c.map((r) => fmt(r[i], 10)),
      fmt(propagation!.structure_q[i], 4),
      ...propagation!.q_at.map((r) => fmt(r[i], 8)),
    ]);
    io.out(table(header, prow, 'propagation'));
    io.out('(means and structure over the positions whose partner alpha + delta lies inside the image)\n');
  }
  return 0;
}

const cnnCommand: Command = {
  name: 'cnn',
  summary: 'CNN mean field: fixed point, Fourier-mode eigenvalues and depth scales of the linearised covariance map, covariance propagation',
  options: [
    { ...ACT, default: 'tanh' },
    { ...SW2, default: '1.5', help: 'weight variance sigma_w^2 (W_ij(beta) ~ N(0, sw2 v(beta)/C))' },
    { ...SB2, default: '0.05' },
    ...GEOMETRY,
    { name: 'image', value: '<integer 1..4096 (1D), 1..1024 (2D)>', help: 'image side n (n or n x n positions, any n: non-powers of two use Bluestein FFTs)', default: '32' },
    { name: 'init', value: `<${CNN_INITS.join('|')}>`, help: 'kernel variance profile: uniform over the window, or all at the centre tap', default: 'gaussian' },
    PROFILE,
    { name: 'padding', value: '<circular|zero>', help: 'circular (indices wrap) or zero (zero activations outside the image; full covariance, at most 1024 positions)', default: 'circular' },
    { name: 'depth', value: '<integer 0..1000000>', help: 'propagate the covariance of a random input image through this many layers (0: none)', default: '0' },
    { ...NET_OPTION, help: 'the network as a layer description (docs/networks.md): repeat(L, [act, conv]) or repeat(L, [conv, act]); replaces the layer flags and --depth (L), not --image' },
    { name: 'channels', value: '<integer 1..64>', help: 'channels of the random input image (iid N(0,1) pixels)', default: '3' },
    { name: 'input-seed', value: '<integer 0..2^53-1>', help: 'seed of the random input image', default: '1' },
    { name: 'digits', value: '<6..15>', help: 'significant digits of the fixed point (verified by two Decimal runs) and of the printed rates', default: '12' },
    PLOT,
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(cnnCommand, argv, io);
    if (!opts) return 0;
    const fromNet = opts.net !== undefined ? specFromNet(opts, argv, 'cnn', opts.image as string) : undefined;
    const spec = fromNet ? fromNet.spec : specFrom(opts);
    const depth = fromNet ? intParam('depth', String(fromNet.depth), 0, 1_000_000) : intParam('depth', opts.depth as string, 0, 1_000_000);
    const channels = intParam('channels', opts.channels as string, 1, 64);
    const inputSeed = intParam('input-seed', opts['input-seed'] as string, 0, MAX_SEED);
    const digits = intParam('digits', opts.digits as string, 6, 15);
    const plot = plotFile(opts);
    checkCost('depth', `propagating the covariance over ${depth} layers on ${spec.shape.join('x')} positions`,
      UNIT_COST.cnnLayerPosition * depth * spec.shape.reduce((a, n) => a * n, 1), 'reduce --depth or --image');
    const fp = cnnFixedPointVerified(spec, digits);
    const anyQ = lengthMapLinear(spec, fp);
    const qText = anyQ ? null : fmt(fp.q_star, digits);
    if (spec.padding === 'zero') {
      if (plot) throw new InputError('plot', 'the depth-scale plot is per Fourier mode: not available with --padding zero');
      return zeroPadRun(spec, fp, { depth, channels, inputSeed, digits, qText, json: !!opts.json }, io);
    }
    const { modes, A, Aim, Aabs, complex, lc, lq, xic, xiq, propagation, denseCheck } = cnnAnalysis(spec, fp, { depth, channels, inputSeed });
    if (plot) {
      await writeSvg(
        depthScalePlotSpec({
          title: `fieldprop cnn: ${describeSpec(spec)}`,
          shape: spec.shape,
          frequencies: modes.frequencies,
          xi_c: xic,
          xi_q: xiq,
          A,
          propagation: propagation
            ? propagation.layers.flatMap((l, i) => [
                { layer: l, plane: 'variance plane q(alpha)', signal: propagation!.structure_q[i] },
                ...propagation!.structure_c.map((s, p) => ({ layer: l, plane: `plane delta = e${p}`, signal: s[i] })),
              ])
            : undefined,
        }),
        plot,
      );
    }

    const d = digits;
    if (opts.json) {
      const out: Record<string, unknown> = {
        network: {
          act: spec.act.name, sw2: spec.sw2, sb2: spec.sb2, dims: spec.dims, image: spec.image, kernel_size: spec.kernelSize, init: spec.init, padding: 'circular',
          ...(spec.init === 'custom' ? { profile: Array.from(spec.profile) } : {}),
        },
        digits: d,
        q_star: qText,
        c_star: fmt(fp.c_star, d),
        chi1: fmt(fp.chi1, d),
        chi_q: fmt(fp.chi_q, d),
        chi_c: fmt(fp.chi_c, d),
        frequencies: modes.frequencies,
        A: A.map((x) => fmt(x, d)),
        lambda_c: lc.map((x) => fmt(x, d)),
        lambda_q: lq.map((x) => fmt(x, d)),
        depth_scales: xic.map((x) => fmt(x, d)),
        depth_scales_q: xiq.map((x) => fmt(x, d)),
        ...(complex ? { A_im: Aim.map((x) => fmt(x, d)), lambda_c_im: Aim.map((x) => fmt(x * fp.chi_c, d)), lambda_q_im: Aim.map((x) => fmt(x * fp.chi_q, d)) } : {}),
      };
      if (propagation) {
        out.propagation = {
          input: { channels, input_seed: inputSeed },
          layers: propagation.layers,
          mean_q: propagation.mean_q.map((x) => fmt(x, 10)),
          mean_c: propagation.mean_c.map((r) => r.map((x) => fmt(x, 10))),
          structure_q: propagation.structure_q.map((x) => fmt(x, 6)),
          structure_c: propagation.structure_c.map((r) => r.map((x) => fmt(x, 6))),
          ...(denseCheck ? { dense_check: { layers: denseCheck.layers, max_rel_diff: fmt(denseCheck.max_rel_diff, 3) } } : {}),
        };
      }
      if (plot) out.plot = plot;
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    io.out(`CNN mean field: ${describeSpec(spec)}\n\n`);
    io.out(`Fixed point (fully connected, ${d} digits verified by two Decimal runs):\n`);
    io.out(`  q*     ${qText ?? 'any q > 0 (the length map is linear in q)'}\n  c*     ${fmt(fp.c_star, d)}\n  chi_q  ${fmt(fp.chi_q, d)}    slope of the variance plane, sw2 d<phi^2>/dq\n  chi_c  ${fmt(fp.chi_c, d)}    slope of the other planes, sw2 <phi'(u) phi'(v)> at c*\n\n`);
    io.out(`Linearised dynamics, diagonal in Fourier modes: lambda(f) = chi Ahat(f), xi(f) = -1/ln|lambda(f)|\n`);
    // Rows: distinct frequencies up to symmetry (1D: 0..n/2; 2D: along (m, 0) and (m, m)).
    const n = spec.image;
    const idx: number[] = [];
    if (spec.dims === 1) for (let m = 0; m <= n >> 1; m++) idx.push(m);
    else {
      for (let m = 0; m <= n >> 1; m++) idx.push(m * n);
      for (let m = 1; m <= n >> 1; m++) idx.push(m * n + m);
    }
    if (complex) {
      const crows = idx.map((i) => [modes.frequencies[i].join(','), fmt(A[i], d), fmt(Aim[i], d), fmt(Aabs[i], d), fmt(xic[i], d), fmt(xiq[i], d)]);
      io.out('(the profile is not symmetric: Ahat(f) is complex and the depth scales use |lambda(f)| = |chi| |Ahat(f)|)\n');
      io.out(table(['f', 'Re Ahat(f)', 'Im Ahat(f)', '|Ahat(f)|', 'xi_c(f)', 'xi_q(f)'], crows, 'modes'));
    } else {
      const rows = idx.map((i) => [modes.frequencies[i].join(','), fmt(A[i], d), fmt(lc[i], d), fmt(xic[i], d), fmt(lq[i], d), fmt(xiq[i], d)]);
      io.out(table(['f', 'Ahat(f)', 'lambda_c(f)', 'xi_c(f)', 'lambda_q(f)', 'xi_q(f)'], rows, 'modes'));
    }
    if (spec.dims === 2) io.out(`(rows: f = (m, 0) and (m, m); --json lists all ${modes.frequencies.length} frequencies)\n`);
    if (propagation) {
      io.out(`\nCovariance of a random ${channels}-channel image (input seed ${inputSeed}), variance plane and nearest-neighbour planes, FFT route`);
      io.out(denseCheck ? ` (dense-matrix route agrees to ${fmt(denseCheck.max_rel_diff, 2)} relative on layers 1..${denseCheck.layers}):\n` : ':\n');
      const header = ['layer', 'mean q', ...propagation.mean_c.map((_, p) => `mean c(e${p})`), 'structure q', ...propagation.structure_c.map((_, p) => `structure e${p}`)];
      const prow = propagation.layers.map((l, i) => [
        String(l),
        fmt(propagation!.mean_q[i], 10),
        ...propagation!.mean_c.map((r) => fmt(r[i], 10)),
        fmt(propagation!.structure_q[i], 4),
        ...propagation!.structure_c.map((r) => fmt(r[i], 4)),
      ]);
      io.out(table(header, prow, 'propagation'));
      io.out('(mean c = spatial mean of the plane / spatial mean of q; structure = RMS over positions of the plane minus its spatial mean)\n');
    }
    if (plot) io.out(`\nplot written to ${plot}\n`);
    return 0;
  },
};

const cnnSimulateCommand: Command = {
  name: 'cnn-simulate',
  summary: 'finite-width deep CNNs (seeded): Gaussian against delta-orthogonal signal propagation, simulated against mean field',
  options: [
    { ...ACT, default: 'tanh' },
    { ...SW2, default: '1.7609546396067391316', help: 'weight variance (default: the tanh critical point at sb2 = 0.05)' },
    { ...SB2, default: '0.05' },
    { ...GEOMETRY[0] },
    { ...GEOMETRY[1], default: '1' },
    { name: 'image', value: '<integer 1..256>', help: 'image side n', default: '16' },
    { name: 'init', value: '<list of gaussian, delta-orthogonal>', help: 'initialisations to simulate (comma-separated)', default: 'gaussian,delta-orthogonal' },
    { name: 'padding', value: '<circular|zero>', help: 'circular, or zero (theory by the full covariance: at most 1024 positions)', default: 'circular' },
    { ...PROFILE, help: 'simulate this one kernel variance profile instead of --init (Gaussian weights N(0, sw2 v(beta)/C); delta-orthogonal: Haar centre tap)' },
    { name: 'width', value: '<integer 1..1024>', help: 'channels C of every hidden layer', default: '16' },
    { name: 'depth', value: '<integer 1..100000>', help: 'number of layers', default: '200' },
    { ...NET_OPTION, help: 'the network as a layer description (docs/networks.md): repeat(L, [act, conv]) or repeat(L, [conv, act]), one initialisation (the conv\'s profile and weights); replaces the layer flags, --init and --depth (L), not --image' },
    { name: 'networks', value: '<integer 2..100000>', help: 'independent networks per initialisation', default: '64' },
    { name: 'seed', value: '<integer 0..2^53-1>', help: 'random seed (network k uses stream (seed, k))', default: '1' },
    { name: 'channels', value: '<integer 1..64>', help: 'channels of the random input image', default: '3' },
    { name: 'input-seed', value: '<integer 0..2^53-1>', help: 'seed of the random input image', default: '1' },
    PLOT,
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(cnnSimulateCommand, argv, io);
    if (!opts) return 0;
    const { image, specs, width, depth, networks, seed, channels, inputSeed } = cnnRunSetup(opts, argv, 'cnn-simulate', { width: 1024, depth: 100_000, networks: 100_000 });
    const plot = plotFile(opts);
    const geo = specs[0];
    const positions = geo.shape.reduce((a, n) => a * n, 1);
    checkCost('networks', `simulating ${specs.length} x ${networks} CNNs of width ${width}, depth ${depth} on ${geo.shape.join('x')} positions`,
      UNIT_COST.cnnSimulate * specs.length * networks * depth * width * width * positions * Math.pow(geo.kernelSize, geo.dims), 'reduce --networks, --depth, --width or --image');
    const record = logLayers(depth).concat(Array.from({ length: 20 }, (_, i) => Math.round(((i + 1) * depth) / 20)));
    const results = specs.map((spec) => ({ init: spec.init, spec, r: simulateCnn({ spec, width, depth, networks, seed, channels, inputSeed, record }) }));
    const rows: SignalRow[] = [];
    for (const { init, r } of results)
      for (const p of r.planes) rows.push({ init, layer: p.layer, plane: p.delta.every((x) => x === 0) ? 'variance plane' : `plane delta = (${p.delta.join(',')})`, signal_sim: p.signal_sim, noise: p.noise, signal_theory: p.signal_theory });
    const spec0 = results[0].spec;
    if (plot) {
      await writeSvg(
        signalPlotSpec(
          `fieldprop cnn-simulate: ${spec0.act.name}, sw2 = ${spec0.sw2}, sb2 = ${spec0.sb2}, ${spec0.dims}D image ${image}, kernel ${spec0.kernelSize}, width ${width}`,
          `${networks} networks per initialisation, seed ${seed}; points: RMS spatial structure of the mean covariance plane (bars: 2 noise), lines: mean field`,
          rows.filter((r) => r.plane !== 'variance plane'),
        ),
        plot,
      );
    }
    if (opts.json) {
      io.out(
        JSON.stringify({
          network: { act: spec0.act.name, sw2: spec0.sw2, sb2: spec0.sb2, dims: spec0.dims, image, kernel_size: spec0.kernelSize, width, depth, networks, seed, channels, input_seed: inputSeed, padding: spec0.padding },
          runs: results.map(({ init, r }) => ({
            init,
            seconds: r.seconds,
            z_threshold: fmt(r.z_threshold, 4),
            max_abs_z: fmt(r.max_abs_z, 4),
            pass: r.pass,
            planes: r.planes.map((p) => ({ layer: p.layer, delta: p.delta, signal_sim: fmt(p.signal_sim, 6), noise: fmt(p.noise, 4), signal_theory: fmt(p.signal_theory, 6), max_abs_z: fmt(p.max_abs_z, 4) })),
          })),
          ...(plot ? { plot } : {}),
        }) + '\n',
      );
      return 0;
    }
    io.out(`Simulated deep CNNs: act = ${spec0.act.name}, sw2 = ${spec0.sw2}, sb2 = ${spec0.sb2}, ${spec0.dims}D image ${image}, kernel ${spec0.kernelSize}${spec0.padding === 'zero' ? ', zero padding' : ''}, width ${width}, depth ${depth}, ${networks} networks, seed ${seed}\n`);
    io.out('signal = RMS over positions of (mean over networks of the covariance plane - its spatial mean); noise = RMS over positions of the standard error of the plane minus its spatial mean (the floor of signal (sim))\n');
    for (const { init, r } of results) {
      io.out(`\n${init}: max |z| over all positions and recorded layers ${fmt(r.max_abs_z, 3)} (Bonferroni threshold ${fmt(r.z_threshold, 3)} at 1%: ${r.pass ? 'agrees with mean field' : 'DISAGREES with mean field (finite-width corrections grow with depth/width)'}), ${r.seconds.toFixed(1)} s\n`);
      const layers = logLayers(depth);
      const trows = r.planes
        .filter((p) => layers.includes(p.layer) && !p.delta.every((x) => x === 0))
        .map((p) => [String(p.layer), `(${p.delta.join(',')})`, fmt(p.signal_theory, 4), fmt(p.signal_sim, 4), fmt(p.noise, 2), fmt(p.max_abs_z, 3)]);
      io.out(table(['layer', 'delta', 'signal (theory)', 'signal (sim)', 'noise', 'max |z|'], trows, init));
    }
    if (plot) io.out(`\nplot written to ${plot}\n`);
    return 0;
  },
};

const cnnOrthogonalCommand: Command = {
  name: 'cnn-orthogonal',
  summary: 'random orthogonal convolution kernels: every singular value of the layer operator, from the kernel FFT',
  options: [
    { name: 'channels', value: '<integer 1..256>', help: 'channels C (the kernel maps C to C channels)', default: '8' },
    { ...GEOMETRY[0] },
    { ...GEOMETRY[1] },
    { name: 'image', value: '<integer 1..256>', help: 'image side n of the operator', default: '32' },
    { name: 'kernel', value: '<orthogonal|delta-orthogonal|gaussian>', help: 'which kernel to generate', default: 'orthogonal' },
    { name: 'seed', value: '<integer 0..2^53-1>', help: 'random seed', default: '1' },
    { name: 'out', value: '<file.json>', help: 'write the kernel as JSON {offsets, kernel: [k^d][C][C]} (atomically; the path is checked before any work)' },
    JSON_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(cnnOrthogonalCommand, argv, io);
    if (!opts) return 0;
    const C = intParam('channels', opts.channels as string, 1, 256);
    const spec = cnnSpec({ dims: opts.dims as string, image: opts.image as string, kernelSize: opts['kernel-size'] as string });
    if (spec.image > 256) throw new InputError('image', `must be an integer in 1..256, got ${spec.image}`);
    const seed = intParam('seed', opts.seed as string, 0, MAX_SEED);
    checkCost('channels', `the singular values of a ${C}-channel kernel on ${spec.shape.join('x')} positions`, UNIT_COST.cnnOrthogonal * C * C * C * spec.shape.reduce((a, n) => a * n, 1),
      'reduce --channels or --image');
    const kind = String(opts.kernel);
    const outFile = opts.out === undefined ? undefined : String(opts.out);
    if (outFile !== undefined) checkOutPath(outFile);
    const rng = Rng.stream(seed, 0, 7);
    const gen = kind === 'orthogonal' ? randomOrthogonalKernel : kind === 'delta-orthogonal' ? deltaOrthogonalKernel : kind === 'gaussian' ? gaussianKernel : undefined;
    if (!gen) throw new InputError('kernel', `must be orthogonal, delta-orthogonal or gaussian, got "${kind}"`);
    const K = gen(C, spec.kernelSize, spec.dims, rng);
    const sv = kernelSingularValues(K, C, spec.kernelSize, spec.shape);
    const tapVar = tapVariances(K, C);
    const out = {
      kernel: kind,
      channels: C,
      dims: spec.dims,
      kernel_size: spec.kernelSize,
      image: spec.image,
      seed,
      frequencies: sv.frequencies,
      singular_value_min: fmt(sv.min, 15),
      singular_value_max: fmt(sv.max, 15),
      max_abs_deviation_from_1: fmt(sv.maxDeviation, 3),
      orthogonal: sv.maxDeviation < 1e-10,
      tap_variance: tapVar.map((x) => fmt(x, 6)),
      ...(outFile !== undefined ? { out: outFile } : {}),
    };
    if (outFile !== undefined) writeFileAtomic(outFile, JSON.stringify(kernelDocument(kind, C, spec.dims, spec.kernelSize, seed, K)) + '\n');
    if (opts.json) {
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    io.out(`${kind} kernel: C = ${C}, ${spec.dims}D, ${spec.kernelSize}${spec.dims === 2 ? 'x' + spec.kernelSize : ''} taps, operator on a ${spec.dims === 1 ? spec.image : `${spec.image}x${spec.image}`} image with circular padding, seed ${seed}\n\n`);
    io.out(`  singular values over all ${sv.frequencies} frequencies (C x C symbol at each, from the kernel's FFT):\n`);
    io.out(`  min ${out.singular_value_min}\n  max ${out.singular_value_max}\n  max |sigma - 1| = ${out.max_abs_deviation_from_1}: ${out.orthogonal ? 'orthogonal (every singular value is 1)' : 'not orthogonal'}\n`);
    io.out(`  variance per tap (sum_ij W_ij(beta)^2 / C): ${out.tap_variance.join(' ')}\n`);
    if (outFile !== undefined) io.out(`  kernel written to ${outFile}\n`);
    return 0;
  },
};

const cnnJacobianCommand: Command = {
  name: 'cnn-jacobian',
  summary: 'singular values of the input-output Jacobian of seeded deep CNNs (Gaussian against delta-orthogonal), mean squared singular value against mean field',
  options: [
    { ...ACT, default: 'tanh' },
    { ...SW2, default: '1.7609546396067391316', help: 'weight variance (default: the tanh critical point at sb2 = 0.05)' },
    { ...SB2, default: '0.05' },
    { ...GEOMETRY[0] },
    { ...GEOMETRY[1], default: '1' },
    { name: 'image', value: '<integer 1..256>', help: 'image side n (the Jacobian has (width n^d)^2 entries: width n^d <= 512)', default: '8' },
    { name: 'init', value: '<list of gaussian, delta-orthogonal>', help: 'initialisations (comma-separated)', default: 'gaussian,delta-orthogonal' },
    { ...PROFILE, help: 'one kernel variance profile instead of --init (as cnn-simulate)' },
    { name: 'padding', value: '<circular|zero>', help: 'circular or zero padding', default: 'circular' },
    { name: 'width', value: '<integer 1..512>', help: 'channels C of every layer (width n^d <= 512)', default: '16' },
    { name: 'depth', value: '<integer 1..10000>', help: 'number of layers L of the Jacobian dh^L/dh^0', default: '32' },
    { ...NET_OPTION, help: 'the network as a layer description (docs/networks.md), as cnn-simulate --net: repeat(L, [act, conv]) or repeat(L, [conv, act]); replaces the layer flags, --init and --depth (L), not --image' },
    { name: 'networks', value: '<integer 2..10000>', help: 'independent networks per initialisation (network k uses stream (seed, k), as cnn-simulate)', default: '16' },
    { name: 'seed', value: '<integer 0..2^53-1>', help: 'random seed', default: '1' },
    { name: 'channels', value: '<integer 1..64>', help: 'channels of the random input image', default: '3' },
    { name: 'input-seed', value: '<integer 0..2^53-1>', help: 'seed of the random input image', default: '1' },
    { name: 'bins', value: '<integer 1..200>', help: 'histogram bins of log10 sigma', default: '12' },
    JSON_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(cnnJacobianCommand, argv, io);
    if (!opts) return 0;
    const { image, specs, width, depth, networks, seed, channels, inputSeed } = cnnRunSetup(opts, argv, 'cnn-jacobian', { width: 512, depth: 10_000, networks: 10_000 });
    const bins = intParam('bins', opts.bins as string, 1, 200);
    const { fp, chi1_pow_depth: chi1L, runs } = cnnJacobianAnalysis(specs, { width, depth, networks, seed, channels, inputSeed, bins });
    const s0 = specs[0];
    if (opts.json) {
      io.out(
        JSON.stringify({
          network: { act: s0.act.name, sw2: s0.sw2, sb2: s0.sb2, dims: s0.dims, image, kernel_size: s0.kernelSize, padding: s0.padding, width, depth, networks, seed, channels, input_seed: inputSeed },
          chi1: fmt(fp.chi1, 10),
          chi1_pow_depth: fmt(chi1L, 6),
          runs: runs.map(({ spec, r }) => ({
            init: spec.init,
            ...(spec.init === 'custom' ? { profile: Array.from(spec.profile) } : {}),
            dimension: r.dimension,
            mean_sq: fmt(r.mean_sq, 6),
            mean_sq_se: fmt(r.mean_sq_se, 3),
            mean_sq_theory: fmt(r.mean_sq_theory, 10),
            z: fmt(r.z, 3),
            quantiles: r.quantiles.map((q) => ({ p: q.p, sigma: fmt(q.value, 6) })),
            histogram: r.histogram.map((b) => ({ log10_lo: fmt(b.lo, 4), log10_hi: fmt(b.hi, 4), count: b.count })),
            frobenius_check: fmt(r.frobenius_check, 2),
            seconds: r.seconds,
          })),
        }) + '\n',
      );
      return 0;
    }
    io.out(`Input-output Jacobians dh^L/dh^0: act = ${s0.act.name}, sw2 = ${s0.sw2}, sb2 = ${s0.sb2}, ${s0.dims}D image ${image}, kernel ${s0.kernelSize}, ${s0.padding} padding, width ${width}, depth ${depth}, ${networks} networks, seed ${seed}\n`);
    io.out(`chi_1 = sw2 <phi'^2> at the fixed point = ${fmt(fp.chi1, 10)}; chi_1^L = ${fmt(chi1L, 6)}\n`);
    for (const { spec, r } of runs) {
      io.out(`\n${spec.init === 'custom' ? 'profile ' + Array.from(spec.profile, (x) => fmt(x, 4)).join(',') : spec.init}: ${r.dimension} x ${r.dimension} Jacobian, ${networks} networks, ${r.seconds.toFixed(1)} s\n`);
      io.out(`  mean sigma^2  ${fmt(r.mean_sq, 6)} +- ${fmt(r.mean_sq_se, 2)} (simulated), mean field ${fmt(r.mean_sq_theory, 8)} (along the input's variance maps): z = ${fmt(r.z, 3)}\n`);
      io.out(`  sigma quantiles: ${r.quantiles.map((q) => `${q.p * 100}%: ${fmt(q.value, 4)}`).join(', ')}\n`);
      io.out(table(['log10 sigma from', 'to', 'count'], r.histogram.map((b) => [fmt(b.lo, 3), fmt(b.hi, 3), String(b.count)]), `histogram_${spec.init}`));
    }
    return 0;
  },
};

export const CNN_COMMANDS: Command[] = [cnnCommand, cnnSimulateCommand, cnnOrthogonalCommand, cnnJacobianCommand];
