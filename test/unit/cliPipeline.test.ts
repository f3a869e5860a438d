// `explain` and `fix` go through the one pipeline (diagnoseFailure), so its guarantees hold for
// both: the workspace's .env values never reach the model, a never-send file stops with a message
// and no request, a named target (--target) replaces the finder, and a failure with no function of
// the workspace is reported as such without asking the model. Seen before: `explain` sent a
// DB_PASSWORD value from .env 9 times in one request.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createExplainCommand } from '../../src/host/cli/explainCommand';
import { createFixCommand } from '../../src/host/cli/fixCommand';
import { fixturePath, repoRoot } from './support/fixtures';

type Server = { baseURL: string; requests: { body: { messages: { role: string; content: string }[] } }[]; close(): Promise<void> };
async function server(steps: object[]): Promise<Server> {
  const { startScriptedModelServer } = await import(pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href);
  return startScriptedModelServer({ steps });
}
const helpersDir = join(repoRoot, 'dist');
const secret = 'zebra-9481-hunter';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}
const sent = (s: Server) => s.requests.map((r) => r.body.messages.map((m) => m.content).join('\n')).join('\n');

/** The pricing workspace with a .env whose password also sits in the code under test and the test. */
function workspaceWithSecret(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-cli-pipeline-'));
  cpSync(fixturePath('workspace'), dir, { recursive: true });
  writeFileSync(join(dir, '.env'), `DB_PASSWORD=${secret}\nNODE_ENV=test\n`);
  const pricing = readFileSync(join(dir, 'pricing.py'), 'utf8').replace('    if percent <= 0:', `    password = "${secret}"  # read from .env in production\n    if percent <= 0:`);
  writeFileSync(join(dir, 'pricing.py'), pricing);
  const tests = readFileSync(join(dir, 'test_pricing.py'), 'utf8').replace('assert apply_discount(80, 10) == 72', `assert apply_discount(80, 10) == 72, "${secret}"`);
  writeFileSync(join(dir, 'test_pricing.py'), tests);
  return dir;
}
const fixed = 'def apply_discount(price, percent):\n    """Return the price after taking `percent` percent off, never below zero."""\n    if percent <= 0:\n        return price\n    discounted = price - price * percent / 100\n    return max(discounted, 0)';
const answer = JSON.stringify({ summary: 'percent is divided by 10, not 100.', verdicts: [{ blockId: 'b4', correct: false, why: '/ 10' }], fix: { kind: 'function', code: fixed } });
const env = (s: Server, extra: Record<string, string> = {}) => ({ DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted', ...extra });

test('explain without --target: the function comes from the failure; .env values and the API key never reach the model', async () => {
  const dir = workspaceWithSecret();
  const s = await server([{ reply: answer }]);
  try {
    const { out, io } = capture();
    const code = await createExplainCommand({ env: env(s, { DUCKTRACE_API_KEY: 'sk-local-key-77' }), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--json'], io);
    assert.equal(code, 0, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.equal(report.target.function, 'apply_discount');
    assert.equal(report.test.name, 'test_ten_percent_off');
    assert.match(report.diff, /\+    discounted = price - price \* percent \/ 100/);
    assert.equal(s.requests.length, 1);
    const prompt = sent(s);
    assert.ok(!prompt.includes(secret), 'the .env value was sent');
    assert.ok(!prompt.includes('sk-local-key-77'));
    assert.match(prompt, /\[REDACTED\]/);
    assert.match(prompt, /assert 0\.0 == 72|72/, 'the failure reached the prompt');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('explain: a never-send target stops with a message and asks nothing; an unknown --target is a usage error', async () => {
  const dir = workspaceWithSecret();
  const s = await server([{ reply: answer }]);
  try {
    const a = capture();
    assert.equal(await createExplainCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--never-send', 'pricing.py'], a.io), 1);
    assert.match(a.out.stderr, /pricing\.py matches a neverSend pattern/);
    const b = capture();
    assert.equal(await createExplainCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--target', 'pricing.py:nope'], b.io), 2);
    assert.match(b.out.stderr, /--target pricing\.py:nope: .*nope/);
    const c = capture();
    assert.equal(await createExplainCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_total'], c.io), 1);
    assert.match(c.out.stderr, /test_total passes: there is no failure to explain/);
    assert.equal(s.requests.length, 0);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fix (dry run): .env values never reach the model; a never-send target is reported as not-sent with no request', async () => {
  const dir = workspaceWithSecret();
  const s = await server([{ reply: answer }]);
  try {
    const a = capture();
    assert.equal(await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--json', '--framework', 'pytest'], a.io), 1, a.out.stderr);
    const report = JSON.parse(a.out.stdout);
    assert.deepEqual(report.iterations.map((i: { result: string }) => i.result), ['proposed']);
    assert.equal(s.requests.length, 1);
    assert.ok(!sent(s).includes(secret), 'the .env value was sent');

    const b = capture();
    assert.equal(await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--json', '--framework', 'pytest', '--never-send', '**/pricing.py'], b.io), 1);
    const refused = JSON.parse(b.out.stdout);
    assert.deepEqual(refused.iterations.map((i: { result: string }) => i.result), ['not-sent']);
    assert.match(refused.iterations[0].detail, /matches a neverSend pattern/);
    assert.equal(s.requests.length, 1, 'no second request');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The test reaches its function through a dynamic lookup: no stack frame and no call the finder can
// resolve. Seen on real projects: such failures ended as `model-error` though no model was asked.
test('fix --write: no function to blame is no-target (no request, no attempt used); --target names it and the loop reaches green', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-cli-target-'));
  const s = await server([{ reply: JSON.stringify({ summary: 'subtracts', verdicts: [], fix: { kind: 'function', code: 'def discount(price):\n    return price - price // 10' } }) }]);
  try {
    writeFileSync(join(dir, 'shop.py'), 'def discount(price):\n    return price - price // 100\n');
    // The function runs in a child process: no trace of this run, and no name in the test or the failure, can point at it.
    writeFileSync(join(dir, 'test_shop.py'), 'import subprocess, sys\n\n\ndef test_discount():\n    out = subprocess.run([sys.executable, "-c", "import shop; print(shop.discount(80))"], capture_output=True, text=True, check=True)\n    assert out.stdout.strip() == "72"\n');
    const a = capture();
    assert.equal(await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--write', '--json', '--max-iterations', '1', '--sandbox', 'off'], a.io), 1, a.out.stderr);
    const skipped = JSON.parse(a.out.stdout);
    assert.deepEqual(skipped.iterations.map((i: { result: string }) => i.result), ['no-target']);
    assert.match(skipped.iterations[0].detail, /found no function of this workspace[\s\S]*--target/);
    assert.equal(skipped.stop, 'no-progress');
    assert.equal(s.requests.length, 0, 'no model request for a failure with no target');

    const b = capture();
    assert.equal(await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--write', '--json', '--target', 'shop.py:discount', '--sandbox', 'off'], b.io), 0, b.out.stderr);
    const green = JSON.parse(b.out.stdout);
    assert.equal(green.stop, 'green');
    assert.deepEqual(green.iterations.map((i: { result: string }) => i.result), ['fixed']);
    assert.match(readFileSync(join(dir, 'shop.py'), 'utf8'), /price \/\/ 10\n/);
    assert.match(sent(s), /def discount\(price\)/);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A name built at run time is invisible to reading the code; running the test once shows the call.
test('fix --write: a function called only through getattr is found by running the test, and the loop reaches green', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-cli-runtime-target-'));
  const s = await server([{ reply: JSON.stringify({ summary: 'subtracts', verdicts: [], fix: { kind: 'function', code: 'def discount(price):\n    return price - price // 10' } }) }]);
  try {
    writeFileSync(join(dir, 'shop.py'), 'def discount(price):\n    return price - price // 100\n');
    writeFileSync(join(dir, 'test_shop.py'), 'import shop\n\n\ndef test_discount():\n    rule = getattr(shop, "dis" + "count")\n    assert rule(80) == 72\n');
    const { out, io } = capture();
    assert.equal(await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--write', '--json', '--sandbox', 'off'], io), 0, out.stderr);
    const green = JSON.parse(out.stdout);
    assert.equal(green.stop, 'green');
    assert.deepEqual(green.iterations.map((i: { result: string }) => i.result), ['fixed']);
    assert.equal(s.requests.length, 1);
    assert.match(sent(s), /def discount\(price\)/);
    assert.match(readFileSync(join(dir, 'shop.py'), 'utf8'), /price \/\/ 10\n/);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Seen: after a fix the test file failed to import, so its tests no longer ran, the failing one
// counted as fixed, the passing one was not missed, and nothing reverted the fix.
test('fix --write: a fix after which the test file no longer loads is reverted, and the model is told why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-cli-broken-run-'));
  cpSync(fixturePath('loop', 'python'), dir, { recursive: true, filter: (src) => !/__pycache__|\.pytest_cache/.test(src) });
  const original = readFileSync(join(dir, 'pricing.py'), 'utf8');
  const body = '    """The price after taking `percent` percent off."""\n    if percent <= 0:\n        return price\n    cut = price * percent / 100\n    return round(price - cut, 2)';
  // The decorator names nothing that exists: importing pricing now fails, so test_pricing.py no longer loads.
  const breaksImport = JSON.stringify({ summary: 'cache it', verdicts: [], fix: { kind: 'function', code: `@memoize\ndef apply_discount(price, percent):\n${body}` } });
  const good = JSON.stringify({ summary: 'percent is out of 100', verdicts: [], fix: { kind: 'function', code: `def apply_discount(price, percent):\n${body}` } });
  const s = await server([{ reply: breaksImport }, { reply: good }]);
  try {
    const { out, io } = capture();
    const code = await createFixCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent', '--write', '--json', '--sandbox', 'off', '--timeout', '20'], io);
    const report = JSON.parse(out.stdout);
    assert.equal(code, 0, out.stderr + out.stdout);
    assert.deepEqual(report.iterations.map((i: { result: string }) => i.result), ['reverted', 'fixed'], JSON.stringify(report.iterations));
    assert.match(report.iterations[0].detail, /test_pricing\.py no longer loads \(.*memoize/);
    const second = s.requests[1]!.body.messages.map((m) => m.content).join('\n');
    assert.match(second, /broke the test run, so it was reverted: test_pricing\.py no longer loads/);
    assert.notEqual(readFileSync(join(dir, 'pricing.py'), 'utf8'), original);
    assert.doesNotMatch(readFileSync(join(dir, 'pricing.py'), 'utf8'), /memoize/);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('explain honours DUCKTRACE_MAX_REPLY_BYTES in the reply parser too: a 1.2 MB answer is read when the cap is 2 MB, refused when it is the default', async () => {
  const dir = workspaceWithSecret();
  const long = JSON.stringify({ summary: `percent is divided by 10, not 100. ${'Checked each block again. '.repeat(48_000)}`, verdicts: [{ blockId: 'b4', correct: false, why: '/ 10' }], fix: { kind: 'function', code: fixed } });
  assert.ok(Buffer.byteLength(long) > 1_100_000 && Buffer.byteLength(long) < 1_400_000);
  const s = await server([{ reply: long }, { reply: long }]);
  try {
    const raised = capture();
    const code = await createExplainCommand({ env: env(s, { DUCKTRACE_MAX_REPLY_BYTES: '2000000' }), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--json'], raised.io);
    assert.equal(code, 0, raised.out.stderr);
    assert.match(JSON.parse(raised.out.stdout).diff, /percent \/ 100/);
    const standard = capture();
    assert.equal(await createExplainCommand({ env: env(s), helpersDir }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--json'], standard.io), 1);
    assert.match(standard.out.stderr + standard.out.stdout, /DUCKTRACE_MAX_REPLY_BYTES/);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
