/** `top`: the processes of a running container, as the host's ps shows them (Docker's ContainerTop). */
import { spawnSync } from 'node:child_process';
import type { EngineCore } from './engine.js';
import { conflict, invalidArgument } from '../image/errors.js';
import { containerEvent, isRunning } from '../runtime/container-store.js';
import { containerPaths } from '../runtime/container-files.js';
import { Runc } from '../runtime/runc.js';
import { getContainer } from './containers.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Runs ps with `psArgs` (default -ef) and keeps the rows of the container's processes. */
export function topContainer(engine: EngineCore, input: string, psArgs = '-ef'): TopResult {
  const row = getContainer(engine, input);
  if (!isRunning(row)) throw conflict(`Container ${row.id} is not running`);
  const runc = new Runc(containerPaths(engine.store, row.id).runDir);
  const pids = new Set((JSON.parse(runc.run('ps', ['ps', '--format', 'json', row.id]) || '[]') as number[]).map(String));
  const args = psArgs.split(/\s+/).filter(Boolean);
  const ps = spawnSync('ps', args, { encoding: 'utf8' });
  engine.store.tx(() => containerEvent(engine.store, row, 'top'));
  if (ps.error || ps.status !== 0) {
    throw invalidArgument(`Error running ps: ${ps.error?.message ?? 'exit status ' + String(ps.status)}: ${(ps.stderr ?? '').trim()}`);
  }
  return parsePs(ps.stdout, pids);
}

/** Docker's parsePSOutput: the header's fields, each row cut into as many (the last takes the rest). */
export function parsePs(out: string, pids: Set<string>): TopResult {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidAt = titles.indexOf('PID');
  if (pidAt < 0) throw invalidArgument("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields: string[] = [];
    let rest = line.trim();
    while (fields.length < titles.length - 1 && rest !== '') {
      const m = /^(\S+)\s*(.*)$/s.exec(rest)!;
      fields.push(m[1]!);
      rest = m[2]!;
    }
    if (rest !== '') fields.push(rest);
    if (pids.has(fields[pidAt] ?? '')) processes.push(fields);
  }
  return { Titles: titles, Processes: processes };
}
