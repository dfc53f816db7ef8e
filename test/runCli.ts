/** Run the CLI in this process and capture its exit code, stdout and stderr. */
import { main } from '../src/cli/main';

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
