// The duck's round trip over the ModelClient port: a real prompt for a real function (blocks from
// tree-sitter), answers from a scripted client, and the exact file text that comes out.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blocksOfFunction } from '../../src/core/blocks/functionBlocks';
import { explainAndFix, type ExplainEvent } from '../../src/core/duck/explainAndFix';
import { ModelError, type ChatRequest, type ChatResult, type ModelClient } from '../../src/core/modelClient';
import { TreeSitterParser, defaultTreeSitterPaths } from '../../src/host/treeSitter';

const repoRoot = join(__dirname, '../../..');
const file = join(repoRoot, 'test/fixtures/workspace/pricing.py');
const source = readFileSync(file, 'utf8');
const fixedFunction = [
  'def apply_discount(price, percent):',
  '    """Return the price after taking `percent` percent off, never below zero."""',
  '    if percent <= 0:',
  '        return price',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
].join('\n');

/** Answers each request with the next scripted reply (or error), streaming it in small pieces. */
class ScriptedClient implements ModelClient {
  readonly description = 'scripted';
  readonly requests: ChatRequest[] = [];
  constructor(private readonly replies: (string | ModelError)[]) {}
  async chat(request: ChatRequest): Promise<ChatResult> {
    this.requests.push({ ...request, messages: [...request.messages] });
    const next = this.replies.shift();
    if (next === undefined) throw new Error('script ran out');
    if (next instanceof ModelError) throw next;
    for (let i = 0; i < next.length; i += 9) {
      if (request.signal?.aborted) throw new ModelError('cancelled', 'cancelled');
      request.onText?.(next.slice(i, i + 9));
    }
    return { text: next, structured: true, model: 'scripted-1', usage: { inputTokens: 100, outputTokens: 50 } };
  }
}

async function setup() {
  const parser = new TreeSitterParser(defaultTreeSitterPaths(join(repoRoot, 'out')));
  const fb = await blocksOfFunction(source, 'python', parser, { name: 'apply_discount' });
  return {
    prompt: {
      intent: { testName: 'test_ten_percent_off', testSource: 'def test_ten_percent_off():\n    assert apply_discount(80, 10) == 72\n', message: 'assert 0.0 == 72', expected: '72', actual: '0.0' },
      fn: { name: fb.function.name, language: 'python', range: fb.function.range, blocks: fb.blocks },
    },
    target: { name: fb.function.name, range: fb.function.range, language: 'python' as const },
    blocks: fb.blocks,
    parser,
  };
}

const goodReply = (blockIds: string[]) =>
  JSON.stringify({
    summary: 'The discount divides by 10 instead of 100, so 10% takes the whole price off.',
    verdicts: blockIds.map((id, i) => ({ blockId: id, correct: i !== blockIds.length - 1, why: i === blockIds.length - 1 ? 'percent / 10 should be percent / 100' : 'matches the intent' })),
    fix: { kind: 'function', code: fixedFunction },
  });

test('a good answer streams verdicts, then gives the exact fixed file', async () => {
  const { prompt, target, blocks, parser } = await setup();
  const client = new ScriptedClient([goodReply(blocks.map((b) => b.id))]);
  const events: ExplainEvent[] = [];
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target, onEvent: (e) => events.push(e) });
  assert.ok(outcome.ok, !outcome.ok ? outcome.error : '');
  assert.equal(outcome.newText, source.replace('percent / 10  # bug: percent is out of 100', 'percent / 100'));
  const verdictEvents = events.filter((e) => e.type === 'verdicts');
  assert.ok(verdictEvents.length >= 2, 'verdicts arrived while streaming');
  assert.equal(outcome.diagnosis.verdicts.filter((v) => !v.correct).length, 1);
  assert.ok(client.requests[0]!.schema, 'structured output was asked for');
  assert.equal(outcome.tokens.input, 100);
});

test('an unusable answer gets one re-ask quoting the problem; the second answer is used', async () => {
  const { prompt, target, blocks, parser } = await setup();
  const client = new ScriptedClient(['I think the bug is somewhere in the discount.', goodReply(blocks.map((b) => b.id))]);
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.ok(outcome.ok);
  assert.equal(client.requests.length, 2);
  const reask = client.requests[1]!.messages;
  assert.equal(reask[reask.length - 2]!.role, 'assistant');
  assert.match(reask[reask.length - 1]!.content, /could not be used/);
});

test('two unusable answers end in a clear error and no new text', async () => {
  const { prompt, target, parser } = await setup();
  const client = new ScriptedClient(['no idea', '{"summary": "truncated', ]);
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && outcome.kind === 'reply');
  assert.ok(!outcome.ok && /even when asked again/.test(outcome.error));
});

test('a context-length error shrinks the prompt and tries once more', async () => {
  const { prompt, target, blocks, parser } = await setup();
  const client = new ScriptedClient([new ModelError('contextLength', 'too long'), goodReply(blocks.map((b) => b.id))]);
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.ok(outcome.ok);
  assert.equal(client.requests.length, 2);
});

test('model errors and cancellation come back as failures, not exceptions', async () => {
  const { prompt, target, parser } = await setup();
  const auth = await explainAndFix({ model: new ScriptedClient([new ModelError('auth', 'The model server refused the API key', 401, 'Set API Key')]), parser, prompt, fileText: source, target });
  assert.ok(!auth.ok && auth.kind === 'model' && auth.modelError?.nextAction === 'Set API Key');
  const controller = new AbortController();
  controller.abort();
  const cancelled = await explainAndFix({ model: new ScriptedClient(['x'.repeat(100)]), parser, prompt, fileText: source, target, signal: controller.signal });
  assert.ok(!cancelled.ok && cancelled.kind === 'cancelled');
});

/** A SEARCH/REPLACE answer whose search runs on into `total` and whose replace leaves it out. */
const deletingReply = [
  'SUMMARY: percent is out of 100, not 10.',
  '',
  '<<<<<<< SEARCH',
  '    discounted = price - price * percent / 10  # bug: percent is out of 100',
  '    return max(discounted, 0)',
  '',
  '',
  'def total(items):',
  '    """Sum of quantity * unit price over (name, quantity, unit_price) items."""',
  '    result = 0',
  '    for _name, quantity, unit_price in items:',
  '        result += quantity * unit_price',
  '    return result',
  '=======',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
  '>>>>>>> REPLACE',
].join('\n');

test('a fix that deletes another function is sent back once with the reason, and the second answer is used', async () => {
  const { prompt, target, blocks, parser } = await setup();
  const client = new ScriptedClient([deletingReply, goodReply(blocks.map((b) => b.id))]);
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.ok(outcome.ok);
  assert.equal(client.requests.length, 2);
  assert.match(client.requests[1]!.messages.at(-1)!.content, /would delete the function `total` \(line 12\); only `apply_discount` may change/);
  assert.match(outcome.newText ?? '', /def total\(items\):/);
});

test('a fix that deletes another function twice: the user gets the reason and no new text', async () => {
  const { prompt, target, parser } = await setup();
  const client = new ScriptedClient([deletingReply, deletingReply]);
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.ok(outcome.ok);
  assert.equal(outcome.newText, undefined);
  assert.match(outcome.fixError ?? '', /the fix would delete the function `total` \(line 12\); only `apply_discount` may change/);
});

test('an answer the client marks as cut at its output limit is not applied: asked again', async () => {
  const { prompt, target, blocks, parser } = await setup();
  const replies = [goodReply(blocks.map((b) => b.id)), goodReply(blocks.map((b) => b.id))];
  const requests: ChatRequest[] = [];
  const client: ModelClient = {
    description: 'truncating',
    async chat(request) {
      requests.push(request);
      return { text: replies.shift()!, structured: true, model: 'm', truncated: requests.length === 1 };
    },
  };
  const outcome = await explainAndFix({ model: client, parser, prompt, fileText: source, target });
  assert.ok(outcome.ok && outcome.newText);
  assert.equal(requests.length, 2);
  assert.match(requests[1]!.messages.at(-1)!.content, /cut off at the model's output limit/);
});
