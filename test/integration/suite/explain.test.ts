// Explain and fix in the real editor, against a real local HTTP server that speaks the OpenAI
// protocol and replays scripted replies (test/support/scriptedModelServer.mjs; never shipped).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { screenshot, suite, test } from './harness';
import type { DucktraceApi } from '../../../src/vscode/activate';
// @ts-expect-error plain JavaScript test helper without types
import { startScriptedModelServer } from '../../support/scriptedModelServer.mjs';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();

const fixedFunction = [
  'def apply_discount(price, percent):',
  '    """Return the price after taking `percent` percent off, never below zero."""',
  '    if percent <= 0:',
  '        return price',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
].join('\n');
const reply = JSON.stringify({
  summary: 'The discount divides `percent` by **10** instead of 100, so 10% off takes the whole price away and `max` clamps it to 0.',
  verdicts: [
    { blockId: 'b1', correct: true, why: 'The docstring states the intent: percent is out of 100.' },
    { blockId: 'b2', correct: true, why: 'A discount of 10 is positive, so the branch is skipped as it should be.' },
    { blockId: 'b3', correct: true, why: 'Not reached by this test.' },
    { blockId: 'b4', correct: false, why: 'price * percent / 10 is 80 for 10%, so 80 - 80 = 0; it should divide by 100 to give 72.' },
  ],
  fix: { kind: 'function', code: fixedFunction },
});

/** The failure pytest reports for test_ten_percent_off: an assertion in the test itself. */
function failure() {
  const file = path.join(workspace(), 'test_pricing.py');
  return {
    file,
    line: 9,
    name: 'test_ten_percent_off',
    message: 'assert 0.0 == 72\n +  where 0.0 = apply_discount(80, 10)',
    expected: '72',
    actual: '0.0',
    stack: [{ file, line: 9, function: 'test_ten_percent_off' }],
  };
}

async function useEndpoint(baseURL: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('ducktrace');
  await config.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
  await config.update('openai.baseUrl', baseURL, vscode.ConfigurationTarget.Global);
  await config.update('openai.model', 'scripted-model', vscode.ConfigurationTarget.Global);
}

async function resetEndpoint(): Promise<void> {
  const config = vscode.workspace.getConfiguration('ducktrace');
  for (const key of ['model.provider', 'openai.baseUrl', 'openai.model']) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
}

/** Waits until `done()` holds; fails with what was seen when it never does (a bound on waiting, not a timing assertion). */
async function until(what: string, done: () => boolean, seen: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never: ${what} ${seen()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

suite('explain and fix', () => {
  test('streams verdicts and the explanation into the view, and proposes the fix inline without touching the file', async () => {
    const server = await startScriptedModelServer({ steps: [{ reply, chunkDelayMs: 5 }] });
    const { explain, proposals } = await api();
    const pricing = path.join(workspace(), 'pricing.py');
    const before = fs.readFileSync(pricing, 'utf8');
    try {
      await useEndpoint(server.baseURL);
      const seen = new Set<string>();
      const verdictCounts: number[] = [];
      const timer = setInterval(() => {
        seen.add(explain.current.phase);
        verdictCounts.push(explain.current.blocks.filter((b) => b.verdict).length);
      }, 5);
      const state = await explain.run(failure());
      clearInterval(timer);
      assert.equal(state.phase, 'proposed', state.error?.message);
      assert.equal(state.target?.name, 'apply_discount');
      assert.deepEqual(state.blocks.map((b) => [b.id, b.verdict?.correct]), [['b1', true], ['b2', true], ['b3', true], ['b4', false]]);
      // The test was rerun under the tracer: the values after the last block went into the prompt.
      assert.ok(seen.has('tracing'));
      assert.deepEqual(state.blocks.find((b) => b.id === 'b4')?.values, ['price = 80', 'percent = 10', 'discounted = 0.0']);
      assert.ok(seen.has('asking'));
      assert.ok(new Set(verdictCounts).size > 2, `verdicts arrived one by one while streaming (${[...new Set(verdictCounts)]})`);
      assert.match(state.explanation, /divides `percent` by \*\*10\*\*/);
      assert.equal(state.hunks.length, 1);
      assert.equal(state.hunks[0]!.state, 'pending');
      assert.equal(fs.readFileSync(pricing, 'utf8'), before, 'nothing written to disk');
      const reviewed = proposals.get(vscode.Uri.file(pricing));
      assert.ok(reviewed);
      // What was sent: the system message, then the test, the blocks and the answer format.
      const sent = server.requests[0].body;
      assert.equal(sent.model, 'scripted-model');
      assert.equal(sent.stream, true);
      assert.match(sent.messages.map((m: { content: string }) => m.content).join('\n'), /apply_discount/);
      await vscode.commands.executeCommand('workbench.view.extension.ducktrace');
      await screenshot('explain-proposed');
      await vscode.commands.executeCommand('ducktrace.rejectAllHunks', vscode.Uri.file(pricing));
      assert.equal(fs.readFileSync(pricing, 'utf8'), before);
    } finally {
      await resetEndpoint();
      await server.close();
    }
  }, 60_000);

  test('a 401 shows the key message with "Set API Key" and changes nothing', async () => {
    const server = await startScriptedModelServer({ steps: [{ status: 401, message: 'Incorrect API key provided' }] });
    const { explain, proposals } = await api();
    try {
      await useEndpoint(server.baseURL);
      const state = await explain.run(failure());
      assert.equal(state.phase, 'error');
      assert.match(state.error!.message, /refused the API key/);
      assert.equal(state.error!.action, 'Set API Key');
      assert.equal(proposals.all().length, 0);
      await screenshot('explain-401');
    } finally {
      await resetEndpoint();
      await server.close();
    }
  }, 30_000);

  test('Cancel stops the request and proposes nothing', async () => {
    // An answer that never ends by itself: only the cancel can end this request.
    const server = await startScriptedModelServer({ steps: [{ endless: true, chunkDelayMs: 50 }] });
    const { explain, proposals } = await api();
    const pricing = path.join(workspace(), 'pricing.py');
    const before = fs.readFileSync(pricing, 'utf8');
    try {
      await useEndpoint(server.baseURL);
      const running = explain.run(failure());
      await until('the answer starts streaming', () => explain.current.phase === 'asking' && explain.current.status.startsWith('Receiving'), () => `${explain.current.phase}: ${explain.current.status}`);
      explain.cancel();
      const state = await running;
      assert.equal(state.phase, 'cancelled');
      assert.equal(server.requests.length, 1, 'one request, not asked again');
      await until('the model server sees the request closed by the client', () => server.requests[0].abandoned === true);
      assert.equal(proposals.all().length, 0, 'nothing proposed');
      assert.equal(fs.readFileSync(pricing, 'utf8'), before, 'pricing.py unchanged on disk');
      const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === pricing);
      if (open) assert.equal(open.getText(), before, 'pricing.py unchanged in the editor');
    } finally {
      await resetEndpoint();
      await server.close();
    }
  }, 60_000);

  test('with no model configured, it says how to choose one', async () => {
    const { explain } = await api();
    const config = vscode.workspace.getConfiguration('ducktrace');
    await config.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
    try {
      const state = await explain.run(failure());
      assert.equal(state.phase, 'error');
      assert.equal(state.error!.action, 'Choose Model');
    } finally {
      await resetEndpoint();
    }
  });
});
