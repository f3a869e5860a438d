// `ducktrace localize`: argument parsing, the JSON it prints (blocks best first), exit codes; one
// real run on the fixture project.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalizeCommand, localizeCommand, parseLocalizeArgs } from '../../src/host/cli/localizeCommand';
import { cliCommands } from '../../src/host/cli/commands';
import type { localize } from '../../src/host/localize/localize';
import { fixturePath } from './support/fixtures';

const cwd = fixturePath('spectra', 'python');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

test('localize is registered with the CLI', () => {
  assert.ok(cliCommands.includes(localizeCommand));
});

test('arguments: target, cwd, test command, timeouts; usage errors in words', () => {
  assert.deepEqual(parseLocalizeArgs(['--target', 'a.py:f', '--cwd', '/p', '--test-command', 'pytest t.py', '--json', '--test-timeout=2', '--timeout', '30'], '/x'), {
    cwd: '/p',
    target: { file: 'a.py', function: 'f' },
    json: true,
    testCommand: 'pytest t.py',
    testTimeoutSeconds: 2,
    timeoutMs: 30_000,
  });
  assert.equal(parseLocalizeArgs([], '/x'), 'missing --target FILE:FUNCTION');
  assert.match(String(parseLocalizeArgs(['--target', 'nocolon'])), /FILE:FUNCTION/);
  assert.match(String(parseLocalizeArgs(['--target', 'a.py:f', '--test-timeout=-1'])), /positive number/);
  assert.match(String(parseLocalizeArgs(['--target', 'a.py:f', '--bogus'])), /unknown option '--bogus'/);
});

test('usage errors exit 2; a failing run exits 1 with the reason', async () => {
  const { out, io } = capture();
  assert.equal(await localizeCommand.run(['--json'], io), 2);
  assert.match(out.stderr, /Usage: ducktrace localize/);
  const failing = createLocalizeCommand((async () => {
    throw new Error('boom');
  }) as unknown as typeof localize);
  const c = capture();
  assert.equal(await failing.run(['--target', 'a.py:f'], c.io), 1);
  assert.match(c.out.stderr, /ducktrace localize: boom/);
});

test('a real run on the fixture: { blocks: [{ id, range, score, rank }] } best first, and which blocks each test ran', async () => {
  const { out, io } = capture();
  const code = await localizeCommand.run(['--cwd', cwd, '--target', 'clamp.py:clamp_sum', '--test-command', 'pytest -p no:hypothesispytest test_clamp.py', '--test-timeout', '1', '--json'], io);
  assert.equal(code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.failingTests, 1, 'test_spin_odd fails without reaching clamp_sum: it does not count');
  assert.equal(json.passingTests, 2);
  assert.equal(json.blocks.length, 8);
  assert.deepEqual(Object.keys(json.blocks[0]).slice(0, 4), ['id', 'range', 'score', 'rank']);
  assert.equal(json.blocks[0].id, 'b7');
  assert.deepEqual(json.blocks[0].range.start, { line: 8, character: 8 });
  const ranks = json.blocks.map((b: { rank: number }) => b.rank);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
  assert.deepEqual(json.tests['test_clamp.py::test_spin_odd'], { outcome: 'failed', blocks: [] });
  assert.deepEqual(json.tests['test_clamp.py::test_over_limit'].blocks, ['b1', 'b2', 'b3', 'b5', 'b6', 'b7', 'b8']);

  const text = capture();
  assert.equal(await localizeCommand.run(['--cwd', cwd, '--target', 'clamp.py:clamp_sum', '--test-command', 'pytest -p no:hypothesispytest test_clamp.py -k "not spin"'], text.io), 0, text.out.stderr);
  assert.match(text.out.stdout, /^clamp_sum in .*clamp\.py: 1 failing and 2 passing tests reached it\n#1 +b7 +line 8 /);
});

test('JavaScript: the test files that mention the function run under node:test; --tests and --framework pick them', async () => {
  const jsCwd = fixturePath('spectra', 'js');
  assert.deepEqual(parseLocalizeArgs(['--target', 'a.js:f', '--tests', 'a.test.js', '--tests=b.test.js', '--framework', 'jest'], '/x'), {
    cwd: '/x',
    target: { file: 'a.js', function: 'f' },
    json: false,
    testFiles: ['a.test.js', 'b.test.js'],
    framework: 'jest',
  });
  assert.match(String(parseLocalizeArgs(['--target', 'a.js:f', '--framework', 'ava'])), /node, jest, vitest or mocha, not 'ava'/);
  assert.equal((parseLocalizeArgs(['--target', 'a.js:f', '--framework', 'mocha']) as { framework?: string }).framework, 'mocha');
  assert.match(String(parseLocalizeArgs(['--target', 'a.js:f', '--tests', 'a.test.js', '--test-command', 'pytest'])), /do not go together/);

  const { out, io } = capture();
  const code = await localizeCommand.run(['--cwd', jsCwd, '--target', 'clamp.js:clampSum', '--tests', 'clamp.test.js', '--json'], io);
  assert.equal(code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.failingTests, 1, 'first names fails without reaching clampSum: it does not count');
  assert.equal(json.passingTests, 2);
  assert.equal(json.blocks[0].id, 'b7');
  assert.deepEqual(json.blocks[0].range.start, { line: 10, character: 4 });
  assert.deepEqual(json.tests[`${jsCwd}/clamp.test.js::limits::over::over limit`], { outcome: 'failed', blocks: ['b1', 'b2', 'b3', 'b5', 'b6', 'b7', 'b8'] });

  const none = capture();
  assert.equal(await localizeCommand.run(['--cwd', jsCwd, '--target', 'clamp.js:clampSum', '--test-command', 'pytest x'], none.io), 1);
  assert.match(none.out.stderr, /--test-command takes a pytest command/);
});
