// The OpenAI-compatible client against a real local HTTP server speaking the protocol.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OpenAiCompatibleClient, normaliseBaseUrl } from '../../src/host/models/openAiCompatibleClient';
import { ModelError } from '../../src/core/modelClient';

type Server = { baseURL: string; requests: { body: any; headers: Record<string, string>; query: Record<string, string> }[]; close(): Promise<void> };
const serverModule = pathToFileURL(join(__dirname, '../../../test/support/scriptedModelServer.mjs')).href;
async function server(steps: object[]): Promise<Server> {
  const { startScriptedModelServer } = await import(serverModule);
  return startScriptedModelServer({ steps });
}
const ask = { messages: [{ role: 'user' as const, content: 'why does mean() fail?' }] };

async function expectModelError(p: Promise<unknown>, kind: ModelError['kind'], message?: RegExp): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ModelError, `a ModelError, got ${err}`);
    assert.equal(err.kind, kind, err.message);
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
    const started = Date.now();
    const p = new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'm' }).chat({ ...ask, signal: controller.signal, onText: () => controller.abort() });
    await expectModelError(p, 'cancelled');
    assert.ok(Date.now() - started < 2000);
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
