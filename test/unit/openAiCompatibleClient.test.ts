// The OpenAI-compatible client against a real local HTTP server speaking the protocol.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OpenAiCompatibleClient, normaliseBaseUrl, tokenParamFor } from '../../src/host/models/openAiCompatibleClient';
import { promptTokenBudget } from '../../src/core/modelBudget';
import { ModelError } from '../../src/core/modelClient';

type Server = { baseURL: string; requests: { body: any; headers: Record<string, string>; query: Record<string, string> }[]; close(): Promise<void> };
const serverModule = pathToFileURL(join(__dirname, '../../../test/support/scriptedModelServer.mjs')).href;
async function server(steps: object[], options: object = {}): Promise<Server> {
  const { startScriptedModelServer } = await import(serverModule);
  return startScriptedModelServer({ steps, ...options });
}
const ask = { messages: [{ role: 'user' as const, content: 'why does mean() fail?' }] };

async function expectModelError(p: Promise<unknown>, kind: ModelError['kind'] | ModelError['kind'][], message?: RegExp): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ModelError, `a ModelError, got ${err}`);
    assert.ok(([] as string[]).concat(kind).includes(err.kind), `kind ${err.kind}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${kind} ModelError`);
}

test('streams a reply piece by piece and returns the whole text and usage', async () => {
  const s = await server([{ reply: 'The loop starts at index 1, so the first value is skipped.' }]);
  try {
    const client = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', apiKey: 'sk-test' });
    const pieces: string[] = [];
    const result = await client.chat({ ...ask, onText: (d) => pieces.push(d) });
    assert.equal(result.text, 'The loop starts at index 1, so the first value is skipped.');
    assert.ok(pieces.length > 2, 'it arrived in several pieces');
    assert.ok(result.usage && result.usage.inputTokens > 0);
    assert.equal(s.requests[0]!.body.stream, true);
    assert.equal(s.requests[0]!.headers.authorization, 'Bearer sk-test');
  } finally {
    await s.close();
  }
});

test('asks for structured output with the JSON schema, and falls back to text when the server refuses it', async () => {
  const schema = { name: 'diagnosis', schema: { type: 'object', properties: { summary: { type: 'string' } } } };
  const s = await server([{ status: 400, message: "response_format 'json_schema' is not supported" }, { reply: '{"summary":"x"}' }]);
  try {
    const client = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', maxRetries: 0 });
    const result = await client.chat({ ...ask, schema });
    assert.equal(result.text, '{"summary":"x"}');
    assert.equal(result.structured, false);
    assert.equal(s.requests[0]!.body.response_format.type, 'json_schema');
    assert.equal(s.requests[1]!.body.response_format, undefined);
  } finally {
    await s.close();
  }
});

test('a tool-call answer streams its arguments as the text', async () => {
  const s = await server([{ toolCall: { name: 'report', arguments: '{"summary":"off by one"}' } }]);
  try {
    const result = await new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm' }).chat(ask);
    assert.equal(result.text, '{"summary":"off by one"}');
  } finally {
    await s.close();
  }
});

test('401 is an auth error that says which server and offers Set API Key; the key is never in the message', async () => {
  const s = await server([{ status: 401, message: 'Incorrect API key provided' }]);
  try {
    const err = await expectModelError(new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', apiKey: 'sk-secret-123', maxRetries: 0 }).chat(ask), 'auth', /refused the API key/);
    assert.equal(err.nextAction, 'Set API Key');
    assert.ok(!err.message.includes('sk-secret-123'));
  } finally {
    await s.close();
  }
});

test('404 names the model; 500 is a server error; context length is recognised', async () => {
  const s = await server([{ status: 404, message: 'model not found' }, { status: 500 }, { status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens" }]);
  try {
    const client = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'llama3', maxRetries: 0 });
    await expectModelError(client.chat(ask), 'notFound', /"llama3" was not found/);
    await expectModelError(client.chat(ask), 'server', /failed \(500/);
    await expectModelError(client.chat(ask), 'contextLength');
  } finally {
    await s.close();
  }
});

test('429 honours retry-after and succeeds when the server recovers; a 429 storm ends in a clear error', async () => {
  const s = await server([{ status: 429, retryAfter: 0 }, { reply: 'ok' }]);
  try {
    const result = await new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', maxRetries: 2 }).chat(ask);
    assert.equal(result.text, 'ok');
    assert.equal(s.requests.length, 2);
  } finally {
    await s.close();
  }
  const storm = await server([{ status: 429, retryAfter: 0 }]);
  try {
    await expectModelError(new OpenAiCompatibleClient({ baseUrl: storm.baseURL, model: 'm', maxRetries: 2 }).chat(ask), 'rateLimited');
    assert.equal(storm.requests.length, 3, 'one try and two bounded retries');
  } finally {
    await storm.close();
  }
});

test('a server that never answers times out; a refused connection says so', async () => {
  const s = await server([{ hang: true }]);
  try {
    await expectModelError(new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', timeoutMs: 300, maxRetries: 0 }).chat(ask), 'timeout');
  } finally {
    await s.close();
  }
  await expectModelError(new OpenAiCompatibleClient({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0 }).chat(ask), 'connection', /Cannot reach the model server/);
});

test('cancelling stops the request at once', async () => {
  const s = await server([{ reply: 'x'.repeat(2000), chunkDelayMs: 50 }]);
  try {
    const controller = new AbortController();
    let pieces = 0;
    const p = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm' }).chat({ ...ask, signal: controller.signal, onText: () => (pieces++, controller.abort()) });
    await expectModelError(p, 'cancelled');
    assert.equal(pieces, 1, 'nothing more was passed on after the cancel');
  } finally {
    await s.close();
  }
});

test('a disconnect mid-stream and a malformed stream are errors, not partial answers', async () => {
  const s = await server([{ disconnectAfter: 'The bug is in' }, { malformed: true }]);
  try {
    const client = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', maxRetries: 0 });
    const a = await client.chat(ask).then(() => undefined, (e: unknown) => e);
    assert.ok(a instanceof ModelError, `disconnect gives a ModelError (got ${a})`);
    const b = await client.chat(ask).then(() => undefined, (e: unknown) => e);
    assert.ok(b instanceof ModelError && (b.kind === 'malformed' || b.kind === 'other'), `malformed gives a ModelError (got ${b})`);
  } finally {
    await s.close();
  }
});

test('base URLs: trailing slashes trimmed, /v1 added to a bare host', () => {
  assert.equal(normaliseBaseUrl('http://localhost:11434/'), 'http://localhost:11434/v1');
  assert.equal(normaliseBaseUrl('http://localhost:1234/v1/'), 'http://localhost:1234/v1');
  assert.equal(normaliseBaseUrl('https://api.openai.com/v1'), 'https://api.openai.com/v1');
});

// ---- one budget per request: first byte, idle, total time, size; retries inside it ----

/** A client with a small budget: 2 s in all, so 1 s to the first byte and 1 s of silence at most. */
function budgeted(s: Server, more: Partial<ConstructorParameters<typeof OpenAiCompatibleClient>[0]> = {}) {
  return new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm', timeoutMs: 2000, ...more });
}

test('a server that never answers (no headers): a timeout that says nothing came back; a timeout is not retried', async () => {
  const s = await server([{ hang: true }]);
  try {
    const err = await expectModelError(budgeted(s, { maxRetries: 2 }).chat(ask), 'timeout', /sent no answer within 1 s \(the request was sent but nothing came back, not even the response headers\)/);
    assert.match(err.message, /raise ducktrace\.model\.timeoutSeconds/);
    assert.equal(s.requests.length, 1, 'the SDK did not retry the timeout either');
  } finally {
    await s.close();
  }
});

test('a server that sends the headers and then nothing: "accepted the request but sent nothing"', async () => {
  const s = await server([{ hangAfterHeaders: true }]);
  try {
    await expectModelError(budgeted(s).chat(ask), 'timeout', /sent no answer within 1 s \(the server accepted the request but sent nothing\)/);
    assert.equal(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

test('a stream that stalls after a few chunks: stopped at the idle limit, with how much came', async () => {
  const s = await server([{ stallAfter: 'The bug is in the loop bound, because' }]);
  try {
    const pieces: string[] = [];
    const err = await expectModelError(budgeted(s).chat({ ...ask, onText: (d) => pieces.push(d) }), 'timeout', /stopped sending: nothing for 1 s after 37 bytes of the answer \(the stream stalled\)/);
    assert.ok(!/kept streaming/.test(err.message));
    assert.equal(pieces.join(''), 'The bug is in the loop bound, because', 'what came was shown as it came');
  } finally {
    await s.close();
  }
});

test('a stream cut in the middle: "the stream stopped after N bytes (the connection closed before the answer was complete)", not "terminated"', async () => {
  const s = await server([{ disconnectAfter: 'x'.repeat(3000) }], { chunkSize: 500 });
  try {
    const err = await expectModelError(budgeted(s, { maxRetries: 2 }).chat(ask), 'connection', /stopped after 2\.9 KB \(the connection closed before the answer was complete/);
    assert.doesNotMatch(err.message, /^terminated$/);
    assert.equal(s.requests.length, 1, 'a stream that had started is not asked again (its text was already shown)');
  } finally {
    await s.close();
  }
});

test('a stream that ends cleanly without finish_reason or [DONE] is cut, not complete', async () => {
  const s = await server([{ endAfter: '{"summary": "the loop' }]);
  try {
    await expectModelError(budgeted(s).chat(ask), 'connection', /stopped after 21 bytes \(the connection closed before the answer was complete/);
  } finally {
    await s.close();
  }
});

test('an endless fast stream: stopped at the reply cap, naming it', async () => {
  const s = await server([{ endless: true }], { chunkSize: 256 });
  try {
    const client = budgeted(s, { timeoutMs: 60_000, limits: { maxReplyBytes: 64 * 1024 } });
    let received = 0;
    await expectModelError(client.chat({ ...ask, onText: (d) => (received += d.length) }), 'tooLarge', /kept streaming past 64 KB \(the reply cap, ducktrace\.model\.maxReplyBytes\); stopped/);
    assert.ok(received <= 64 * 1024, `no more than the cap was passed on (${received})`);
    assert.equal(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

test('an endless slow stream: stopped at the total time, never given more', async () => {
  const s = await server([{ endless: true, chunkDelayMs: 100 }]);
  try {
    // The idle limit as long as the total: a slow machine's pause between chunks cannot end it first.
    await expectModelError(budgeted(s, { timeoutMs: 1500, limits: { idleMs: 1500 } }).chat(ask), 'timeout', /kept streaming past 1\.5 s \(\d+(\.\d)? (bytes|KB) so far\); stopped\. Lower ducktrace\.model\.maxOutputTokens, or raise ducktrace\.model\.timeoutSeconds/);
    assert.equal(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

test('a malformed JSON body: "the server sent an invalid JSON body" quoting its start, not "the reply is empty"', async () => {
  const s = await server([{ jsonBody: '{"id": "chatcmpl-1", "choices": [{"message": {"content": "The bug' }]);
  try {
    await expectModelError(budgeted(s).chat(ask), 'malformed', /sent an invalid JSON body \(it starts: "\{"id": "chatcmpl-1", "choices": \[\{"message": \{"content": "The bug"\)/);
  } finally {
    await s.close();
  }
});

test('a server that ignores stream: true and answers one JSON completion is understood', async () => {
  const body = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'The loop skips index 0.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 6 } });
  const s = await server([{ jsonBody: body }]);
  try {
    const pieces: string[] = [];
    const result = await budgeted(s).chat({ ...ask, onText: (d) => pieces.push(d) });
    assert.equal(result.text, 'The loop skips index 0.');
    assert.deepEqual(pieces, ['The loop skips index 0.']);
    assert.deepEqual(result.usage, { inputTokens: 12, outputTokens: 6 });
  } finally {
    await s.close();
  }
});

test('a web page where the API should be (a wrong base URL): no stream events, the page quoted', async () => {
  const s = await server([{ body: '<!doctype html><html><title>Welcome</title></html>', contentType: 'text/html' }]);
  try {
    await expectModelError(budgeted(s).chat(ask), 'malformed', /sent no OpenAI stream events \(text\/html, it starts: "<!doctype html><html><title>Welcome<\/title><\/html>"\)\. Check the base URL/);
  } finally {
    await s.close();
  }
});

test('a stream of bytes that are not SSE JSON is malformed', async () => {
  const s = await server([{ malformed: true }]);
  try {
    await expectModelError(budgeted(s, { maxRetries: 0 }).chat(ask), 'malformed', /not in the OpenAI format/);
  } finally {
    await s.close();
  }
});

test('429 without retry-after: backed off and retried within the budget', async () => {
  const s = await server([{ status: 429 }, { status: 429 }, { reply: 'ok' }]);
  try {
    const result = await budgeted(s, { timeoutMs: 10_000, maxRetries: 2 }).chat(ask);
    assert.equal(result.text, 'ok');
    assert.equal(s.requests.length, 3);
  } finally {
    await s.close();
  }
});

test('429 whose retry-after is longer than the budget left: given up at once, saying so', async () => {
  const s = await server([{ status: 429, retryAfter: 3600 }, { reply: 'too late' }]);
  try {
    const err = await expectModelError(budgeted(s, { timeoutMs: 5000, maxRetries: 2 }).chat(ask), 'rateLimited', /It asked to wait 3600 s before trying again, more than the \d+(\.\d)? s left of the request's budget \(ducktrace\.model\.timeoutSeconds\)/);
    assert.equal(err.status, 429);
    assert.equal(s.requests.length, 1, 'no retry that would outlast the budget');
  } finally {
    await s.close();
  }
});

test('retries come out of the same budget: slow 503s are not retried past the total time', async () => {
  // Each answer takes 700 ms; with five retries allowed the SDK's way would take 6 × 700 ms plus backoff.
  const s = await server([{ status: 503, delayMs: 700 }]);
  try {
    const err = await expectModelError(budgeted(s, { timeoutMs: 2000, maxRetries: 5 }).chat(ask), ['server', 'timeout']);
    assert.ok(s.requests.length < 6, `stopped by the budget, not by running out of retries (${s.requests.length} requests)`);
    assert.match(err.message, /503|within|budget/);
  } finally {
    await s.close();
  }
});

test('max_tokens is sent on every request (default 4096, or the configured limit; a request may ask for less)', async () => {
  const s = await server([{ reply: 'a' }, { reply: 'b' }, { reply: 'c' }]);
  try {
    await new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'llama3' }).chat(ask);
    await new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'llama3', limits: { maxOutputTokens: 1000 } }).chat(ask);
    await new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'llama3' }).chat({ ...ask, maxOutputTokens: 300 });
    assert.deepEqual(s.requests.map((r) => r.body.max_tokens), [4096, 1000, 300]);
    assert.ok(s.requests.every((r) => r.body.max_completion_tokens === undefined));
  } finally {
    await s.close();
  }
});

test('a server that refuses max_tokens gets max_completion_tokens once, and from then on', async () => {
  const s = await server([{ reply: 'first' }, { reply: 'second' }], { unsupportedParams: ['max_tokens'] });
  try {
    const client = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'my-deployment', maxRetries: 0 });
    assert.equal((await client.chat(ask)).text, 'first');
    assert.equal((await client.chat(ask)).text, 'second');
    assert.deepEqual(s.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens]), [[4096, undefined], [undefined, 4096], [undefined, 4096]]);
  } finally {
    await s.close();
  }
  // OpenAI's reasoning models get max_completion_tokens from the start; a server refusing it gets max_tokens.
  const o = await server([{ reply: 'ok' }], { unsupportedParams: ['max_completion_tokens'] });
  try {
    assert.equal(tokenParamFor('o3-mini'), 'max_completion_tokens');
    assert.equal(tokenParamFor('gpt-5'), 'max_completion_tokens');
    assert.equal(tokenParamFor('gpt-4o-mini'), 'max_tokens');
    assert.equal(tokenParamFor('qwen2.5-coder:7b'), 'max_tokens');
    assert.equal((await new OpenAiCompatibleClient({ baseUrl: o.baseURL, model: 'o3-mini', maxRetries: 0 }).chat(ask)).text, 'ok');
    assert.deepEqual(o.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens]), [[undefined, 4096], [4096, undefined]]);
  } finally {
    await o.close();
  }
});

test('an answer cut at the output limit (finish_reason length) is returned marked as truncated', async () => {
  const s = await server([{ reply: 'abc' }]);
  try {
    const result = await budgeted(s).chat(ask);
    assert.equal(result.truncated, undefined);
  } finally {
    await s.close();
  }
  const body = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: '{"summary": "the' }, finish_reason: 'length' }] });
  const cut = await server([{ jsonBody: body }]);
  try {
    assert.equal((await budgeted(cut).chat(ask)).truncated, true);
  } finally {
    await cut.close();
  }
});

test('cancelling while waiting to retry after a 429 ends at once as cancelled', async () => {
  const s = await server([{ status: 429, retryAfter: 5 }]);
  try {
    const controller = new AbortController();
    const p = budgeted(s, { timeoutMs: 60_000, maxRetries: 2 }).chat({ ...ask, signal: controller.signal });
    while (s.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expectModelError(p, 'cancelled');
    assert.equal(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

test('the input limit: 16,000 tokens unless configured; the prompt budget leaves room for the answer', () => {
  assert.equal(new OpenAiCompatibleClient({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }).maxInputTokens, 16_000);
  assert.equal(new OpenAiCompatibleClient({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', maxInputTokens: 0 }).maxInputTokens, 16_000);
  const big = new OpenAiCompatibleClient({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', maxInputTokens: 128_000 });
  assert.equal(big.maxInputTokens, 128_000);
  assert.equal(big.maxOutputTokens, 4096);
  assert.equal(promptTokenBudget({ maxInputTokens: 128_000, maxOutputTokens: 4096 }), Math.floor((128_000 - 4096) * 0.9));
  assert.equal(promptTokenBudget({ maxInputTokens: 16_000, maxOutputTokens: 4096 }), Math.floor((16_000 - 4000) * 0.9), 'the default input limit: 10,800 tokens of prompt');
  assert.equal(promptTokenBudget({ maxInputTokens: 8192 }), Math.floor((8192 - 2048) * 0.9), 'at most a quarter of a small window for the answer');
  assert.equal(promptTokenBudget({}), undefined, 'unknown: the prompt keeps its default');
});
