/**
 * What `sweep` and `validate` share for running on a cluster: the `--shard i/n` option (1-based i,
 * as in `--array=1-n` of SLURM: shard i takes the items k = i-1, i-1+n, i-1+2n, ... of a list
 * fixed by the options alone), and the check of an output path before any work (the files are
 * written atomically by io/files).
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../model/errors';

export interface Shard {
  /** 1-based shard number. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 1_000_000;

export function parseShard(text: string, param = 'shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const what = `expected i/n with n in 1..${MAX_SHARDS} and i in 1..n (1-based), got "${text}"`;
  if (!m) throw new InputError(param, what);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count)) throw new InputError(param, what);
  return { index, count };
}

/** Whether item k (0-based) of the list belongs to the shard. */
export function inShard(k: number, shard: Shard): boolean {
  return k % shard.count === shard.index - 1;
}

/** Refuse an output path that cannot be written (missing directory, a directory), before any computation. */
export function checkOutPath(file: string, param = 'out'): void {
  if (file.trim() === '') throw new InputError(param, 'needs a file name');
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InputError(param, `directory "${dir}" does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new InputError(param, `"${file}" is a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new InputError(param, `directory "${dir}" is not writable`);
  }
}
