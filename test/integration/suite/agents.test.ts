// Ducktrace for agents in the real editor: each language model tool called through
// `vscode.lm.invokeTool` on the sample workspace (Python and JavaScript), its confirmation answered
// in VS Code's own dialog; the fix shown inline and settled; the @ducktrace chat participant's
// handler run with a scripted model; the MCP provider feature-detected; nothing runs untrusted.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { estimateTokens } from '../../../src/core/duck/tokens';
import type { DucktraceApi } from '../../../src/vscode/activate';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpServerCommand } from '../../../src/vscode/agents/mcpServerProvider';
import { SkipTest, screenshot, suite, test } from './harness';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();
const trustedOnly = () => {
  if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
};

interface Answer {
  readonly text: string;
  readonly data: Record<string, unknown>;
}

function answerOf(result: vscode.LanguageModelToolResult): Answer {
  const parts = result.content.map((p) => (p as { value?: unknown }).value).filter((v): v is string => typeof v === 'string');
  assert.equal(parts.length, 2, 'a text part for the model and a JSON part');
  return { text: parts[0]!, data: JSON.parse(parts[1]!) as Record<string, unknown> };
}

/**
 * The confirmation VS Code shows before the tool runs (outside a chat: a modal dialog, which VS Code
 * itself answers "yes" to while extension tests run), then the tool called through vscode.lm.
 */
async function invokeConfirmed(name: string, input: object): Promise<{ answer: Answer; confirmation: string }> {
  const { agents } = await api();
  const prepared = await agents.tools.registered.get(name)!.prepareInvocation!({ input }, new vscode.CancellationTokenSource().token);
  const messages = prepared?.confirmationMessages;
  assert.ok(messages, `${name} asks before it runs`);
  const body = typeof messages.message === 'string' ? messages.message : messages.message.value;
  return { answer: await invoke(name, input), confirmation: `${messages.title}\n${body}` };
}

async function invoke(name: string, input: object, token?: vscode.CancellationToken): Promise<Answer> {
  return answerOf(await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, token));
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('agents', () => {
  test('the four language model tools are registered with their schemas', async () => {
    await api();
    const mine = vscode.lm.tools.filter((t) => t.name.startsWith('ducktrace_'));
    assert.deepEqual(mine.map((t) => t.name).sort(), ['ducktrace_failingTests', 'ducktrace_proposeFix', 'ducktrace_suspiciousBlocks', 'ducktrace_traceTest']);
    const trace = mine.find((t) => t.name === 'ducktrace_traceTest')!;
    assert.deepEqual(Object.keys((trace.inputSchema as { properties: object }).properties), ['test', 'target', 'call', 'fromIteration', 'toIteration', 'variable', 'maxTokens']);
    assert.match(trace.description, /within a token budget/);
  });

  test('ducktrace_failingTests asks first, then lists the failing Python and JavaScript tests', async () => {
    trustedOnly();
    const { answer, confirmation } = await invokeConfirmed('ducktrace_failingTests', { rerun: true });
    assert.match(confirmation, /^Run tests with Ducktrace \(Failing tests\)\?\nDucktrace will run the project's tests .*This runs the project's code\./);
    assert.match(answer.text, /^\d+ of \d+ tests fail \(pytest, node/);
    const ids = (answer.data.failing as { id: string }[]).map((f) => f.id);
    assert.ok(ids.includes('test_pricing.py::test_ten_percent_off'), ids.join(', '));
    assert.ok(ids.includes('stats.test.js::mean of three numbers'), ids.join(', '));
    const pricing = (answer.data.failing as { id: string; expected?: string; actual?: string }[]).find((f) => f.id === 'test_pricing.py::test_ten_percent_off')!;
    assert.deepEqual([pricing.expected, pricing.actual], ['72', '0.0']);
  }, 180_000);

  test('a cancelled call stops the run it started and says so', async () => {
    trustedOnly();
    const cancel = new vscode.CancellationTokenSource();
    const pending = invoke('ducktrace_failingTests', { rerun: true }, cancel.token);
    setTimeout(() => cancel.cancel(), 1500);
    const outcome = await pending.then(
      (a) => a.text,
      (err: Error) => `rejected: ${err.message}`,
    );
    assert.match(outcome, /Cancelled|rejected: Canceled/);
  }, 60_000);

  test('proposeFix asks nothing (the proposal waits for the user), tools that run tests say so first', async () => {
    const { agents } = await api();
    const token = new vscode.CancellationTokenSource().token;
    const fix = await agents.tools.registered.get('ducktrace_proposeFix')!.prepareInvocation!({ input: { target: 'pricing.py:apply_discount', code: 'x' } }, token);
    assert.equal(fix?.confirmationMessages, undefined);
    assert.match(String(fix?.invocationMessage), /Proposing a fix of pricing\.py:apply_discount for review/);
    const trace = await agents.tools.registered.get('ducktrace_traceTest')!.prepareInvocation!({ input: { test: 't.py::x', target: 'a.py:f' } }, token);
    const message = trace?.confirmationMessages?.message;
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) assert.equal(message, undefined, 'untrusted: nothing will run, so nothing to confirm');
    else assert.match(typeof message === 'string' ? message : (message?.value ?? ''), /rerun the test `t\.py::x` under its tracer, recording the values inside `a\.py:f`\. This runs the project's code; no file is changed\./);
  });

  test('ducktrace_traceTest (Python): apply_discount verbatim, the failing call\'s values, within the budget', async () => {
    trustedOnly();
    const { answer } = await invokeConfirmed('ducktrace_traceTest', { test: 'test_pricing.py::test_ten_percent_off', maxTokens: 600 });
    assert.match(answer.text, /- call 1: apply_discount\(price: int = 80, percent: int = 10\) → returned 0\.0/);
    assert.match(answer.text, /    # \[b4\] lines 8-9\n    discounted = price - price \* percent \/ 10  # bug: percent is out of 100\n    return max\(discounted, 0\)\n    # ↳ b4: discounted: float = 0\.0/);
    assert.match(answer.text, /Expected: 72\nActual: {3}0\.0/);
    assert.ok(estimateTokens(answer.text) <= 600, `${estimateTokens(answer.text)} tokens`);
    assert.equal(answer.data.tokens, estimateTokens(answer.text));
    assert.deepEqual(answer.data.calls, [{ call: 1, depth: 0, args: { price: '80', percent: '10' }, returned: '0.0' }]);
  }, 120_000);

  test('ducktrace_traceTest (JavaScript) for the failing test under the cursor', async () => {
    trustedOnly();
    const { failures } = await api();
    const testFile = path.join(workspace(), 'stats.test.js');
    // The Testing view's record of the failure, as a run there leaves it.
    const failure = { testId: `${testFile}::mean of three numbers`, framework: 'node' as const, file: testFile, line: 6, name: 'mean of three numbers', message: 'Expected values to be strictly equal', expected: '4', actual: '3.3333333333333335', stack: [{ file: testFile, line: 7 }], output: '' };
    failures.update([{ testId: failure.testId, framework: 'node', file: testFile, line: 6, name: failure.name, suitePath: [], outcome: 'failed', output: '', failure }]);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(testFile));
    editor.selection = new vscode.Selection(6, 2, 6, 2);
    const { answer } = await invokeConfirmed('ducktrace_traceTest', {});
    assert.equal(answer.data.test, 'stats.test.js::mean of three numbers');
    assert.match(answer.text, /- call 1: mean\(values: Array = \[2, 4, 6\]\) → returned 3\.3333333333333335/);
    assert.match(answer.text, /  for \(let i = 1; i < values\.length; i\+\+\) \{ \/\/ bug: skips the first value\n  \/\/ ↳ b2 #1: i: number = 1/);
    assert.ok((answer.data.tokens as number) <= 2000);
  }, 120_000);

  test('ducktrace_suspiciousBlocks ranks the discount line of apply_discount first', async () => {
    trustedOnly();
    const { answer } = await invokeConfirmed('ducktrace_suspiciousBlocks', { target: 'pricing.py:apply_discount' });
    assert.match(answer.text, /^1\. b4 \(lines 8-9\) score/m);
    assert.equal((answer.data.blocks as { id: string }[])[0]!.id, 'b4');
  }, 120_000);

  test('ducktrace_proposeFix shows the fix inline and answers with what the user decided', async () => {
    trustedOnly();
    const { proposals } = await api();
    const pricing = path.join(workspace(), 'pricing.py');
    const before = fs.readFileSync(pricing, 'utf8');
    const uri = vscode.Uri.file(pricing);
    const code = 'def apply_discount(price, percent):\n    """Return the price after taking `percent` percent off, never below zero."""\n    if percent <= 0:\n        return price\n    discounted = price - price * percent / 100\n    return max(discounted, 0)\n';
    try {
      const pending = invoke('ducktrace_proposeFix', { target: 'pricing.py:apply_discount', code, test: 'test_pricing.py::test_ten_percent_off' });
      await until('the proposal', () => !!proposals.get(uri));
      const shown = proposals.get(uri)!;
      assert.deepEqual(shown.proposal.hunks.map((h) => [h.oldText.trim(), h.newText.trim(), h.state]), [
        ['discounted = price - price * percent / 10  # bug: percent is out of 100', 'discounted = price - price * percent / 100', 'pending'],
      ]);
      assert.equal(fs.readFileSync(pricing, 'utf8'), before, 'nothing is written before the user decides');
      await until('the file shown', () => vscode.window.activeTextEditor?.document.uri.fsPath === pricing);
      await new Promise((r) => setTimeout(r, 800));
      await screenshot('agents-propose-fix-inline');
      await vscode.commands.executeCommand('ducktrace.acceptAllHunks', uri);
      const answer = await pending;
      assert.equal(answer.data.decision, 'accepted');
      assert.match(answer.text, /^The user accepted the fix: all 1 change to pricing\.py are applied/);
      await until('the save', () => fs.readFileSync(pricing, 'utf8') !== before);
      assert.match(fs.readFileSync(pricing, 'utf8'), /price \* percent \/ 100\n/);
    } finally {
      fs.writeFileSync(pricing, before);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }, 60_000);

  test('ducktrace_proposeFix (JavaScript): rejected leaves the file as it was; a cancelled call leaves the proposal up', async () => {
    trustedOnly();
    const { proposals } = await api();
    const stats = path.join(workspace(), 'stats.js');
    const before = fs.readFileSync(stats, 'utf8');
    const uri = vscode.Uri.file(stats);
    const edits = [{ search: '  for (let i = 1; i < values.length; i++) { // bug: skips the first value', replace: '  for (let i = 0; i < values.length; i++) {' }];
    const rejected = invoke('ducktrace_proposeFix', { target: 'stats.js:mean', edits });
    await until('the proposal', () => !!proposals.get(uri));
    await vscode.commands.executeCommand('ducktrace.rejectAllHunks', uri);
    const answer = await rejected;
    assert.equal(answer.data.decision, 'rejected');
    assert.match(answer.text, /^The user rejected the fix: stats\.js is unchanged\./);
    assert.equal(fs.readFileSync(stats, 'utf8'), before);

    const cancel = new vscode.CancellationTokenSource();
    const cancelled = invoke('ducktrace_proposeFix', { target: 'stats.js:mean', edits }, cancel.token);
    await until('the second proposal', () => !!proposals.get(uri));
    cancel.cancel();
    // VS Code turns a cancelled call into a Canceled error for its caller; the tool itself answers "pending".
    const outcome = await cancelled.then((a) => String(a.data.decision), (err: Error) => err.message);
    assert.match(outcome, /^(pending|Canceled)$/);
    assert.ok(proposals.get(uri), 'the proposal stays for the user');
    await vscode.commands.executeCommand('ducktrace.rejectAllHunks', uri);
    assert.equal(fs.readFileSync(stats, 'utf8'), before);

    const outside = await invoke('ducktrace_proposeFix', { target: '../outside.js:mean', code: 'function mean() {}' });
    assert.match(outside.text, /outside the project folder/);
  }, 60_000);

  test('@ducktrace /explain streams the verdicts and the explanation from the chat\'s model; /fix proposes inline with buttons; /trace shows the values', async () => {
    trustedOnly();
    const { agents, proposals } = await api();
    const reply = JSON.stringify({
      summary: 'The discount divides by 10 instead of 100, so 10% takes the whole price off.',
      verdicts: [
        { block: 'b1', correct: true, why: 'The docstring states the intent.' },
        { block: 'b2', correct: true, why: 'percent = 10 is positive, so no early return.' },
        { block: 'b3', correct: true, why: 'Not run.' },
        { block: 'b4', correct: false, why: 'discounted = 0.0 but 72 was expected: percent is out of 100.' },
      ],
      fix: { kind: 'search_replace', code: null, diff: null, edits: [{ search: '    discounted = price - price * percent / 10  # bug: percent is out of 100', replace: '    discounted = price - price * percent / 100' }] },
      test_is_wrong: null,
    });
    const asked: string[] = [];
    const model = scriptedModel(reply, asked);
    const run = async (command: string) => {
      const stream = recordingStream();
      const request = { prompt: 'test_ten_percent_off', command, references: [], toolReferences: [], toolInvocationToken: undefined, model } as unknown as vscode.ChatRequest;
      const result = await agents.chat.handle(request, { history: [] }, stream.stream, new vscode.CancellationTokenSource().token);
      return { result, ...stream };
    };
    const explain = await run('explain');
    assert.equal(explain.result.errorDetails, undefined, explain.result.errorDetails?.message);
    const md = explain.markdown();
    assert.match(md, /\*\*test\\_ten\\_percent\\_off\*\* fails in `apply_discount`/);
    assert.match(md, /- ✗ \*\*b4\*\* \(lines 8-9\): discounted = 0\.0 but 72 was expected: percent is out of 100\./);
    assert.match(md, /- ✓ \*\*b2\*\* \(line 6\)/);
    assert.match(md, /\*\*What is wrong\*\*\n\nThe discount divides by 10 instead of 100/);
    assert.deepEqual(explain.buttons.map((b) => b.title), ['Propose This Fix Inline']);
    assert.ok(asked[0]!.includes('percent = 10'), 'the prompt carried the recorded values');
    assert.equal(explain.anchors.length, 1);

    const pricing = vscode.Uri.file(path.join(workspace(), 'pricing.py'));
    const fix = await run('fix');
    assert.deepEqual(fix.buttons.map((b) => b.title), ['Accept All', 'Reject All', 'Side by Side']);
    assert.ok(proposals.get(pricing), 'the fix is up inline');
    assert.match(fix.markdown(), /nothing is written until you accept/);
    await vscode.commands.executeCommand('ducktrace.rejectAllHunks', pricing);

    const trace = await run('trace');
    assert.match(trace.markdown(), /- call 1: apply_discount\(price: int = 80, percent: int = 10\) → returned 0\.0/);
  }, 180_000);

  test('the MCP server definition provider is registered only where VS Code takes it, and activation survives where it does not', async () => {
    const { agents } = await api();
    const [major, minor] = vscode.version.split('.').map(Number) as [number, number];
    const finalized = major > 1 || minor >= 101;
    assert.equal(agents.mcp.registered, finalized, `VS Code ${vscode.version}: ${agents.mcp.reason ?? 'registered'}`);
    if (!finalized) assert.match(agents.mcp.reason ?? '', /no MCP server definition API|refused the MCP server definition provider/);
    // The server it offers (or would): this extension's CLI on the editor's own Node.js, serving the folder.
    const cli = path.join(vscode.extensions.getExtension('ducktrace.ducktrace')!.extensionPath, 'dist', 'cli.js');
    const { command, args, env } = mcpServerCommand(cli, workspace());
    const client = new Client({ name: 'ducktrace-integration', version: '0' });
    await client.connect(new StdioClientTransport({ command, args, env: { ...(process.env as Record<string, string>), ...env }, stderr: 'ignore' }));
    try {
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'ducktrace_blocks'));
      const result = await client.callTool({ name: 'ducktrace_blocks', arguments: { target: 'pricing.py:apply_discount' } });
      assert.match((result.content as { text: string }[])[0]!.text, /apply_discount \(pricing\.py, lines 4-9\): 4 basic blocks/);
    } finally {
      await client.close();
    }
  }, 30_000);

  test('agent tools run nothing in an untrusted workspace (workspace trust)', async () => {
    if (!process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the --untrusted pass');
    await api();
    for (const [name, input] of [
      ['ducktrace_failingTests', {}],
      ['ducktrace_traceTest', { test: 'test_pricing.py::test_ten_percent_off' }],
      ['ducktrace_suspiciousBlocks', { target: 'pricing.py:apply_discount' }],
    ] as const) {
      const answer = await invoke(name, input);
      assert.match(answer.text, /This workspace is not trusted, so Ducktrace runs no tests/, name);
    }
    assert.equal(fs.existsSync(path.join(workspace(), 'ran.txt')), false, 'pytest never ran');
  }, 60_000);
});

/** A chat model that answers `reply` in pieces and records the prompts it was sent. */
function scriptedModel(reply: string, asked: string[]): vscode.LanguageModelChat {
  return {
    id: 'scripted',
    name: 'Scripted Model',
    vendor: 'test',
    family: 'scripted',
    version: '1',
    maxInputTokens: 64_000,
    countTokens: async (text: string | vscode.LanguageModelChatMessage) => Math.ceil(String(text).length / 4),
    sendRequest: async (messages: vscode.LanguageModelChatMessage[]) => {
      asked.push(messages.map((m) => m.content.map((p) => (p as { value?: string }).value ?? '').join('')).join('\n'));
      async function* pieces(): AsyncGenerator<string> {
        for (let i = 0; i < reply.length; i += 40) {
          yield reply.slice(i, i + 40);
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      const text = pieces();
      return { text, stream: text } as unknown as vscode.LanguageModelChatResponse;
    },
  } as unknown as vscode.LanguageModelChat;
}

/** A ChatResponseStream that records what the participant streams. */
function recordingStream() {
  const parts: string[] = [];
  const buttons: vscode.Command[] = [];
  const anchors: unknown[] = [];
  const progress: string[] = [];
  const stream = {
    markdown: (value: string | vscode.MarkdownString) => parts.push(typeof value === 'string' ? value : value.value),
    anchor: (value: unknown) => anchors.push(value),
    button: (command: vscode.Command) => buttons.push(command),
    progress: (value: string) => progress.push(value),
    filetree: () => undefined,
    reference: () => undefined,
    push: () => undefined,
  } as unknown as vscode.ChatResponseStream;
  return { stream, buttons, anchors, progress, markdown: () => parts.join('') };
}
