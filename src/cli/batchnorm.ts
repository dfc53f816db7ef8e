/**
 * `fieldprop batchnorm`: the mean field of a batch-normalised fully connected network over a batch
 * of B inputs (docs/batchnorm.md): symmetric fixed point (q*, c*), forward eigenvalues, gradient
 * explosion rate, depth scales; by quadrature over the batch sphere and, for positively homogeneous
 * activations, by the c_alpha / J_phi representation; optionally checked by Monte Carlo.
 */
import { Command, ACT, JSON_OPT, HELP, SW2, SB2, parse, table } from './options';
import { CSV_OPT } from './csv';
import { intParam } from '../model/network';
import { InputError } from '../model/errors';
import { formatNumber, formatFinite as fmt } from '../io/format';
import { batchNormSpec, BatchNormOptions } from '../quantities/batchnorm';
import { batchNormReport, batchNormSpectrum, batchNormGeneral, batchNormSimulation, JPHI_EIGEN_MAX_BATCH } from '../quantities/batchnormReport';
import { Estimate } from '../simulate/batchnorm';
import { MAX_SEED } from '../simulate/rng';
import { NET_OPTION } from './netForm';
import { readNetworkFile } from '../model/net/json';
import { Layer, NetDescription, netError } from '../model/net/layers';

/** The flags a `--net` file replaces for this command (its L is the Monte Carlo depth). */
const BN_NET_REPLACES = ['act', 'batch', 'sw2', 'sb2', 'eps', 'gamma', 'beta', 'depth'];

/**
 * The batch-norm parameters of a description repeat(L, [dense(sw2, sb2), batchnorm(B, eps, gamma, beta), act(phi)])
 * (serial blocks flattened), or the one-line refusal naming the first layer outside that form.
 * The inputs and L do not enter the fixed-point quantities; L is the depth of the Monte Carlo networks.
 */
export function batchNormFromNet(d: NetDescription): { options: BatchNormOptions; depth: number } {
  const flat = (ls: readonly Layer[]): { l: Layer; path: string }[] =>
    ls.flatMap((l, i) => (l.kind === 'serial' ? flat(l.layers).map((x) => ({ ...x, path: `[${i}].serial${x.path}` })) : [{ l, path: `[${i}]` }]));
  const form = 'batchnorm covers repeat(L, [dense(sw2, sb2), batchnorm(batch, eps, gamma, beta), act(phi)]) only';
  const top = flat(d.layers);
  if (top.length !== 1 || top[0].l.kind !== 'repeat') {
    const bad = top[0].l.kind !== 'repeat' ? top[0] : top[1];
    throw netError({ source: d.source, path: `layers${bad.path} (${bad.l.kind})` }, form);
  }
  const body = flat(top[0].l.layers);
  const want = ['dense', 'batchnorm', 'act'];
  const wrong = want.findIndex((k, i) => body[i]?.l.kind !== k);
  if (wrong >= 0 || body.length !== 3) {
    const bad = body[wrong >= 0 ? Math.min(wrong, body.length - 1) : 3];
    throw netError({ source: d.source, path: `layers${top[0].path}.repeat.layers${bad.path} (${bad.l.kind})` }, form);
  }
  const w = body[0].l as Extract<Layer, { kind: 'dense' }>;
  const bn = body[1].l as Extract<Layer, { kind: 'batchnorm' }>;
  const a = body[2].l as Extract<Layer, { kind: 'act' }>;
  const o: BatchNormOptions = { act: a.phi, batch: bn.batch, sw2: w.sw2, sb2: w.sb2, eps: bn.eps, gamma: bn.gamma, beta: bn.beta };
  try {
    batchNormSpec(o);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const p = e.parameter;
    const layer = ['batch', 'eps', 'gamma', 'beta'].includes(p) ? 1 : p === 'act' ? 2 : 0;
    const field = layer === 1 ? `.batchnorm.${p}` : layer === 2 ? '.act' : `.dense.${p}`;
    throw netError({ source: d.source, path: `layers${top[0].path}.repeat.layers${body[layer].path}${field}` }, e.message.replace(/^--[\w-]+: /, ''));
  }
  return { options: o, depth: top[0].l.n };
}

export const batchNormCommand: Command = {
  name: 'batchnorm',
  summary: 'batch-norm mean field over a batch of B inputs: fixed point q*, c*, forward eigenvalues, gradient explosion rate',
  netReplaces: BN_NET_REPLACES,
  options: [
    { ...ACT, default: 'relu' },
    { name: 'batch', value: '<integer 2..10000>', help: 'batch size B', default: '8' },
    { ...SW2, value: '<real > 0>', default: '1' },
    { ...SB2, default: '0' },
    { name: 'eps', value: '<real in [0, 10^6]>', help: 'BN epsilon: y = gamma G h / sqrt(|G h|^2/B + eps) + beta', default: '0' },
    { name: 'gamma', value: '<real in (0, 100]>', help: 'BN scale gamma', default: '1' },
    { name: 'beta', value: '<real in [-100, 100]>', help: 'BN shift beta', default: '0' },
    { ...NET_OPTION, help: 'the network as a layer description repeat(L, [dense, batchnorm, act]) (docs/networks.md); replaces --act, --batch, --sw2, --sb2, --eps, --gamma, --beta, and --depth (L, the Monte Carlo depth)' },
    { name: 'fixed-point', value: '<symmetric|general>', help: 'general: also iterate the B x B map from Sigma* + 1e-3 q* E (E seeded by --seed; relu, linear, relu-power:k, default eps/gamma/beta) and report the point reached', default: 'symmetric' },
    { name: 'simulate', flag: true, help: 'also run Monte Carlo: finite-width BN networks and the sampled B x B map' },
    { name: 'width', value: '<integer 8..4096>', help: 'Monte Carlo network width N', default: '256' },
    { name: 'depth', value: '<integer 4..1000>', help: 'Monte Carlo network depth L', default: '20' },
    { name: 'networks', value: '<integer 2..100000>', help: 'Monte Carlo: independent networks', default: '20' },
    { name: 'samples', value: '<integer 100..10000000>', help: 'Monte Carlo: samples of the B x B map', default: '100000' },
    { name: 'seed', value: `<integer 0..${MAX_SEED}>`, help: 'Monte Carlo seed', default: '1' },
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(batchNormCommand, argv, io);
    if (!opts) return 0;
    const fromNet = opts.net !== undefined ? batchNormFromNet(readNetworkFile(String(opts.net))) : undefined;
    const o: BatchNormOptions = fromNet ? fromNet.options : {
      act: opts.act as string, batch: opts.batch as string, sw2: opts.sw2 as string, sb2: opts.sb2 as string,
      eps: opts.eps as string, gamma: opts.gamma as string, beta: opts.beta as string,
    };
    const rep = batchNormReport(o);
    const aff = rep.affine;
    const fpMode = String(opts['fixed-point']);
    if (fpMode !== 'symmetric' && fpMode !== 'general') throw new InputError('fixed-point', `must be symmetric or general, got "${fpMode}"`);
    const general = fpMode === 'general' ? batchNormGeneral(o, rep, intParam('seed', opts.seed as string, 0, MAX_SEED)) : null;
    const generalJson = general ? {
      general_fixed_point: {
        symmetric: general.symmetric, layers: general.layers,
        blocks: general.blocks.map((b) => ({ size: b.members.length, members: b.members, variance: formatNumber(b.variance, 8) })),
        offdiagonal: general.offdiagonal.map((x) => formatNumber(x, 8)),
      },
    } : {};
    const B = rep.batch;
    const r = rep.result;
    const d = rep.digits;
    const sim = opts.simulate ? batchNormSimulation(rep, {
      width: intParam('width', opts.width as string, 8, 4096),
      depth: intParam('depth', fromNet ? String(fromNet.depth) : (opts.depth as string), 4, 1000),
      networks: intParam('networks', opts.networks as string, 2, 100000),
      samples: intParam('samples', opts.samples as string, 100, 10000000),
      seed: intParam('seed', opts.seed as string, 0, MAX_SEED),
    }) : null;
    const spectrum = batchNormSpectrum(rep);
    const lamMax = spectrum.lambda_max;
    const gradNote = spectrum.grad_note;
    if (opts.json) {
      const est = (e: Estimate) => ({ mean: formatNumber(e.mean, 8), se: formatNumber(e.se, 3), n: e.n });
      const out = {
        act: rep.act, batch: B, sw2: String(rep.sw2), sb2: String(rep.sb2), digits: d,
        convention: 'h = W x + b, y = sqrt(B) G h / |G h| (BN per neuron over the batch), x = phi(y); fixed point of Sigma = E[h h^T]',
        ...(aff ? {
          eps: String(aff.eps), gamma: String(aff.gamma), beta: String(aff.beta),
          convention: 'h = W x + b, y = gamma G h / sqrt(|G h|^2/B + eps) + beta, x = phi(y); fixed point of Sigma = E[h h^T]',
          lambda_triv: fmt(aff.lambda_triv, d), layers: aff.layers, layers_tol: aff.layers_tol,
        } : {}),
        q_star: fmt(r.q_star, d), c_star: fmt(r.c_star, d),
        phi2: fmt(r.phi2, d), phiphi: fmt(r.phiphi, d),
        grad_rate: fmt(r.grad_rate, d), ...(gradNote ? { grad_rate_note: gradNote } : {}),
        grad_depth_scale: fmt(spectrum.grad_depth_scale, d),
        eigenvalues: spectrum.eigenvalues.map((e) => ({ irrep: e.irrep, multiplicity: e.multiplicity, value: fmt(e.value, d), depth_scale: fmt(e.depth_scale, d) })),
        lambda_std: fmt(r.lambda_std, d), lambda_2: fmt(r.lambda_2, d),
        forward_depth_scale: fmt(spectrum.forward_depth_scale, d), symmetric_fixed_point_stable: lamMax < 1,
        routes: {
          quadrature: { rel_error: formatNumber(rep.quad.error, 2), nodes: rep.quad.nodes },
          jphi: rep.jphi ? {
            q_star: fmt(rep.jphi.q_star, d), c_star: fmt(rep.jphi.c_star, d), grad_rate: fmt(rep.jphi.grad_rate, d),
            lambda_std: fmt(rep.jphi.lambda_std, d), lambda_2: fmt(rep.jphi.lambda_2, d),
            eigen_residual: rep.jphi.eigen_residual === undefined ? null : formatNumber(rep.jphi.eigen_residual, 2),
            max_rel_difference: formatNumber(rep.route_difference as number, 2),
          } : null,
          ...(aff ? { radial: { nodes: aff.nodes.radial } } : {}),
        },
        ...generalJson,
        ...(sim ? {
          simulation: {
            ...sim.options,
            q_star: est(sim.net.q), c_star: est(sim.net.c), grad_rate: est(sim.net.grad_rate),
            map_phi2: est(sim.map.phi2), map_phiphi: est(sim.map.phiphi),
            map_lambda_std: sim.map.lambda[0] ? est(sim.map.lambda[0]) : null,
            map_lambda_2: sim.map.lambda[1] ? est(sim.map.lambda[1]) : null,
            net_lambda_std: sim.lin[0] ? est(sim.lin[0]) : null,
            net_lambda_2: sim.lin[1] ? est(sim.lin[1]) : null,
            z: Object.fromEntries(Object.entries(sim.z).map(([k, v]) => [k, v === null ? null : formatNumber(v, 3)])),
          },
        } : {}),
      };
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    if (aff) {
      io.out(`Batch-norm mean field: act = ${rep.act}, B = ${B}, sw2 = ${rep.sw2}, sb2 = ${rep.sb2}, eps = ${aff.eps}, gamma = ${aff.gamma}, beta = ${aff.beta}\n`);
      io.out('Layer: h = W x + b, y = gamma G h / sqrt(|G h|^2/B + eps) + beta over the batch, x = phi(y); state Sigma = E[h h^T].\n');
      io.out(`Symmetric fixed point reached from unit iid inputs after ${aff.layers} BN layer${aff.layers === 1 ? '' : 's'} (to ${aff.layers_tol}); ` +
        `radial x sphere quadrature: ${d} significant digits (two node counts agree to ${formatNumber(aff.quad_error, 2)}).\n\n`);
    } else {
      io.out(`Batch-norm mean field: act = ${rep.act}, B = ${B}, sw2 = ${rep.sw2}, sb2 = ${rep.sb2}\n`);
      io.out('Layer: h = W x + b, y = BN(h) over the batch (mean 0, variance 1, no affine), x = phi(y); state Sigma = E[h h^T].\n');
      io.out(`Quadrature over the batch sphere: ${d} significant digits (two node counts agree)` +
        (rep.jphi ? `; J_phi route agrees to ${formatNumber(rep.route_difference as number, 2)} (relative).\n\n` : '.\n\n'));
    }
    const j = rep.jphi;
    const row = (name: string, q: number | null, jv: number | null | undefined, meaning: string): string[] =>
      [name, fmt(q, d) ?? (name === 'grad_rate' && B <= 3 ? 'inf' : '-'), j ? (fmt(jv ?? null, d) ?? (name === 'grad_rate' && B <= 3 ? 'inf' : '-')) : 'n/a', meaning];
    const rows: string[][] = [
      row('q_star', r.q_star, j?.q_star, 'Sigma*_aa (fixed point of the pre-BN covariance)'),
      row('c_star', r.c_star, j?.c_star, 'Sigma*_ab / Sigma*_aa'),
      row('grad_rate', r.grad_rate, j?.grad_rate, gradNote ?? 'E|dL/dx^(l-1)|^2 / E|dL/dx^l|^2 per layer'),
      row('lambda_std', r.lambda_std, j?.lambda_std, B >= 3 ? `forward eigenvalue, multiplicity ${B - 1}` : 'none (B = 2)'),
      row('lambda_2', r.lambda_2, j?.lambda_2, B >= 4 ? `forward eigenvalue, multiplicity ${(B * (B - 3)) / 2}` : 'none (B <= 3)'),
      ...(aff ? [row('lambda_triv', aff.lambda_triv, null, 'forward eigenvalue of the scale q(1-c) (eps > 0 breaks scale invariance)')] : []),
      [' xi_grad', fmt(spectrum.grad_depth_scale, d) ?? '-', '', 'layers per e-fold of gradient growth'],
      [' xi_fwd', fmt(spectrum.forward_depth_scale, d) ?? '-', '', lamMax < 1 ? 'layers per e-fold of convergence to Sigma*' : 'symmetric fixed point UNSTABLE (|eigenvalue| >= 1)'],
    ];
    io.out(table(['quantity', 'quadrature', 'J_phi', 'meaning'], rows, 'quadrature'));
    if (j && !j.eigen) io.out(`(J_phi eigenvalues are computed for B <= ${JPHI_EIGEN_MAX_BATCH}.)\n`);
    if (general) {
      io.out(`\nGeneral B x B map from Sigma* + 1e-3 q* E, after ${general.layers} layers: ` +
        (general.symmetric ? 'back at the symmetric fixed point.\n' : `a symmetry-broken fixed point, ${general.blocks.length} blocks of equal variance:\n`));
      if (!general.symmetric) {
        for (const b of general.blocks) io.out(`  ${b.members.length} inputs (${b.members.join(', ')}): variance ${formatNumber(b.variance, 8)}\n`);
        io.out(`  distinct covariances between inputs: ${general.offdiagonal.map((x) => formatNumber(x, 8)).join(', ')}\n`);
      }
    }
    if (sim) {
      const s = sim;
      io.out(`\nMonte Carlo (seed ${s.options.seed}): ${s.options.networks} networks of width ${s.options.width}, depth ${s.options.depth}; ${s.options.samples} samples of the map.\n`);
      const e = (x: Estimate) => `${formatNumber(x.mean, 6)} +- ${formatNumber(x.se, 2)}`;
      const zs = (k: string) => (s.z[k] === null || s.z[k] === undefined ? '-' : formatNumber(s.z[k] as number, 2));
      const mrows: string[][] = [
        ['q_star', e(s.net.q), zs('q_star'), 'networks: mean of h^2 over layers >= 3'],
        ['c_star', e(s.net.c), zs('c_star'), 'networks'],
        ['grad_rate', e(s.net.grad_rate), zs('grad_rate'), 'networks: backpropagation through W and BN'],
        ['lambda_std', s.map.lambda[0] ? e(s.map.lambda[0]) : '-', zs('lambda_std'), 'sampled map, common random numbers'],
        ['lambda_2', s.map.lambda[1] ? e(s.map.lambda[1]) : '-', zs('lambda_2'), 'sampled map, common random numbers'],
        ['lambda_std', s.lin[0] ? e(s.lin[0]) : '-', zs('net_lambda_std'), `one BN layer of width ${s.options.width} on Sigma* +- 0.1 q* D, ${5 * s.options.networks} networks`],
        ['lambda_2', s.lin[1] ? e(s.lin[1]) : '-', zs('net_lambda_2'), `one BN layer of width ${s.options.width} on Sigma* +- 0.1 q* D, ${5 * s.options.networks} networks`],
      ];
      io.out(table(['quantity', 'estimate +- se', 'z', 'method'], mrows, 'monte carlo'));
    }
    return 0;
  },
};
