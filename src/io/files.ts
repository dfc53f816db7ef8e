/**
 * Output files: checked before any computation (checkOutputFile, checkOutputDir) and written
 * atomically (writeFileAtomic: a temporary file in the same directory, fsync, rename), so that a
 * failed or interrupted run never leaves a half-written file behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../model/errors';

/** Write a file so that readers never see it half-written: temporary file, fsync, rename. */
export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function why(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Fail early when `file` (the value of --option) cannot be written: it must name a file (with
 * the extension `ext` when given) in an existing, writable directory, and not be a directory
 * itself. Nothing is created.
 */
export function checkOutputFile(option: string, file: string, ext?: string): void {
  if (file.trim() === '') throw new InputError(option, 'needs a file name');
  if (ext !== undefined && !file.toLowerCase().endsWith(ext)) throw new InputError(option, `must name a ${ext} file, got "${file}"`);
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (st && !st.isFile()) throw new InputError(option, `"${file}" exists and is not a regular file; give a file name`);
  try {
    if (!fs.statSync(dir).isDirectory()) throw new Error('ENOTDIR');
    fs.accessSync(dir, fs.constants.W_OK);
    if (st) fs.accessSync(abs, fs.constants.W_OK);
  } catch (e) {
    throw new InputError(option, `cannot write "${file}": directory ${dir} is missing or not writable (${why(e)})`);
  }
}

/**
 * Fail early when the directory `dir` cannot be created or written: it must be a directory or
 * not exist yet, with its nearest existing ancestor a writable directory. Nothing is created.
 */
export function checkOutputDirPath(option: string, dir: string): void {
  if (dir.trim() === '') throw new InputError(option, 'needs a directory name');
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    if (!fs.statSync(d).isDirectory()) throw new Error(`${d} is not a directory`);
    fs.accessSync(d, fs.constants.W_OK);
  } catch (e) {
    throw new InputError(option, `cannot write to the output directory "${dir}" (${why(e)}); give a writable directory`);
  }
}
