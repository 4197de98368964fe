import { sharedDir } from '../helpers/paths.js';
// Runs every case of BuildKit's shell lexer test data (shared/conformance/buildkit-shell-lexer).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFromList, ShellLex } from '../../src/build/dockerfile/index.js';

const dir = join(sharedDir(), 'conformance', 'buildkit-shell-lexer');

// Cases berth cannot pass yet (by input), with the reason.
const knownFailures = new Map<string, string>();

interface EnvVarCase {
  line: number;
  input: string;
  expected: string;
}

function envVarCases(): EnvVarCase[] {
  const cases: EnvVarCase[] = [];
  readFileSync(join(dir, 'envVarTest'), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (raw.startsWith('#')) return;
      const line = raw.trim();
      if (line === '') return;
      const fields = line.split('|');
      assert.equal(fields.length, 3, `envVarTest line ${i + 1}`);
      const platform = fields[0].trim();
      assert.ok(['A', 'U', 'W'].includes(platform), `platform at line ${i + 1}`);
      if (platform === 'W') return; // Windows-only expectation
      cases.push({ line: i + 1, input: fields[1].trim(), expected: fields[2].trim() });
    });
  return cases;
}

const env = envFromList(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
const envCases = envVarCases();

test('envVarTest: every Unix/all-platform case', () => {
  const lex = new ShellLex('\\');
  const failures: string[] = [];
  for (const c of envCases) {
    if (knownFailures.has(c.input)) continue;
    try {
      const got = lex.processWord(c.input, env);
      if (c.expected === 'error') failures.push(`line ${c.line}: ${JSON.stringify(c.input)} gave ${JSON.stringify(got)}, want error`);
      else if (got !== c.expected) {
        failures.push(`line ${c.line}: ${JSON.stringify(c.input)} gave ${JSON.stringify(got)}, want ${JSON.stringify(c.expected)}`);
      }
    } catch (err) {
      if (c.expected !== 'error') failures.push(`line ${c.line}: ${JSON.stringify(c.input)} threw ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
  console.log(`envVarTest: ${envCases.length - knownFailures.size}/${envCases.length} pass`);
  assert.equal(envCases.length, 228); // 230 cases, 2 of them Windows-only
});

test('wordsTest: every case, with ENV lines setting state', () => {
  const lex = new ShellLex('\\');
  const envs: string[] = [];
  const failures: string[] = [];
  let count = 0;
  readFileSync(join(dir, 'wordsTest'), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('#') || line === '') return;
      if (line.startsWith('ENV ')) {
        envs.push(line.slice(3).replace(/^ +/, ''));
        return;
      }
      const fields = line.split('|');
      assert.equal(fields.length, 2, `wordsTest line ${i + 1}`);
      const input = fields[0].trim();
      const expected = fields[1].replace(/^ +/, '').split(',');
      count++;
      let got: string[];
      try {
        got = lex.processWords(input, envFromList(envs));
      } catch {
        got = ['error'];
      }
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        failures.push(`line ${i + 1}: ${JSON.stringify(input)} gave ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
      }
    });
  assert.deepEqual(failures, []);
  console.log(`wordsTest: ${count}/${count} pass`);
  assert.equal(count, 24);
});
