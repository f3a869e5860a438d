// `ducktrace explain` against a real local OpenAI-compatible server with a scripted answer.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createExplainCommand } from '../../src/host/cli/explainCommand';

const repoRoot = join(__dirname, '../../..');
const serverModule = pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href;
const fixed = 'def apply_discount(price, percent):\n    """Return the price after taking `percent` percent off, never below zero."""\n    if percent <= 0:\n        return price\n    discounted = price - price * percent / 100\n    return max(discounted, 0)';
const answer = JSON.stringify({ summary: 'percent is divided by 10, not 100.', verdicts: [{ blockId: 'b4', correct: false, why: 'price * 10 / 10 takes the whole price' }], fix: { kind: 'function', code: fixed } });

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

test('explain traces the test, asks the model with the values, prints verdicts and the fix as a diff, writes nothing', async () => {
  const { startScriptedModelServer } = await import(serverModule);
  const server = await startScriptedModelServer({ steps: [{ reply: answer }] });
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-explain-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/workspace'), dir, { recursive: true });
    const before = readFileSync(join(dir, 'pricing.py'), 'utf8');
    const { out, io } = capture();
    const code = await createExplainCommand({ env: { DUCKTRACE_BASE_URL: server.baseURL, DUCKTRACE_MODEL: 'scripted' } }).run(['--cwd', dir, '--test', 'test_pricing.py::test_ten_percent_off', '--target', 'pricing.py:apply_discount', '--json'], io);
    assert.equal(code, 0, out.stderr);
    const result = JSON.parse(out.stdout);
    assert.equal(result.summary, 'percent is divided by 10, not 100.');
    assert.match(result.diff, /-    discounted = price - price \* percent \/ 10 {2}# bug/);
    assert.match(result.diff, /\+    discounted = price - price \* percent \/ 100/);
    const prompt = server.requests[0].body.messages.map((m: { content: string }) => m.content).join('\n');
    assert.match(prompt, /discounted/);
    assert.match(prompt, /0\.0/, 'the traced value of discounted reached the prompt');
    assert.equal(readFileSync(join(dir, 'pricing.py'), 'utf8'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});

test('explain without an endpoint says what to set and exits 2', async () => {
  const { out, io } = capture();
  const code = await createExplainCommand({ env: {} }).run(['--test', 't', '--target', 'x.py:f'], io);
  assert.equal(code, 2);
  assert.match(out.stderr, /DUCKTRACE_BASE_URL and DUCKTRACE_MODEL are not set/);
});

test("explain on a node:test test: the prompt has the test and the function as written, a clean failure, numbers as numbers (issue 14's case)", async () => {
  const { startScriptedModelServer } = await import(serverModule);
  const fixedSplit = "function split(amount, parts) {\n  if (parts <= 0) throw new RangeError('parts must be positive');\n  const base = Math.floor(amount / parts);\n  const rest = amount % parts;\n  const shares = [];\n  for (let i = 0; i < parts; i++) {\n    shares.push(i < rest ? base + 1 : base);\n  }\n  return shares;\n}";
  const server = await startScriptedModelServer({ steps: [{ reply: JSON.stringify({ summary: 'rest - 1', verdicts: [], fix: { kind: 'function', code: fixedSplit } }) }] });
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-explain-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/prompts/projects/node-cjs'), dir, { recursive: true });
    const { out, io } = capture();
    const code = await createExplainCommand({ env: { DUCKTRACE_BASE_URL: server.baseURL, DUCKTRACE_MODEL: 'scripted' } }).run(['--cwd', dir, '--test', 'test/money.test.js::split::the first shares get the extra cents', '--target', 'src/money.js:split', '--json'], io);
    assert.equal(code, 0, out.stderr);
    const prompt = server.requests[0].body.messages.map((m: { content: string }) => m.content).join('\n');
    assert.match(prompt, /^ {2}if \(parts <= 0\) throw new RangeError\('parts must be positive'\);$/m, 'the line as written, not cut in two');
    assert.match(prompt, /^ {2}for \(let i = 0; i < parts; i\+\+\) \{$/m, 'braces kept');
    assert.match(prompt, /^ {2}test\('the first shares get the extra cents', \(\) => \{\n {4}const shares = split\(bill\.amount, bill\.people\);$/m, "the test's own source");
    assert.match(prompt, /^AssertionError: Expected values to be strictly equal\nExpected: 10\nActual: {3}9$/m);
    assert.match(prompt, /split\(amount: number = 10, parts: number = 3\)/);
    assert.doesNotMatch(prompt, /# SKIP|# Subtest|^ok \d|^not ok|node:internal|"amount":"10"/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});
