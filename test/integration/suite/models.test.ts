// Model requests give up in time inside the real editor: VS Code's Language Model API client
// against language models that hang, stall or never stop (cancelled through their
// CancellationToken, with the same messages as an endpoint's), and the settings that set the
// budget reaching Explain and Fix against a scripted OpenAI-compatible server that never answers.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import type { DucktraceApi } from '../../../src/vscode/activate';
import { ModelError } from '../../../src/core/modelClient';
import { LanguageModelApiClient } from '../../../src/vscode/models/languageModelApiClient';
import { modelSettings } from '../../../src/vscode/settings';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();
const never = () => new Promise<never>(() => undefined);
const tick = () => new Promise((r) => setTimeout(r, 5));

type Behaviour = { readonly kind: 'hang' } | { readonly kind: 'stall'; readonly pieces: string[] } | { readonly kind: 'endless' } | { readonly kind: 'answer'; readonly pieces: string[] };

/** A language model as an extension would offer it, misbehaving as told; records the tokens it was given. */
function fakeModel(behaviour: Behaviour) {
  const tokens: vscode.CancellationToken[] = [];
  const model = {
    id: 'fake-model',
    name: 'Fake Model',
    vendor: 'test',
    family: 'fake',
    version: '1',
    maxInputTokens: 64_000,
    countTokens: async (text: string | vscode.LanguageModelChatMessage) => Math.ceil(String(text).length / 4),
    sendRequest: async (_messages: vscode.LanguageModelChatMessage[], _options?: vscode.LanguageModelChatRequestOptions, token?: vscode.CancellationToken) => {
      if (token) tokens.push(token);
      if (behaviour.kind === 'hang') return never();
      const b = behaviour;
      async function* text(): AsyncGenerator<string> {
        if (b.kind === 'endless') {
          while (!token?.isCancellationRequested) {
            yield 'x'.repeat(1024);
            await tick();
          }
          return;
        }
        for (const piece of b.pieces) {
          yield piece;
          await tick();
        }
        if (b.kind === 'stall') await never();
      }
      const pieces = text();
      return { text: pieces, stream: pieces } as unknown as vscode.LanguageModelChatResponse;
    },
  } as unknown as vscode.LanguageModelChat;
  return { model, tokens };
}

const ask = { messages: [{ role: 'user' as const, content: 'why does mean() fail?' }] };

async function modelError(p: Promise<unknown>): Promise<ModelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelError, `a ModelError, got ${String(err)}`);
  return err;
}

suite('model deadlines', () => {
  test('Language Model API: a model that never starts answering is cancelled at the first-byte limit, with the message an endpoint gives', async () => {
    const { model, tokens } = fakeModel({ kind: 'hang' });
    const err = await modelError(new LanguageModelApiClient(model, { totalMs: 2000 }).chat(ask));
    assert.equal(err.kind, 'timeout', err.message);
    assert.match(err.message, /^Fake Model \(via VS Code\) sent no answer within 1 s \(the request was sent but nothing came back\)\. .*raise ducktrace\.model\.timeoutSeconds/);
    assert.equal(tokens.length, 1);
    assert.ok(tokens[0]!.isCancellationRequested, 'the request was cancelled through its token');
  }, 30_000);

  test('Language Model API: an answer that stalls is cancelled at the idle limit, saying how much came', async () => {
    const { model, tokens } = fakeModel({ kind: 'stall', pieces: ['The loop ', 'starts at 1'] });
    const seen: string[] = [];
    const err = await modelError(new LanguageModelApiClient(model, { totalMs: 2000 }).chat({ ...ask, onText: (d) => seen.push(d) }));
    assert.equal(err.kind, 'timeout', err.message);
    assert.match(err.message, /stopped sending: nothing for 1 s after 20 bytes of the answer \(the stream stalled\)/);
    assert.deepEqual(seen, ['The loop ', 'starts at 1']);
    assert.ok(tokens[0]!.isCancellationRequested);
  }, 30_000);

  test('Language Model API: an answer that never ends is cancelled at the reply cap', async () => {
    const { model, tokens } = fakeModel({ kind: 'endless' });
    const err = await modelError(new LanguageModelApiClient(model, { totalMs: 60_000, maxReplyBytes: 32 * 1024 }).chat(ask));
    assert.equal(err.kind, 'tooLarge', err.message);
    assert.match(err.message, /kept streaming past 32 KB \(the reply cap, ducktrace\.model\.maxReplyBytes\); stopped/);
    assert.ok(tokens[0]!.isCancellationRequested);
  }, 30_000);

  test("Language Model API: a whole answer comes back, and the model's input limit is the client's", async () => {
    const { model } = fakeModel({ kind: 'answer', pieces: ['{"summary": ', '"off by one"}'] });
    const client = new LanguageModelApiClient(model, { totalMs: 5000 });
    assert.equal(client.maxInputTokens, 64_000);
    const result = await client.chat(ask);
    assert.equal(result.text, '{"summary": "off by one"}');
  }, 30_000);

  test('settings: ducktrace.model.timeoutSeconds sets the budget; the older ducktrace.openai.timeoutSeconds is read when it is not set', async () => {
    const c = vscode.workspace.getConfiguration('ducktrace');
    try {
      assert.equal(modelSettings().limits.totalMs, 120_000);
      await c.update('openai.timeoutSeconds', 7, vscode.ConfigurationTarget.Global);
      assert.equal(modelSettings().limits.totalMs, 7000);
      await c.update('model.timeoutSeconds', 9, vscode.ConfigurationTarget.Global);
      assert.equal(modelSettings().limits.totalMs, 9000);
      assert.equal(modelSettings().limits.maxOutputTokens, 4096);
    } finally {
      await c.update('openai.timeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
      await c.update('model.timeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Explain and Fix against an endpoint that never answers: stops at the budget from the settings, says which limit and how to change it, changes nothing', async () => {
    const server = await startScriptedModelServer({ steps: [{ hang: true }] });
    const { explain, proposals } = await api();
    const c = vscode.workspace.getConfiguration('ducktrace');
    const file = path.join(workspace(), 'test_pricing.py');
    try {
      await c.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
      await c.update('openai.baseUrl', server.baseURL, vscode.ConfigurationTarget.Global);
      await c.update('openai.model', 'scripted-model', vscode.ConfigurationTarget.Global);
      await c.update('model.timeoutSeconds', 2, vscode.ConfigurationTarget.Global);
      const state = await explain.run({ file, line: 9, name: 'test_ten_percent_off', message: 'assert 0.0 == 72', stack: [{ file, line: 9, function: 'test_ten_percent_off' }] });
      assert.equal(state.phase, 'error');
      assert.match(state.error!.message, /sent no answer within 1 s \(the request was sent but nothing came back, not even the response headers\)\. .*raise ducktrace\.model\.timeoutSeconds/);
      assert.equal(state.error!.action, 'Open Settings');
      assert.equal(server.requests.length, 1, 'asked once: a timeout is not retried');
      assert.equal(server.requests[0].body.max_tokens, 4096, 'max_tokens was sent');
      assert.equal(proposals.all().length, 0);
    } finally {
      for (const key of ['model.provider', 'openai.baseUrl', 'openai.model', 'model.timeoutSeconds']) await c.update(key, undefined, vscode.ConfigurationTarget.Global);
      await server.close();
    }
  }, 60_000);
});
