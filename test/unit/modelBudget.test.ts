// One budget per model request (src/core/modelBudget.ts), and the model's input limit reaching the
// prompt through the shared pipeline.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemorySourceFiles } from '../../src/core/blocks/sourceFiles';
import type { PromptStats } from '../../src/core/duck/prompt';
import { formatBytes, modelLimits, promptTokenBudget, RequestWatch } from '../../src/core/modelBudget';
import { ModelError, type ChatRequest, type ChatResult, type ModelClient } from '../../src/core/modelClient';
import { diagnoseFailure } from '../../src/host/duck/diagnoseFailure';
import { endpointFromEnv } from '../../src/host/models/endpointFromEnv';
import { TreeSitterParser, defaultTreeSitterPaths } from '../../src/host/treeSitter';

test('limits: 120 s in all by default, half of it to the first byte, a quarter of it between pieces, 1 MB, 4096 tokens', () => {
  const d = modelLimits();
  assert.deepEqual([d.totalMs, d.firstByteMs, d.idleMs, d.maxReplyBytes, d.maxOutputTokens], [120_000, 60_000, 30_000, 1_000_000, 4096]);
  const small = modelLimits({ totalMs: 1500 });
  assert.deepEqual([small.firstByteMs, small.idleMs], [1000, 1000], 'at least a second each');
  const tiny = modelLimits({ totalMs: 500 });
  assert.deepEqual([tiny.firstByteMs, tiny.idleMs], [500, 500], 'never more than the total');
  assert.equal(modelLimits({ totalMs: 0, maxOutputTokens: -1 }).totalMs, 120_000, 'nonsense falls back to the default');
});

test('a wait that would outlast the budget is refused without waiting; a cancel ends any await as cancelled', async () => {
  const caller = new AbortController();
  const watch = new RequestWatch(modelLimits({ totalMs: 60_000 }), 'The model', caller.signal);
  try {
    assert.equal(await watch.pause(600_000), false);
    const pending = watch.race(new Promise(() => undefined));
    caller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof ModelError && e.kind === 'cancelled');
    assert.ok(watch.signal.aborted, 'the request itself is aborted too');
  } finally {
    watch.dispose();
  }
});

test('the reply cap counts UTF-8 bytes of the answer', () => {
  const watch = new RequestWatch(modelLimits({ maxReplyBytes: 10 }), 'The model');
  try {
    watch.text('ééééé'); // 10 bytes
    watch.check();
    watch.text('x');
    assert.throws(() => watch.check(), (e: unknown) => e instanceof ModelError && e.kind === 'tooLarge' && /past 10 bytes/.test(e.message));
  } finally {
    watch.dispose();
  }
  assert.deepEqual([formatBytes(1), formatBytes(1536), formatBytes(64 * 1024), formatBytes(3 * 1024 * 1024)], ['1 byte', '1.5 KB', '64 KB', '3 MB']);
});

test('the CLI reads the budget from DUCKTRACE_* variables and names them in its messages; nonsense is refused in words', () => {
  const e = endpointFromEnv({ DUCKTRACE_BASE_URL: 'http://h/v1', DUCKTRACE_MODEL: 'm', DUCKTRACE_MODEL_TIMEOUT_SECONDS: '5', DUCKTRACE_MAX_OUTPUT_TOKENS: '512', DUCKTRACE_MAX_INPUT_TOKENS: '32000' });
  assert.ok(typeof e !== 'string');
  assert.equal(e.timeoutMs, 5000);
  assert.equal(e.maxInputTokens, 32_000);
  assert.equal(e.limits?.maxOutputTokens, 512);
  assert.equal(e.limits?.names?.total, 'DUCKTRACE_MODEL_TIMEOUT_SECONDS');
  assert.match(String(endpointFromEnv({ DUCKTRACE_BASE_URL: 'http://h/v1', DUCKTRACE_MODEL: 'm', DUCKTRACE_MODEL_TIMEOUT_SECONDS: 'soon' })), /DUCKTRACE_MODEL_TIMEOUT_SECONDS must be a positive number, not 'soon'/);
});

// ---- the model's input limit decides the prompt's budget (issue 14) ----

const repoRoot = join(__dirname, '../../..');
const root = '/project';
const files = new InMemorySourceFiles([
  [`${root}/pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/pricing.py'), 'utf8')],
  [`${root}/test_pricing.py`, readFileSync(join(repoRoot, 'test/fixtures/workspace/test_pricing.py'), 'utf8')],
]);
const parser = new TreeSitterParser(defaultTreeSitterPaths(join(repoRoot, 'out')));
// A long test source: about 9,000 tokens, more than today's fixed 6,000.
const testSource = Array.from({ length: 900 }, (_, i) => `    assert apply_discount(${i}, 10) == ${i * 0.9}  # case ${i} of the long table`).join('\n');
const failure = { file: `${root}/test_pricing.py`, line: 9, name: 'test_ten_percent_off', message: 'assert 0.0 == 72', stack: [{ file: `${root}/test_pricing.py`, line: 9 }], testSource };

class Limited implements ModelClient {
  readonly description = 'limited';
  constructor(readonly maxInputTokens?: number) {}
  async chat(_request: ChatRequest): Promise<ChatResult> {
    return { text: '{"summary": "x", "verdicts": []}', structured: false, model: 'limited' };
  }
}

async function promptStats(model: ModelClient, maxTokens?: number): Promise<PromptStats> {
  let stats: PromptStats | undefined;
  await diagnoseFailure({ failure, roots: [root], files, parser, model: async () => model, ...(maxTokens ? { promptOptions: { maxTokens } } : {}), onEvent: (e) => e.type === 'prompt' && (stats = e.stats) });
  assert.ok(stats, 'a prompt was built');
  return stats;
}

test("the prompt fits the chosen model's input limit instead of a fixed 6,000 tokens", async () => {
  const small = await promptStats(new Limited(2000));
  const unknown = await promptStats(new Limited(undefined));
  const large = await promptStats(new Limited(128_000));
  assert.ok(small.estimatedTokens <= promptTokenBudget({ maxInputTokens: 2000 })! + 200, `a 2,000-token model gets a short prompt (${small.estimatedTokens})`);
  assert.ok(small.truncated);
  assert.ok(unknown.estimatedTokens <= 6200 && unknown.truncated, `an unknown limit keeps the default (${unknown.estimatedTokens})`);
  assert.ok(large.estimatedTokens > 8000 && !large.truncated, `a 128k model sees the whole test (${large.estimatedTokens})`);
  const chosen = await promptStats(new Limited(128_000), 3000);
  assert.ok(chosen.estimatedTokens <= 3200, 'a budget the caller gives wins');
});
