// `ducktrace fix`: Iterate Until Green from the command line, against a real local
// OpenAI-compatible server with scripted replies, on a copy of a small Python project with two
// independent bugs (test/fixtures/loop/python). With --write it reaches green in two iterations;
// the dry run proposes both fixes and changes nothing.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { cliCommands } from '../../src/host/cli/commands';
import { endpointFromEnv } from '../../src/host/cli/cliSupport';
import { createFixCommand, fixCommand, parseFixArgs } from '../../src/host/cli/fixCommand';
import { atomicWrite } from '../../src/host/loop/fsLoopPorts';
import { matchesTest, pytestNodeId } from '../../src/core/failures/testSelectors';
import { fixturePath, repoRoot } from './support/fixtures';

type Server = { baseURL: string; requests: { body: { messages: { role: string; content: string }[] } }[]; close(): Promise<void> };
const serverModule = pathToFileURL(join(__dirname, '../../../test/support/scriptedModelServer.mjs')).href;
async function server(steps: object[]): Promise<Server> {
  const { startScriptedModelServer } = await import(serverModule);
  return startScriptedModelServer({ steps });
}
const helpersDir = join(repoRoot, 'dist');

// The two fixes in two of the formats models use: JSON with a whole function, and SEARCH/REPLACE.
const discountFix = JSON.stringify({
  summary: 'percent is a percentage but is used as a fraction: the cut is 100 times too large.',
  verdicts: [
    { block: 'b1', correct: true, why: 'No discount keeps the price.' },
    { block: 'b3', correct: false, why: 'cut must be price * percent / 100.' },
  ],
  fix: {
    kind: 'function',
    code: 'def apply_discount(price, percent):\n    """The price after taking `percent` percent off."""\n    if percent <= 0:\n        return price\n    cut = price * percent / 100\n    return round(price - cut, 2)',
    diff: null,
    edits: null,
  },
  test_is_wrong: null,
});
const wordsFix = [
  'SUMMARY: words is never incremented, so every text has 0 words.',
  'VERDICT b1: correct | starts outside a word.',
  '',
  'text_utils.py',
  '```python',
  '<<<<<<< SEARCH',
  '        elif not in_word:',
  '            in_word = True',
  '=======',
  '        elif not in_word:',
  '            in_word = True',
  '            words += 1',
  '>>>>>>> REPLACE',
  '```',
].join('\n');

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-fix-'));
  cpSync(fixturePath('loop', 'python'), dir, { recursive: true, filter: (src) => !/__pycache__|\.benchmarks|\.pytest_cache/.test(src) });
  return dir;
}

function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).filter((n) => n.endsWith('.py')).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

test('fix is registered with the CLI', () => {
  assert.ok(cliCommands.includes(fixCommand));
});

test('arguments and the endpoint from the environment; usage and configuration errors in words', () => {
  assert.deepEqual(parseFixArgs(['--cwd', 'p', '--test', 't.py::a', '--max-iterations=3', '--write', '--json', '--framework', 'pytest', '--timeout', '2'], '/x', {}), {
    cwd: '/x/p',
    test: 't.py::a',
    maxIterations: 3,
    write: true,
    json: true,
    framework: 'pytest',
    timeoutSeconds: 2,
    python: 'python3',
    allowTestEdits: false,
    sandbox: 'auto',
    neverSend: [],
  });
  assert.deepEqual(parseFixArgs(['--cwd=p', '--target', 'src/calc.py:Calc.add', '--sandbox', 'off', '--never-send', '**/fixtures/**', '--never-send', 'x.py'], '/x', {}), {
    cwd: '/x/p',
    target: { file: 'src/calc.py', function: 'Calc.add' },
    maxIterations: 5,
    write: false,
    json: false,
    framework: 'auto',
    timeoutSeconds: 30,
    python: 'python3',
    allowTestEdits: false,
    sandbox: 'off',
    neverSend: ['**/fixtures/**', 'x.py'],
  });
  assert.match(String(parseFixArgs(['--cwd', 'p', '--sandbox', 'strict'], '/x', {})), /--sandbox must be auto or off/);
  assert.match(String(parseFixArgs(['--cwd', 'p', '--target', 'nocolon'], '/x', {})), /--target needs FILE:FUNCTION/);
  assert.match(String(parseFixArgs(['--cwd', 'p', '--test'], '/x', {})), /--test needs TEST/);
  assert.match(String(parseFixArgs(['--cwd', 'p', '--write=yes'], '/x', {})), /--write takes no value/);
  assert.equal(parseFixArgs([], '/x', {}), 'missing --cwd DIR');
  assert.match(String(parseFixArgs(['--cwd', 'p', '--max-iterations', '0'], '/x', {})), /positive whole number/);
  assert.match(String(parseFixArgs(['--cwd', 'p', '--framework', 'ava'], '/x', {})), /--framework must be one of/);
  assert.match(String(parseFixArgs(['--cwd', 'p', 'extra'], '/x', {})), /unexpected argument 'extra'/);
  assert.match(String(endpointFromEnv({})), /DUCKTRACE_BASE_URL and DUCKTRACE_MODEL are not set/);
  assert.match(String(endpointFromEnv({ DUCKTRACE_BASE_URL: 'http://h/v1' })), /^DUCKTRACE_MODEL is not set/);
  assert.deepEqual(endpointFromEnv({ DUCKTRACE_BASE_URL: 'http://h/v1', DUCKTRACE_MODEL: 'm', DUCKTRACE_API_KEY: 'k' }), {
    baseUrl: 'http://h/v1',
    model: 'm',
    apiKey: 'k',
    limits: { names: { total: 'DUCKTRACE_MODEL_TIMEOUT_SECONDS', maxOutputTokens: 'DUCKTRACE_MAX_OUTPUT_TOKENS', maxReplyBytes: 'DUCKTRACE_MAX_REPLY_BYTES' } },
  });
});

test('exit 2 without a model endpoint or with bad usage, before anything runs', async () => {
  const dir = copyProject();
  try {
    const command = createFixCommand({ env: {} });
    const a = capture();
    assert.equal(await command.run(['--cwd', dir, '--write'], a.io), 2);
    assert.match(a.out.stderr, /DUCKTRACE_BASE_URL and DUCKTRACE_MODEL are not set/);
    const b = capture();
    assert.equal(await command.run(['--write'], b.io), 2);
    assert.match(b.out.stderr, /missing --cwd DIR/);
    const c = capture();
    assert.equal(await createFixCommand({ env: { DUCKTRACE_BASE_URL: 'http://127.0.0.1:9/v1', DUCKTRACE_MODEL: 'm' } }).run(['--cwd', join(dir, 'nope')], c.io), 2);
    assert.match(c.out.stderr, /no such folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pytest node ids from test ids, and --test matching by node id, name, file or parametrised name', () => {
  assert.equal(pytestNodeId('/p/tests/test_a.py::TestX::test_y[1-2]', '/p'), 'tests/test_a.py::TestX::test_y[1-2]');
  const t = { testId: '/p/tests/test_a.py::test_y[1-2]', name: 'test_y[1-2]', file: '/p/tests/test_a.py' };
  for (const s of ['tests/test_a.py::test_y[1-2]', './tests/test_a.py', 'tests/test_a.py::test_y', 'test_y', 'test_y[1-2]']) assert.ok(matchesTest(s, t, '/p'), s);
  for (const s of ['test_a.py', 'tests/test_b.py', 'test_z']) assert.ok(!matchesTest(s, t, '/p'), s);
});

test('atomicWrite replaces the file through a temp file and keeps its mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-atomic-'));
  try {
    const file = join(dir, 'run.py');
    writeFileSync(file, 'old\n', { mode: 0o750 });
    await atomicWrite(file, 'new\n');
    assert.equal(readFileSync(file, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(dir), ['run.py'], 'no temp file left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--write: two independent bugs, green in two iterations, with the timeline and the diffs', async () => {
  const dir = copyProject();
  const s = await server([{ reply: discountFix }, { reply: wordsFix }]);
  try {
    const command = createFixCommand({ env: { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted' }, helpersDir });
    const { out, io } = capture();
    const code = await command.run(['--cwd', dir, '--write', '--json', '--timeout', '10'], io);
    assert.equal(code, 0, out.stderr + out.stdout);
    const report = JSON.parse(out.stdout);
    assert.equal(report.stop, 'green');
    assert.deepEqual(report.iterations.map((i: { test: string; result: string }) => [i.test, i.result]), [
      ['test_ten_percent', 'fixed'],
      ['test_three_words', 'fixed'],
    ]);
    assert.match(report.iterations[0].diff, /^-    cut = price \* percent$/m);
    assert.match(report.iterations[0].diff, /^\+    cut = price \* percent \/ 100$/m);
    assert.deepEqual(report.fixed.map((id: string) => id.split('::').pop()).sort(), ['test_ten_percent', 'test_three_words']);
    assert.deepEqual(report.stillFailing, []);
    assert.match(report.diff, /\+\+\+ b\/pricing\.py/);
    assert.match(report.diff, /\+\+\+ b\/text_utils\.py/);
    assert.match(readFileSync(join(dir, 'pricing.py'), 'utf8'), /cut = price \* percent \/ 100/);
    assert.match(readFileSync(join(dir, 'text_utils.py'), 'utf8'), /words \+= 1/);
    assert.equal(s.requests.length, 2);
    // The prompt carried the runtime values of the traced function.
    assert.match(s.requests[0]!.body.messages.map((m) => m.content).join('\n'), /^- call 1: apply_discount\(.*\) → returned -1800$/m);
    assert.ok(!readdirSync(dir).some((n) => n.includes('.ducktrace-')), 'no temp files left in the project');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dry run: each failing test diagnosed once, the diffs printed, nothing changed; exit 1', async () => {
  const dir = copyProject();
  const before = snapshot(dir);
  const s = await server([{ reply: discountFix }, { reply: wordsFix }]);
  try {
    const command = createFixCommand({ env: { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted' }, helpersDir });
    const { out, io } = capture();
    const code = await command.run(['--cwd', dir, '--timeout', '10'], io);
    assert.equal(code, 1, out.stderr);
    assert.match(out.stdout, /\[1\] test_ten_percent: proposed/);
    assert.match(out.stdout, /\[2\] test_three_words: proposed/);
    assert.match(out.stdout, /^\+    cut = price \* percent \/ 100$/m);
    assert.match(out.stdout, /^\+            words \+= 1$/m);
    assert.match(out.stdout, /Dry run: 2 fixes proposed for 2 failing tests; nothing was changed/);
    assert.deepEqual(snapshot(dir), before);
    assert.equal(s.requests.length, 2);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--test limits the loop to one test; a fix that breaks a passing test is reverted and shown; the other failure is left alone', async () => {
  const dir = copyProject();
  const breaksEmpty = JSON.stringify({ summary: 'Count differently.', verdicts: [], fix: { kind: 'function', code: 'def count_words(text):\n    return 3', diff: null, edits: null }, test_is_wrong: null });
  const s = await server([{ reply: breaksEmpty }, { reply: wordsFix }]);
  try {
    const command = createFixCommand({ env: { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted' }, helpersDir });
    const { out, io } = capture();
    const code = await command.run(['--cwd', dir, '--test', 'test_text_utils.py::test_three_words', '--write', '--json', '--timeout', '10'], io);
    assert.equal(code, 0, out.stderr + out.stdout);
    const report = JSON.parse(out.stdout);
    assert.equal(report.stop, 'green');
    assert.deepEqual(report.iterations.map((i: { result: string }) => i.result), ['reverted', 'fixed']);
    assert.match(report.iterations[0].detail, /Reverted: it broke test_empty/);
    assert.match(report.iterations[0].diff, /^\+    return 3$/m, 'the timeline shows what was tried');
    assert.match(report.diff, /^\+            words \+= 1$/m);
    assert.doesNotMatch(report.diff, /return 3/);
    assert.equal(readFileSync(join(dir, 'pricing.py'), 'utf8'), readFileSync(fixturePath('loop', 'python', 'pricing.py'), 'utf8'));
    assert.ok(existsSync(join(dir, 'text_utils.py')));
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
