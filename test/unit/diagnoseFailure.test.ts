// The shared pipeline from a failing test to a fixed file, over in-memory files and a scripted model.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemorySourceFiles } from '../../src/core/blocks/sourceFiles';
import { diagnoseFailure } from '../../src/host/duck/diagnoseFailure';
import { NodeSourceFiles } from '../../src/host/nodeSourceFiles';
import { TreeSitterParser, defaultTreeSitterPaths } from '../../src/host/treeSitter';
import type { ChatRequest, ChatResult, ModelClient } from '../../src/core/modelClient';

const repoRoot = join(__dirname, '../../..');
const root = '/project';
const files = new InMemorySourceFiles([
  [`${root}/pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/pricing.py'), 'utf8')],
  [`${root}/test_pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/test_pricing.py'), 'utf8')],
]);
const parser = new TreeSitterParser(defaultTreeSitterPaths(join(repoRoot, 'out')));
const failure = { file: `${root}/test_pricing.py`, line: 9, name: 'test_ten_percent_off', message: 'assert 0.0 == 72', stack: [{ file: `${root}/test_pricing.py`, line: 9 }] };

class Script implements ModelClient {
  readonly description = 'script';
  readonly asked: ChatRequest[] = [];
  constructor(private readonly replies: string[]) {}
  async chat(request: ChatRequest): Promise<ChatResult> {
    this.asked.push(request);
    return { text: this.replies.shift() ?? '', structured: false, model: 'script' };
  }
}
const reply = (code: string) => JSON.stringify({ summary: 'divides by 10', verdicts: [{ blockId: 'b4', correct: false, why: '/ 10' }], fix: { kind: 'function', code } });
const good = 'def apply_discount(price, percent):\n    """Return the price after taking `percent` percent off, never below zero."""\n    if percent <= 0:\n        return price\n    discounted = price - price * percent / 100\n    return max(discounted, 0)';
const cutOff = 'def apply_discount(price, percent):\n    """Return the price after taking `percent` percent off,\n    if percent <= 0:\n        return price';

test('finds the function the test calls, sends its signature, and returns the fixed file', async () => {
  const model = new Script([reply(good)]);
  const result = await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model });
  assert.ok(result.ok && result.outcome.ok);
  assert.equal(result.target.functionName, 'apply_discount');
  assert.match(model.asked[0]!.messages.map((m) => m.content).join('\n'), /def apply_discount\(price, percent\):/);
  assert.match(result.outcome.newText ?? '', /percent \/ 100\n/);
});

test('a fix that would break the file\'s syntax is sent back once, and the second answer is used', async () => {
  const model = new Script([reply(cutOff), reply(good)]);
  const result = await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model });
  assert.ok(result.ok && result.outcome.ok);
  assert.equal(model.asked.length, 2);
  assert.match(model.asked[1]!.messages.at(-1)!.content, /does not parse/);
  assert.match(result.outcome.newText ?? '', /percent \/ 100\n/);
});

test('a fix that deletes another function of the file is refused: re-asked once, then reported, the file text never changed', async () => {
  const deleting = JSON.stringify({
    summary: 'divides by 10',
    verdicts: [{ blockId: 'b4', correct: false, why: '/ 10' }],
    fix: {
      kind: 'search_replace',
      edits: [{ search: '    return max(discounted, 0)\n\n\ndef total(items):\n    """Sum of quantity * unit price over (name, quantity, unit_price) items."""\n    result = 0\n    for _name, quantity, unit_price in items:\n        result += quantity * unit_price\n    return result', replace: '    return max(discounted, 0)' }],
    },
  });
  const before = await files.read(`${root}/pricing.py`);
  const model = new Script([deleting, deleting]);
  const result = await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model });
  assert.ok(result.ok && result.outcome.ok);
  assert.equal(model.asked.length, 2);
  assert.match(model.asked[1]!.messages.at(-1)!.content, /would delete the function `total` \(line 12\)/);
  assert.equal(result.outcome.newText, undefined);
  assert.match(result.outcome.fixError ?? '', /the fix would delete the function `total` \(line 12\); only `apply_discount` may change/);
  assert.equal(await files.read(`${root}/pricing.py`), before);
});

test('notes from earlier attempts reach the model', async () => {
  const model = new Script([reply(good)]);
  await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model, notes: ['Your previous fix made test_no_discount fail.'] });
  assert.match(model.asked[0]!.messages.at(-1)!.content, /previous fix made test_no_discount fail/);
});

test('no function of the workspace in the failure: a clear error, no model call', async () => {
  const model = new Script([]);
  const result = await diagnoseFailure({ failure: { file: '/elsewhere/test_x.py', line: 1, stack: [] }, roots: [root], files, parser, model: async () => model });
  assert.ok(!result.ok && result.stage === 'target');
  assert.equal(model.asked.length, 0);
});

test('values from the workspace .env files and given secrets never reach the model', async () => {
  const secretFiles = new InMemorySourceFiles([
    [`${root}/pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/pricing.py'), 'utf8').replace('    if percent <= 0:', '    token = "zebra-42-secret"  # also: apikey-777\n    if percent <= 0:')],
    [`${root}/test_pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/test_pricing.py'), 'utf8')],
    [`${root}/.env`, 'TOKEN=zebra-42-secret\n'],
  ]);
  const model = new Script([reply(good)]);
  await diagnoseFailure({ failure, roots: [root], files: secretFiles, parser, model: async () => model, secretValues: ['apikey-777'] });
  const sent = model.asked[0]!.messages.map((m) => m.content).join('\n');
  assert.ok(!sent.includes('zebra-42-secret') && !sent.includes('apikey-777'), sent);
  assert.match(sent, /\[REDACTED\]/);
});

test('a target matching ducktrace.privacy.neverSend is not sent at all', async () => {
  const model = new Script([reply(good)]);
  const result = await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model, neverSend: ['pricing.py'] });
  assert.ok(!result.ok && /neverSend/.test(result.error));
  assert.equal(model.asked.length, 0);
});

test('a target that is a symbolic link out of the workspace is refused', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const base = mkdtempSync(join(tmpdir(), 'ducktrace-symlink-'));
  try {
    const ws = join(base, 'ws');
    const outside = join(base, 'outside');
    mkdirSync(ws);
    mkdirSync(outside);
    writeFileSync(join(outside, 'pricing.py'), readFileSync(join(repoRoot, 'test/fixtures/workspace/pricing.py'), 'utf8'));
    symlinkSync(join(outside, 'pricing.py'), join(ws, 'pricing.py'));
    writeFileSync(join(ws, 'test_pricing.py'), readFileSync(join(repoRoot, 'test/fixtures/workspace/test_pricing.py'), 'utf8'));
    const model = new Script([reply(good)]);
    const f = { ...failure, file: join(ws, 'test_pricing.py'), stack: [{ file: join(ws, 'test_pricing.py'), line: 9 }] };
    const result = await diagnoseFailure({ failure: f, roots: [ws], files: new NodeSourceFiles(), parser, model: async () => model });
    assert.ok(!result.ok && /outside the workspace/.test(result.error), JSON.stringify(result));
    assert.equal(model.asked.length, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('an unsure finder: the chooser picks among the candidates; no choice, no model call; without a chooser the first is taken and the others are reported', async () => {
  const ledger = join(repoRoot, 'test/fixtures/targets/python-ledger');
  const unsure = { file: join(ledger, 'tests/test_ledger.py'), line: 11, name: 'test_balance', message: 'assert 30 == 31', stack: [{ file: join(ledger, 'tests/test_ledger.py'), line: 11 }] };
  const fileFiles = new NodeSourceFiles();
  const deposit = 'def deposit(self, amount, currency="EUR"):\n    self.entries.append(convert(amount, currency))';

  const offered: string[][] = [];
  const model = new Script([JSON.stringify({ summary: 'x', verdicts: [], fix: { kind: 'function', code: deposit } })]);
  const chosen = await diagnoseFailure({
    failure: unsure,
    roots: [ledger],
    files: fileFiles,
    parser,
    model: async () => model,
    locate: {
      choose: async (found) => {
        offered.push(found.candidates.map((c) => c.functionName));
        return found.candidates.find((c) => c.functionName === 'Ledger.deposit');
      },
    },
  });
  assert.deepEqual(offered, [['Ledger.balance', 'Ledger.deposit', 'convert']]);
  assert.ok(chosen.ok);
  assert.equal(chosen.target.functionName, 'Ledger.deposit');
  assert.match(model.asked[0]!.messages.map((m) => m.content).join('\n'), /def deposit\(/);

  const silent = new Script([]);
  const none = await diagnoseFailure({ failure: unsure, roots: [ledger], files: fileFiles, parser, model: async () => silent, locate: { choose: async () => undefined } });
  assert.ok(!none.ok);
  assert.equal(none.reason, 'not-chosen');
  assert.equal(silent.asked.length, 0);

  const events: { confidence: string; alternatives: string[] }[] = [];
  const first = await diagnoseFailure({
    failure: unsure,
    roots: [ledger],
    files: fileFiles,
    parser,
    model: async () => new Script([JSON.stringify({ summary: 'x', verdicts: [] })]),
    onEvent: (e) => {
      if (e.type === 'target') events.push({ confidence: e.confidence, alternatives: e.alternatives.map((a) => a.functionName) });
    },
  });
  assert.ok(first.ok);
  assert.equal(first.target.functionName, 'Ledger.balance');
  assert.deepEqual(events, [{ confidence: 'low', alternatives: ['Ledger.deposit', 'convert'] }]);
});
