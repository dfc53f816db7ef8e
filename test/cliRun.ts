/** Shared by the CLI tests: run a command in-process, and write JSON files into a temporary folder. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';

export async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** A writer of numbered JSON files (or raw text) in a fresh temporary folder. */
export function jsonFiles(prefix: string): { dir: string; file: (json: unknown, raw?: string, name?: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let n = 0;
  return {
    dir,
    file: (json, raw, name) => {
      const p = path.join(dir, name ?? `net${n++}.json`);
      fs.writeFileSync(p, raw ?? JSON.stringify(json));
      return p;
    },
  };
}
