import { sharedDir } from '../helpers/paths.js';
// Runs every case of BuildKit's parser test data (shared/conformance/buildkit-dockerfile-parser):
// positive cases must dump exactly to `result`, negative ones must fail to parse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpNode, parse } from '../../src/build/dockerfile/index.js';

const root = join(sharedDir(), 'conformance', 'buildkit-dockerfile-parser');
const positiveDir = join(root, 'testfiles');
const negativeDir = join(root, 'testfiles-negative');

const positive = existsSync(positiveDir) ? readdirSync(positiveDir).sort() : [];
const negative = existsSync(negativeDir) ? readdirSync(negativeDir).sort() : [];

// Cases berth cannot pass yet, with the reason. Listed and counted, never skipped silently.
const knownFailures = new Map<string, string>();

test('conformance data is present', () => {
  assert.equal(positive.length, 33);
  assert.equal(negative.length, 4);
});

for (const name of positive) {
  test(`parser conformance: ${name}`, { todo: knownFailures.get(name) }, () => {
    const dockerfile = readFileSync(join(positiveDir, name, 'Dockerfile'));
    const expected = readFileSync(join(positiveDir, name, 'result'), 'utf8');
    const result = parse(dockerfile);
    assert.equal(dumpNode(result.ast) + '\n', expected);
  });
}

for (const name of negative) {
  test(`parser conformance (negative): ${name}`, { todo: knownFailures.get(name) }, () => {
    const dockerfile = readFileSync(join(negativeDir, name, 'Dockerfile'));
    assert.throws(() => parse(dockerfile));
  });
}

test('parser conformance summary', () => {
  const failures = [...knownFailures.keys()];
  console.log(
    `buildkit-dockerfile-parser: ${positive.length + negative.length - failures.length}/${positive.length + negative.length} pass` +
      (failures.length ? `; known failures: ${failures.join(', ')}` : ''),
  );
});
