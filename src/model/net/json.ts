/**
 * The JSON form of a network description (read by every command through `--net FILE.json`):
 *
 *   {"inputs": {"q0": 1, "c0": 0.6},
 *    "layers": [{"repeat": 8, "layers": [
 *      {"residual": {"alpha": 0.6, "branch": [{"dense": {"sw2": 1.5, "sb2": 0.05}}, {"act": "erf"}]}}]}]}
 *
 * Each layer is an object with one key naming its kind (docs/networks.md lists them all). A bad
 * description gets one InputError naming the path inside the file, e.g.
 *   --net net.json: layers[0].repeat.layers[0].residual.branch: empty branch
 */
import * as fs from 'fs';
import {
  Layer, NetDescription, Where, at, netError, describeValue,
  makeDense, makeReadout, makeAct, makeResidual, makeRepeat, makeSerial, makeBatchNorm, makeConv, makeInputs,
} from './layers';

const LAYER_KINDS = ['dense', 'act', 'residual', 'serial', 'repeat', 'batchnorm', 'conv', 'readout'];

function object(where: Where, v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw netError(where, `expected ${what}, got ${describeValue(v)}`);
  return v as Record<string, unknown>;
}

function onlyKeys(where: Where, o: Record<string, unknown>, allowed: string[], what: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw netError(at(where, key), `unknown key (${what} takes ${allowed.join(', ')})`);
  }
}

function required(where: Where, o: Record<string, unknown>, key: string, what: string): unknown {
  if (o[key] === undefined) throw netError(at(where, key), `missing (${what})`);
  return o[key];
}

function layerList(where: Where, v: unknown, what: string): Layer[] {
  if (!Array.isArray(v)) throw netError(where, `expected a list of layers, got ${describeValue(v)}`);
  if (v.length === 0) throw netError(where, `empty ${what}`);
  return v.map((x, i) => parseLayer(at(where, i), x));
}

function parseLayer(where: Where, v: unknown): Layer {
  const o = object(where, v, `a layer (an object with one of the keys ${LAYER_KINDS.join(', ')})`);
  const kinds = Object.keys(o).filter((k) => LAYER_KINDS.includes(k));
  if (kinds.length === 0) {
    const keys = Object.keys(o);
    throw netError(where, keys.length === 0 ? `empty layer (layers are ${LAYER_KINDS.join(', ')})` : `unknown layer "${keys[0]}" (layers are ${LAYER_KINDS.join(', ')})`);
  }
  if (kinds.length > 1) throw netError(where, `one layer per object, found ${kinds.join(' and ')}`);
  const kind = kinds[0];
  const w = at(where, kind);
  const body = o[kind];
  if (kind === 'repeat') {
    // {"repeat": n, "layers": [...]} or {"repeat": {"n": n, "layers": [...]}}
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      onlyKeys(where, o, ['repeat'], 'a repeat object');
      const r = body as Record<string, unknown>;
      onlyKeys(w, r, ['n', 'layers'], 'repeat');
      return makeRepeat(w, required(w, r, 'n', 'the number of repetitions'), layerList(at(w, 'layers'), required(w, r, 'layers', 'the repeated layers'), 'body'));
    }
    onlyKeys(where, o, ['repeat', 'layers'], 'repeat');
    if (o.layers === undefined) throw netError(at(w, 'layers'), 'missing (the repeated layers: {"repeat": n, "layers": [...]})');
    return makeRepeat(w, body, layerList(at(w, 'layers'), o.layers, 'body'), w);
  }
  onlyKeys(where, o, [kind], `a ${kind} layer`);
  switch (kind) {
    case 'dense':
    case 'readout': {
      const r = object(w, body, `{"sw2": ..., "sb2": ...}`);
      onlyKeys(w, r, ['sw2', 'sb2'], kind);
      const sw2 = required(w, r, 'sw2', 'the weight variance sigma_w^2 >= 0');
      return kind === 'dense' ? makeDense(w, sw2, r.sb2) : makeReadout(w, sw2, r.sb2);
    }
    case 'act': {
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        const r = body as Record<string, unknown>;
        onlyKeys(w, r, ['name'], 'act');
        return makeAct(at(w, 'name'), required(w, r, 'name', 'an activation name or an expression in x'));
      }
      return makeAct(w, body);
    }
    case 'residual': {
      const r = object(w, body, '{"alpha": ..., "branch": [...]}');
      onlyKeys(w, r, ['alpha', 'schedule', 'scaling', 'branch'], 'residual');
      const alpha = required(w, r, 'alpha', 'the residual scale alpha >= 0');
      const branch = layerList(at(w, 'branch'), required(w, r, 'branch', 'the layers of the residual branch'), 'branch');
      return makeResidual(w, alpha, r.schedule, r.scaling, branch);
    }
    case 'serial':
      return makeSerial(w, layerList(w, body, 'serial'));
    case 'batchnorm': {
      const r = object(w, body, '{"batch": B, "eps": ..., "gamma": ..., "beta": ...}');
      onlyKeys(w, r, ['batch', 'eps', 'gamma', 'beta'], 'batchnorm');
      return makeBatchNorm(w, r);
    }
    case 'conv': {
      const r = object(w, body, '{"kernelSize": k, "sw2": ..., ...}');
      onlyKeys(w, r, ['kernelSize', 'dims', 'profile', 'padding', 'weights', 'sw2', 'sb2'], 'conv');
      required(w, r, 'sw2', 'the weight variance sigma_w^2 >= 0');
      return makeConv(w, r);
    }
  }
  throw netError(where, `unknown layer "${kind}"`);
}

/** A network description from parsed JSON; `source` names it in error messages (e.g. the file name). */
export function parseNetwork(json: unknown, source?: string): NetDescription {
  const root: Where = { source, path: '' };
  const o = object(root, json, 'a network description {"inputs": ..., "layers": [...]}');
  onlyKeys(root, o, ['inputs', 'layers', 'name', 'comment'], 'a network description');
  const inputs = makeInputs(at(root, 'inputs'), required(root, o, 'inputs', 'the input kernel: {"q0": ..., "c0": ...} or {"kernel": [[...]]}'));
  const layers = layerList(at(root, 'layers'), required(root, o, 'layers', 'the list of layers'), 'network (no layers)');
  return { kind: 'net', inputs, layers, ...(source === undefined ? {} : { source }) };
}

/** Read and parse a network description file (JSON). */
export function readNetworkFile(path: string): NetDescription {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw netError({ source: path, path: '' }, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw netError({ source: path, path: '' }, `not JSON (${(e as Error).message})`);
  }
  return parseNetwork(json, path);
}

/** The JSON form of a description (what parseNetwork reads back to an equal description). */
export function networkToJson(d: NetDescription): Record<string, unknown> {
  const inputs = d.inputs.q0 !== undefined ? { q0: d.inputs.q0, c0: d.inputs.c0 } : { kernel: d.inputs.kernel };
  return { inputs, layers: d.layers.map(layerToJson) };
}

export function layerToJson(l: Layer): Record<string, unknown> {
  switch (l.kind) {
    case 'dense':
    case 'readout':
      return { [l.kind]: { sw2: l.sw2, sb2: l.sb2 } };
    case 'act':
      return { act: l.phi.name };
    case 'residual':
      return {
        residual: {
          alpha: l.alpha, ...(l.schedule ? { schedule: l.schedule.text } : {}), ...(l.scaling !== 'amplitude' ? { scaling: l.scaling } : {}),
          branch: l.branch.map(layerToJson),
        },
      };
    case 'serial':
      return { serial: l.layers.map(layerToJson) };
    case 'repeat':
      return { repeat: l.n, layers: l.layers.map(layerToJson) };
    case 'batchnorm':
      return { batchnorm: { batch: l.batch, eps: l.eps, gamma: l.gamma, beta: l.beta } };
    case 'conv':
      return { conv: { kernelSize: l.kernelSize, dims: l.dims, profile: typeof l.profile === 'string' ? l.profile : [...l.profile], padding: l.padding, ...(l.weights !== 'gaussian' ? { weights: l.weights } : {}), sw2: l.sw2, sb2: l.sb2 } };
  }
}
