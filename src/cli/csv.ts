/**
 * `--csv` for every command that prints tables: the command runs as usual, its text is dropped,
 * and the tables it printed (through table() of options.ts, or recordTable for a table laid out
 * by hand) come out as one RFC 4180 CSV on stdout: a header row, then the rows with the cells the
 * table shows (the verified decimal strings; trimmed, and "-", the tables' mark of no value, as an
 * empty field). A command that prints several tables gives one CSV
 * whose first column "table" names the table of each row; its other columns are the union of the
 * tables' columns (in order of first appearance), empty where a table has no such column.
 * The tables are collected per run (AsyncLocalStorage), so concurrent runs do not mix.
 */
import { AsyncLocalStorage } from 'async_hooks';
import type { Io } from './main';
import type { Command } from './options';
import type { OptionSpec } from './args';
import { InputError } from '../model/errors';

export const CSV_OPT: OptionSpec = {
  name: 'csv',
  flag: true,
  help: 'the table(s) as CSV on stdout (header row; several tables: first column "table")',
};

interface Table {
  name: string;
  header: string[];
  rows: string[][];
}

const collector = new AsyncLocalStorage<Table[]>();

/** Record a table printed by the running command (a no-op unless it runs with --csv). */
export function recordTable(header: string[], rows: string[][], name?: string): void {
  const tables = collector.getStore();
  if (tables) tables.push({ name: name ?? `table ${tables.length + 1}`, header: header.map((h, j) => h.trim() || `column ${j + 1}`), rows });
}

/** One CSV field: quoted when it holds a comma, a quote, a line break or outer spaces. */
export function csvField(x: string): string {
  return /[",\r\n]/.test(x) || x !== x.trim() ? `"${x.replace(/"/g, '""')}"` : x;
}

export function tablesToCsv(tables: Table[]): string {
  const cell = (x: string) => (x.trim() === '-' ? '' : csvField(x.trim()));
  const line = (cells: string[]) => cells.map(cell).join(',') + '\r\n';
  if (tables.length === 1) return line(tables[0].header) + tables[0].rows.map(line).join('');
  const columns: string[] = [];
  for (const t of tables) for (const h of t.header) if (!columns.includes(h)) columns.push(h);
  let out = line(['table', ...columns]);
  for (const t of tables) {
    for (const r of t.rows) out += line([t.name, ...columns.map((c) => (t.header.includes(c) ? r[t.header.indexOf(c)] : ''))]);
  }
  return out;
}

/** Run a command; with --csv (when it takes it), print its tables as CSV instead of its text. */
export async function runWithCsv(cmd: Command, argv: string[], io: Io): Promise<number> {
  if (!argv.includes('--csv') || argv.includes('--help') || !cmd.options.some((o) => o.name === 'csv')) return cmd.run(argv, io);
  if (argv.includes('--json')) throw new InputError('csv', 'give --csv or --json, not both');
  const tables: Table[] = [];
  const code = await collector.run(tables, () => cmd.run(argv, { out: () => undefined, err: io.err }));
  if (tables.length === 0) {
    if (code === 0) throw new InputError('csv', `${cmd.name} printed no table with these options`);
    return code;
  }
  io.out(tablesToCsv(tables));
  return code;
}
