/**
 * `validate --shard i/n --out FILE` and `validate --merge FILE...`: a Monte Carlo validation
 * split across machines. A shard simulates the blocks b with b mod n = i - 1 of every width (the
 * networks keep their global indices, so their random streams are those of the unsharded run)
 * and writes the blocks' raw moment sums with the full run specification. The merge checks that
 * the files are the n shards of one run, merges the blocks in block order (the order the
 * unsharded run uses) and prints the report of the unsharded run: the same statistics and
 * verdict, bit for bit; only the timings differ (the sums over the shards).
 */
import * as fs from 'fs';
import type { Io } from './main';
import { parseArgs, helpText, OptionSpec } from './args';
import { InputError } from '../model/errors';
import { Network } from '../model/network';
import { MonteCarloResult, mergeBlocks } from '../simulate/montecarlo';
import { planLayout } from '../simulate/observe';
import { momentData } from '../simulate/stats';
import { ValidateOptions, observationPlan, validateMerged, validateShard } from '../simulate/validate';
import { writeValidationPlot } from '../simulate/plot';
import { Shard, checkOutPath, parseShard } from './shard';
import { writeFileAtomic } from '../io/files';
import { EXIT_FAIL, EXIT_INTERRUPTED, ValidateSettings, jsonSafe, reportText, validateOptions } from './validate';
import { ParsedArgs } from './args';

const FORMAT = 'fieldprop-validate-shard';
const VERSION = 1;

/** Everything that defines a run (and so must agree between its shards). */
export interface RunSpec {
  /** The network options as given (strings), c0 null for one input. */
  network: Record<string, string | null>;
  widths: number[];
  samples: number;
  seed: number;
  sampler: 'fast' | 'full';
  two_inputs: boolean;
  delta: number | null;
  fwer: number;
}

interface ShardFile {
  format: string;
  version: number;
  run: RunSpec;
  shard: Shard;
  widths: { width: number; chunk_size: number; blocks_total: number; networks: number; seconds: number; threads: number; blocks: { index: number; sums: string }[] }[];
}

/** Float64 values as base64 of their little-endian bytes (exact, NaN and infinities included). */
function encode(a: Float64Array): string {
  const b = Buffer.alloc(a.length * 8);
  for (let i = 0; i < a.length; i++) b.writeDoubleLE(a[i], 8 * i);
  return b.toString('base64');
}

function decode(s: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  const a = new Float64Array(Math.floor(b.length / 8));
  for (let i = 0; i < a.length; i++) a[i] = b.readDoubleLE(8 * i);
  return a;
}

export function writeShardFile(file: string, run: RunSpec, shard: Shard, results: MonteCarloResult[]): void {
  const doc: ShardFile = {
    format: FORMAT,
    version: VERSION,
    run,
    shard,
    widths: results.map((r, wi) => ({
      width: run.widths[wi],
      chunk_size: r.chunkSize,
      blocks_total: r.nBlocks,
      networks: r.samples,
      seconds: r.seconds,
      threads: r.threads,
      blocks: (r.blocks ?? []).map((b) => ({ index: b.index, sums: encode(b.data) })),
    })),
  };
  writeFileAtomic(file, JSON.stringify(doc) + '\n');
}

/** The run's options (network rebuilt from the stored option strings). */
function optionsOf(run: RunSpec, net: (opts: Record<string, string>) => Network): ValidateOptions {
  const n = run.network;
  const net0 = net({ ...(n as Record<string, string>), c0: n.c0 ?? '0' });
  return { net: net0, widths: run.widths, samples: run.samples, seed: run.seed, sampler: run.sampler, twoInputs: run.two_inputs, delta: run.delta, fwer: run.fwer };
}

function mergeError(message: string): InputError {
  return new InputError('merge', message);
}

function readShardFile(file: string): ShardFile {
  let doc: ShardFile;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw mergeError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a validate shard file (unreadable JSON)'}`);
  }
  if (!doc || doc.format !== FORMAT || doc.version !== VERSION || !doc.run || !doc.shard || !Array.isArray(doc.widths)) {
    throw mergeError(`${file}: not a validate shard file (written by validate --shard i/n --out FILE)`);
  }
  return doc;
}

/** Check that the files are exactly the n shards of one run and merge them, one result per width. */
export function mergeShardFiles(files: string[], net: (opts: Record<string, string>) => Network): { o: ValidateOptions; results: MonteCarloResult[]; count: number } {
  if (files.length === 0) throw mergeError('needs the shard files: validate --merge FILE...');
  const docs = files.map(readShardFile);
  const first = docs[0];
  const runText = JSON.stringify(first.run);
  const count = first.shard.count;
  const byIndex = new Map<number, string>();
  for (const [k, d] of docs.entries()) {
    if (JSON.stringify(d.run) !== runText) {
      const field = Object.keys(first.run).find((key) => JSON.stringify((d.run as unknown as Record<string, unknown>)[key]) !== JSON.stringify((first.run as unknown as Record<string, unknown>)[key]));
      throw mergeError(`${files[k]} is a shard of a different run than ${files[0]} (${field ?? 'specification'} differs)`);
    }
    if (d.shard.count !== count) throw mergeError(`${files[k]} is shard ${d.shard.index}/${d.shard.count}, ${files[0]} is one of ${count}`);
    const seen = byIndex.get(d.shard.index);
    if (seen !== undefined) throw mergeError(`shard ${d.shard.index}/${count} given twice (${seen}, ${files[k]})`);
    byIndex.set(d.shard.index, files[k]);
  }
  const missing: number[] = [];
  for (let i = 1; i <= count; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length) throw mergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing`);
  const o = optionsOf(first.run, net);
  const layout = planLayout(observationPlan(o.net, o.twoInputs, o.delta));
  const size = momentData(layout).length;
  const results = o.widths.map((N, wi): MonteCarloResult => {
    const parts = docs.map((d) => d.widths[wi]);
    const p0 = parts[0];
    if (parts.some((p) => !p || p.width !== N || p.chunk_size !== p0.chunk_size || p.blocks_total !== p0.blocks_total)) {
      throw mergeError(`the shards disagree on the blocks of width ${N} (written by different versions?)`);
    }
    const blocks: Float64Array[] = new Array(p0.blocks_total);
    for (const [k, p] of parts.entries()) {
      for (const b of p.blocks) {
        const data = decode(b.sums);
        if (!(b.index >= 0 && b.index < p0.blocks_total) || blocks[b.index] !== undefined || data.length !== size) {
          throw mergeError(`${files[k]}: damaged block ${b.index} of width ${N}`);
        }
        blocks[b.index] = data;
      }
    }
    for (let b = 0; b < blocks.length; b++) if (blocks[b] === undefined) throw mergeError(`block ${b} of width ${N} is in no shard (damaged files?)`);
    const data = mergeBlocks(layout, blocks);
    if (data[0] !== o.samples) throw mergeError(`the shards hold ${data[0]} networks at width ${N}, the run has ${o.samples}`);
    return {
      layout, data, samples: data[0], interrupted: false, chunkSize: p0.chunk_size, nBlocks: p0.blocks_total,
      seconds: parts.reduce((a, p) => a + p.seconds, 0), threads: Math.max(...parts.map((p) => p.threads)),
    };
  });
  return { o, results, count };
}

const MERGE_OPTIONS = (): OptionSpec[] => validateOptions().filter((s) => ['merge', 'plot', 'json', 'csv', 'help'].includes(s.name));

/** `validate --merge FILE... [--json] [--plot FILE]`: the report of the run the shards make up. */
export async function runMerge(argv: string[], io: Io, net: (opts: Record<string, string>) => Network): Promise<number> {
  const specs = MERGE_OPTIONS();
  let parsed;
  try {
    parsed = parseArgs(argv, specs);
  } catch (e) {
    if (e instanceof InputError && /unknown option/.test(e.message)) {
      throw new InputError(e.parameter, 'not with --merge: the run is specified by the shard files (--merge takes --json, --csv, --plot)');
    }
    throw e;
  }
  const { opts, positional } = parsed;
  if (opts.help) {
    io.out(helpText('validate --merge FILE...', 'merge the shard files of validate --shard i/n --out FILE into the report of the whole run', specs));
    return 0;
  }
  const { o, results, count } = mergeShardFiles(positional, net);
  const report = validateMerged(o, results);
  const plot = opts.plot !== undefined ? String(opts.plot) : undefined;
  if (plot !== undefined) await writeValidationPlot(report, plot);
  if (opts.json) io.out(JSON.stringify({ ...report, merged_shards: count }, jsonSafe) + '\n');
  else io.out(`Merged from ${count} shard file${count > 1 ? 's' : ''} (times are sums over the shards).\n` + reportText(report));
  return report.pass ? 0 : EXIT_FAIL;
}

/** --shard and --out of a simulating run (undefined: an ordinary run); checked before any computation. */
export function shardOption(opts: ParsedArgs, s: ValidateSettings): Shard | undefined {
  if (opts.out === undefined) {
    if (opts.shard !== undefined) throw new InputError('shard', 'needs --out FILE (the file the shard writes)');
    return undefined;
  }
  checkOutPath(String(opts.out));
  if (s.plot !== undefined) throw new InputError('plot', 'not with --shard/--out: plot the merged run (validate --merge FILE... --plot FILE)');
  return parseShard(opts.shard === undefined ? '1/1' : String(opts.shard));
}

const NETWORK_KEYS = ['act', 'alpha', 'sw2', 'sb2', 'depth', 'q0', 'c0', 'skip', 'scaling'];

/** Simulate the shard and write its file (nothing is written when interrupted). */
export async function runShard(o: ValidateOptions, opts: ParsedArgs, shard: Shard, io: Io): Promise<number> {
  const out = String(opts.out);
  const { results, interrupted } = await validateShard(o, shard);
  if (interrupted) {
    io.err(`fieldprop validate: interrupted; ${out} not written\n`);
    return EXIT_INTERRUPTED;
  }
  const run: RunSpec = {
    network: Object.fromEntries(NETWORK_KEYS.map((k) => [k, opts[k] === undefined ? null : String(opts[k])])),
    widths: o.widths, samples: o.samples, seed: o.seed, sampler: o.sampler, two_inputs: o.twoInputs, delta: o.delta, fwer: o.fwer,
  };
  writeShardFile(out, run, shard, results);
  const widths = results.map((r, wi) => ({ width: o.widths[wi], networks: r.samples, blocks: r.blocks?.length ?? 0, blocks_total: r.nBlocks }));
  if (opts.json) io.out(JSON.stringify({ shard: `${shard.index}/${shard.count}`, out, widths }) + '\n');
  else {
    const w = widths.map((x) => `N = ${x.width}: ${x.networks} of ${o.samples} networks (${x.blocks} of ${x.blocks_total} blocks)`).join('; ');
    io.out(`validate shard ${shard.index}/${shard.count}: ${w}; written to ${out} (merge all ${shard.count} with validate --merge)\n`);
  }
  return 0;
}
