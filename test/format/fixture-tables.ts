// Reads Docker's captured outputs and turns printed tables back into rows, so tests can
// render those rows again and compare byte for byte.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { fixturesDir, sharedDir } from '../helpers/paths.js';

export const CLI_DIRS = ['cli-28.2.2', 'cli-20.10.24'];

export function fixture(cli: string, name: string, stream: 'stdout' | 'stderr' | 'cmd' = 'stdout'): string {
  return readFileSync(join(fixturesDir(), cli, `${name}.${stream}`), 'utf8');
}

export function fixtureNames(cli: string, prefix: string): string[] {
  const dir = join(fixturesDir(), cli);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.stdout'))
    .map((f) => f.slice(0, -'.stdout'.length))
    .sort();
}

export function golden(name: string): string {
  return readFileSync(join(sharedDir(), 'fixtures', 'docker-cli-golden', `${name}.golden`), 'utf8');
}

export interface ParsedTable {
  headers: string[];
  rows: string[][];
}

/** Splits an aligned table at the columns where its header cells start. */
export function parseTable(text: string): ParsedTable {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [head, ...body] = lines;
  const starts: number[] = [];
  const headers: string[] = [];
  for (const m of head.matchAll(/\S+(?: \S+)*/g)) {
    starts.push(m.index);
    headers.push(m[0]);
  }
  const rows = body.map((line) =>
    starts.map((start, j) => {
      const end = j + 1 < starts.length ? starts[j + 1] : line.length;
      return line.slice(start, end).trimEnd();
    }),
  );
  return { headers, rows };
}

/** Rows as objects keyed by the Go field names the given header titles stand for. */
export function tableRows(text: string, fieldByHeader: Record<string, string>): Array<Record<string, string>> {
  const { headers, rows } = parseTable(text);
  return rows.map((cells) => {
    const row: Record<string, string> = {};
    headers.forEach((h, j) => {
      const field = fieldByHeader[h];
      if (field === undefined) throw new Error(`unknown column ${h}`);
      row[field] = cells[j];
    });
    return row;
  });
}
