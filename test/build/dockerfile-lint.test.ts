import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultLintConfig,
  detectSyntax,
  Linter,
  lintStage,
  looksLikeSecret,
  parseDirective,
  parseDockerfile,
  parseLintOptions,
  type LintWarning,
} from '../../src/build/dockerfile/index.js';

function warnings(text: string): string[] {
  return parseDockerfile(text).lintWarnings.map((w) => `${w.rule}@${w.location.start}: ${w.message}`);
}

test('checks run while parsing', () => {
  assert.deepEqual(
    warnings('FROM a AS Build\nRUN x \\\n\n  y\nMAINTAINER me\nfrom b as context\nFROM c AS context\nfrom d AS e\nrun z'),
    [
      'NoEmptyContinuation@4: Empty continuation line',
      "StageNameCasing@1: Stage name 'Build' should be lowercase",
      'MaintainerDeprecated@5: Maintainer instruction is deprecated in favor of using label',
      "FromAsCasing@8: 'AS' and 'from' keywords' casing do not match",
      'ReservedStageName@6: Stage name should not use the same name as reserved stage "context"',
      'ReservedStageName@7: Stage name should not use the same name as reserved stage "context"',
      'DuplicateStageName@7: Duplicate stage name "context", stage names should be unique',
      "ConsistentInstructionCasing@6: Command 'from' should match the case of the command majority (uppercase)",
      "ConsistentInstructionCasing@8: Command 'from' should match the case of the command majority (uppercase)",
      "ConsistentInstructionCasing@9: Command 'run' should match the case of the command majority (uppercase)",
    ],
  );
  assert.deepEqual(warnings('FROM a\nRUN b'), []);
  const w = parseDockerfile('FROM a\nMAINTAINER x').lintWarnings[0];
  assert.equal(w.url, 'https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/');
  assert.equal(w.description, 'The MAINTAINER instruction is deprecated, use a label instead to define an image author');
});

test('# check= directive: skip rules, skip all, error, experimental', () => {
  assert.deepEqual(warnings('# check=skip=MaintainerDeprecated,StageNameCasing\nFROM a AS B\nMAINTAINER x'), []);
  assert.deepEqual(warnings('# check=skip=all\nFROM a AS B\nMAINTAINER x'), []);
  const d = parseDockerfile('# check=error=true\nFROM a\nMAINTAINER x');
  assert.equal(d.linter.error()?.message, 'lint violation found for rules: MaintainerDeprecated');
  assert.equal(parseDockerfile('FROM a\nMAINTAINER x').linter.error(), null);
  // Experimental rules only when enabled.
  assert.deepEqual(warnings('# comment about something else\nFROM a AS b'), []);
  assert.deepEqual(warnings('# check=experimental=all\n# comment about something else\nFROM a AS b'), [
    'InvalidDefinitionDescription@3: Comment for FROM should follow the format: `# b <description>`',
  ]);
  assert.deepEqual(warnings('# check=experimental=InvalidDefinitionDescription\n# b the base\nFROM a AS b\n# x y\nARG c d'), [
    'InvalidDefinitionDescription@5: Comment for ARG should follow the format: `# <arg_key> <description>`',
  ]);
  assert.throws(() => parseDockerfile('# check=skip\nFROM a'), /failed to parse check options: invalid check option "skip"/);
  assert.throws(() => parseDockerfile('# check=error=maybe\nFROM a'), /failed to parse check option "error=maybe"/);
});

test('a check comment right above an instruction applies to it', () => {
  assert.deepEqual(warnings('FROM a\n# check=skip=MaintainerDeprecated\nMAINTAINER x\nMAINTAINER y'), [
    'MaintainerDeprecated@4: Maintainer instruction is deprecated in favor of using label',
  ]);
});

test('options: a lint config replaces the directive; warnings are also streamed', () => {
  const seen: LintWarning[] = [];
  const d = parseDockerfile('# check=skip=all\nFROM a\nMAINTAINER x', {
    lintConfig: defaultLintConfig(),
    onWarning: (w) => seen.push(w),
  });
  assert.equal(seen.length, 1);
  assert.deepEqual(d.lintWarnings, seen);
});

test('parseLintOptions', () => {
  assert.deepEqual(parseLintOptions(' skip = A, B ;error=true;experimental=all '), {
    skipAll: false,
    skipRules: ['A', 'B'],
    experimentalAll: true,
    experimentalRules: [],
    returnAsError: true,
  });
  assert.deepEqual(parseLintOptions(''), defaultLintConfig());
  assert.throws(() => parseLintOptions('foo=bar'), /invalid check option "foo"/);
});

test('lintStage: LegacyKeyValueFormat, SecretsUsedInArgOrEnv, MultipleInstructionsDisallowed', () => {
  const d = parseDockerfile('FROM a\nENV K V\nLABEL a b\nARG GITHUB_TOKEN\nENV PUBLIC_KEY=x DB_PASSWORD=y\nCMD a\nCMD b\nENTRYPOINT c\nHEALTHCHECK NONE\nHEALTHCHECK NONE');
  const got: string[] = [];
  lintStage(d.stages[0].commands, new Linter(defaultLintConfig(), (w) => got.push(`${w.rule}@${w.location.start}: ${w.message}`)));
  assert.deepEqual(got, [
    'LegacyKeyValueFormat@2: "ENV key=value" should be used instead of legacy "ENV key value" format',
    'LegacyKeyValueFormat@3: "LABEL key=value" should be used instead of legacy "LABEL key value" format',
    'SecretsUsedInArgOrEnv@4: Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")',
    'SecretsUsedInArgOrEnv@5: Do not use ARG or ENV instructions for sensitive data (ENV "DB_PASSWORD")',
    'MultipleInstructionsDisallowed@6: Multiple CMD instructions should not be used in the same stage because only the last one will be used',
    'MultipleInstructionsDisallowed@9: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used',
  ]);
});

test('secret-looking names', () => {
  for (const k of ['password', 'DB_PASSWORD', 'api_key', 'AUTH', 'my_secret_value', 'GITHUB_TOKEN', 'aws_credentials']) {
    assert.ok(looksLikeSecret(k), k);
  }
  for (const k of ['PUBLIC_KEY', 'KEY_FILE', 'TOKEN_VERSION', 'monkey', 'passwords', 'keys', 'HOME']) {
    assert.ok(!looksLikeSecret(k), k);
  }
});

test('syntax detection (directive, //, JSON, shebang) and parseDirective', () => {
  assert.deepEqual(detectSyntax('# syntax=docker/dockerfile:1 arg\nFROM a'), {
    value: 'docker/dockerfile:1',
    full: 'docker/dockerfile:1 arg',
    line: 1,
  });
  assert.equal(detectSyntax('#!/usr/bin/env buildctl\n# syntax = x/y\nFROM a')?.line, 2);
  assert.equal(detectSyntax('// syntax=x/y\nFROM a')?.value, 'x/y');
  assert.equal(detectSyntax('{"syntax": "x/json"}')?.value, 'x/json');
  assert.equal(detectSyntax('FROM a\n# syntax=x'), null);
  assert.equal(parseDirective('check', '# syntax=a\n# check=skip=all\nFROM a')?.value, 'skip=all');
  assert.equal(parseDirective('check', '// check=skip=all\nFROM a'), null);
});
