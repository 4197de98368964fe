import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Named builder instances of `buildx create/use/ls`: all build into the same berth store. */
export interface BuilderState {
  current: string;
  builders: { name: string; driver: string; platforms: string[] }[];
}

function file(): string {
  return process.env.BERTH_BUILDX_CONFIG ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'berth', 'buildx.json');
}

export function readBuilders(): BuilderState {
  try {
    return JSON.parse(readFileSync(file(), 'utf8')) as BuilderState;
  } catch {
    return { current: 'default', builders: [] };
  }
}

export function writeBuilders(s: BuilderState): void {
  const f = file();
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f + '.tmp', JSON.stringify(s, null, 2));
  renameSync(f + '.tmp', f);
}
