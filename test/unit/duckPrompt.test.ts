import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildPrompt, diagnosisJsonSchema, type PromptInput, type PromptTrace } from '../../src/core/duck/prompt';
import { toPromptTrace } from '../../src/core/trace/promptTrace';
import { withoutListingLines } from '../../src/core/duck/answerFormat';
import { explainAndFix } from '../../src/core/duck/explainAndFix';
import { parseReply } from '../../src/core/duck/replyParser';
import { estimateTokens, truncateToTokens } from '../../src/core/duck/tokens';
import type { Trace } from '../../src/core/trace/traceModel';
import { parseFixture, parser, readFixture } from './support/fixtures';

async function bisectInput(trace?: PromptTrace, suspicion?: Record<string, number>): Promise<PromptInput> {
  const parsed = await parseFixture('replies', 'targets', 'search.py');
  try {
    const fn = parsed.fn('bisect_left');
    const blocks = parsed.blocks('bisect_left');
    return {
      intent: {
        testName: 'test_insert_after_last',
        testSource: 'def test_insert_after_last():\n    assert bisect_left([1, 2, 3], 4) == 3\n',
        message: 'AssertionError: assert 2 == 3',
        expected: '3',
        actual: '2',
      },
      fn: { name: fn.qualifiedName, file: 'search.py', language: 'python', range: fn.range, source: parsed.source, blocks },
      trace,
      suspicion,
    };
  } finally {
    parsed.tree.delete();
  }
}

const v = (text: string, type = 'int') => ({ type, text });
const smallTrace: PromptTrace = {
  calls: [
    {
      args: { arr: v('[1, 2, 3]', 'list'), x: v('4') },
      returned: v('2'),
      steps: [
        { blockId: 'b1', vars: { lo: v('0'), hi: v('2') } },
        { blockId: 'b2', iteration: 1, vars: { lo: v('0'), hi: v('2') } },
        { blockId: 'b3', iteration: 1, vars: { lo: v('0'), hi: v('2'), mid: v('1') } },
        { blockId: 'b4', iteration: 1, vars: { lo: v('0'), hi: v('2'), mid: v('1') } },
        { blockId: 'b5', iteration: 1, vars: { lo: v('2'), hi: v('2'), mid: v('1') } },
        { blockId: 'b7', vars: { lo: v('2'), hi: v('2'), mid: v('1') } },
      ],
    },
  ],
};

test('the prompt holds the test as written, how it failed, the function as written with block markers and the values after each block', async () => {
  const prompt = buildPrompt(await bisectInput(smallTrace));
  assert.deepEqual(
    prompt.messages.map((m) => m.role),
    ['system', 'user'],
  );
  const [system, user] = prompt.messages.map((m) => m.content);
  assert.match(system, /rubber-duck debugger/);
  assert.match(system, /Suspect the implementation before the test/);
  assert.match(system, /without\n? *the marker and value lines/);
  assert.match(system, /JSON/);
  assert.match(user, /## The failing test: test_insert_after_last\n\n```python\ndef test_insert_after_last\(\):\n {4}assert bisect_left\(\[1, 2, 3\], 4\) == 3\n```/);
  assert.match(user, /## How it fails\n\nAssertionError: assert 2 == 3\nExpected: 3\nActual: {3}2/);
  // The function exactly as in the file, docstring and blank lines included, markers in between.
  const source = readFixture('replies', 'targets', 'search.py').split('\n').slice(5, 19);
  const lines = user.split('\n');
  let at = 0;
  for (const line of source) {
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `missing or out of order: ${line}`);
    at = found + 1;
  }
  for (const id of ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7']) assert.match(user, new RegExp(`^ *# \\[${id}\\] lines? \\d+`, 'm'));
  assert.match(user, /\n {4}hi = len\(arr\) - 1\n {4}# ↳ b1: lo: int = 0, hi: int = 2\n/);
  assert.match(user, /^- call 1: bisect_left\(arr: list = \[1, 2, 3\], x: int = 4\) → returned 2$/m);
  assert.match(user, /# ↳ b5: lo = 2 · read mid = 1/);
  assert.match(user, /# ↳ b6: did not run/);
  assert.match(user, /Check every block \(b1, b2, b3, b4, b5, b6, b7\)/);
  assert.equal(prompt.stats.blocksIncluded, 7);
  assert.equal(prompt.stats.traceStepsIncluded, 6);
  assert.equal(prompt.stats.truncated, false);
  assert.ok(prompt.stats.estimatedTokens < 6000);
  assert.equal(prompt.schema, diagnosisJsonSchema);
});

test('without a trace the prompt says no values were recorded', async () => {
  const prompt = buildPrompt(await bisectInput());
  assert.match(prompt.messages[1].content, /No runtime values were recorded/);
  assert.equal(prompt.stats.traceStepsIncluded, 0);
});

test('a huge trace is cut to its budget: first and last runs of each block kept, what was left out said', async () => {
  const steps = [];
  for (let i = 0; i < 5000; i++) steps.push({ blockId: ['b2', 'b3', 'b4', 'b5'][i % 4], iteration: Math.floor(i / 4) + 1, vars: { lo: v(String(i)), hi: v(String(i + 7)), mid: v(String(i + 3)) } });
  const input = await bisectInput({ calls: [{ args: { arr: v('list(range(10000))', 'list'), x: v('4') }, returned: v('2'), steps }] });
  for (const maxTokens of [6000, 3000]) {
    const prompt = buildPrompt(input, { maxTokens });
    assert.ok(prompt.stats.estimatedTokens <= maxTokens, `estimated ${prompt.stats.estimatedTokens} of ${maxTokens}`);
    assert.equal(prompt.stats.truncated, true);
    assert.ok(prompt.stats.traceStepsIncluded > 8 && prompt.stats.traceStepsIncluded < 5000);
    const user = prompt.messages[1].content;
    const valueLines = user.split('\n').filter((l) => /^\s*# ↳/.test(l) || l.startsWith('- call'));
    assert.ok(estimateTokens(valueLines.join('\n')) <= 2000, `the trace stays within its own budget: ${estimateTokens(valueLines.join('\n'))}`);
    assert.match(user, /↳ b5 #1: /);
    assert.match(user, /↳ b5 #1250: /, 'the last run of b5 is kept');
    assert.match(user, /more runs left out/);
    assert.match(user, /Values of \d+ of the 5000 recorded block runs are left out to fit the budget/);
    assert.equal(prompt.stats.blocksIncluded, 7);
  }
});

test('a budget too small for the whole function keeps the most suspicious blocks as written and marks the others', async () => {
  const input = await bisectInput(smallTrace, { b1: 0.9, b7: 0.6, b2: 0.1, b3: 0, b4: 0, b5: 0, b6: 0 });
  const prompt = buildPrompt(input, { maxTokens: 900 });
  const user = prompt.messages[1].content;
  assert.ok(prompt.stats.blocksIncluded < 7);
  assert.equal(prompt.stats.truncated, true);
  assert.match(user, /\n {4}# \[b1\] lines 7-12\n {4}"""Return the leftmost index/);
  assert.match(user, /# \[b6\] lines? [\d-]+: code left out to fit the budget/);
  assert.match(user, /The code of [b\d, ]+ is left out to fit the budget/);
});

test('the text answer format documents the fallback the parser reads', async () => {
  const prompt = buildPrompt(await bisectInput(), { answerFormat: 'text' });
  assert.match(prompt.messages[0].content, /VERDICT b1: correct \| <why>/);
  assert.match(prompt.messages[0].content, /TEST IS WRONG:/);
  const reply = ['SUMMARY: hi starts too low.', 'VERDICT b1: wrong | hi = len(arr) - 1', 'VERDICT b2: correct | loop', 'FIX:', '```python', readFixture('replies', 'targets', 'search.fixed.py').split('\n').slice(5, 19).join('\n'), '```'].join('\n');
  const parsed = parseReply(reply, { functionName: 'bisect_left', language: 'python' });
  assert.ok(parsed.ok && parsed.format === 'text' && parsed.diagnosis.fix?.kind === 'function');
});

test('secrets in the prompt text are redacted', async () => {
  const input = await bisectInput();
  const prompt = buildPrompt(
    { ...input, intent: { ...input.intent, testSource: 'API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"\npassword = "hunter2-horse"\n' } },
    { redaction: { envTexts: ['DB_PASSWORD=hunter2-horse\n'] } },
  );
  const user = prompt.messages[1].content;
  assert.doesNotMatch(user, /sk-proj-abc|hunter2/);
  assert.equal(prompt.stats.redactions, 2);
});

test('the schema is strict-mode shaped: every object closed and every property required', () => {
  const check = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'object' || (Array.isArray(o.type) && o.type.includes('object'))) {
      assert.equal(o.additionalProperties, false, `${path} must be closed`);
      assert.deepEqual([...(o.required as string[])].sort(), Object.keys(o.properties as object).sort(), `${path} must require every property`);
    }
    for (const [k, v] of Object.entries(o)) check(v, `${path}.${k}`);
  };
  check(diagnosisJsonSchema, 'schema');
});

test('an answer in the schema round-trips through the parser', () => {
  const answer = { summary: 's', verdicts: [{ block: 'b1', correct: false, why: 'w' }], fix: { kind: 'search_replace', code: null, diff: null, edits: [{ search: 'a', replace: 'b' }] }, test_is_wrong: null };
  const parsed = parseReply(JSON.stringify(answer));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.diagnosis, { summary: 's', verdicts: [{ blockId: 'b1', correct: false, why: 'w' }], fix: { kind: 'search-replace', edits: [{ search: 'a', replace: 'b' }] } });
});

test('token estimates: code costs more than chars/4 would say for punctuation, never zero for text', () => {
  assert.equal(estimateTokens(''), 0);
  assert.ok(estimateTokens('hello') >= 1);
  const code = 'if (a[i] !== b[j]) { return -1; }';
  assert.ok(estimateTokens(code) >= code.length / 4);
  assert.ok(estimateTokens('the quick brown fox jumps over the lazy dog') <= 12);
  const cut = truncateToTokens(Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'), 100);
  assert.equal(cut.truncated, true);
  assert.ok(estimateTokens(cut.text) <= 100);
  assert.match(cut.text, /more lines omitted/);
});

test('the reply parser never throws, whatever it is given', () => {
  const inputs: unknown[] = [undefined, null, 42, {}, '', '{', '}', '```', '```json\n{', '{"summary": 1}', '"just a string"', '<<<<<<< SEARCH', '@@ -1 +1 @@\n-x\n+y', '\u0000\uFFFF', '{"fix": {"kind": "function"}}'];
  let seed = 7;
  const alphabet = '{}[]":,`\n -+@<>=abcdefSEARCHREPLACEdef fix summary verdicts';
  for (let i = 0; i < 300; i++) {
    let s = '';
    for (let k = 0; k < 80; k++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += alphabet[seed % alphabet.length];
    }
    inputs.push(s);
  }
  for (const input of inputs) {
    const r = parseReply(input, { functionName: 'f', language: 'python', requireFix: true });
    assert.ok(r.ok || r.error.length > 0);
  }
});

test('a Trace from the tracers renders as is: typed values, returned/threw, truncation notes', async () => {
  const trace: Trace = {
    target: { file: 'search.py', function: 'bisect_left', language: 'python' },
    calls: [
      {
        args: { arr: v('[1, 2, 3]', 'list'), x: v('4') },
        depth: 0,
        executedSteps: 3,
        returned: v('2'),
        steps: [
          { blockId: 'b1', iteration: 1, vars: { lo: v('0'), hi: v('2') } },
          { blockId: 'b2', iteration: 1, vars: { lo: v('0'), hi: v('2') } },
          { blockId: 'b7', iteration: 1, vars: { lo: v('2') } },
        ],
      },
    ],
    truncated: { droppedSteps: 4, droppedCalls: 0, notes: ['kept the first and last visits of each block'] },
    stats: { steps: 3, bytes: 300, elapsedMs: 5 },
  };
  const prompt = buildPrompt(await bisectInput(toPromptTrace(trace)));
  const user = prompt.messages[1].content;
  assert.match(user, /- call 1: bisect_left\(arr: list = \[1, 2, 3\], x: int = 4\) → returned 2/);
  assert.match(user, /↳ b2: read lo = 0, hi = 2/);
  assert.match(user, /The tracer: kept the first and last visits of each block\./);
  assert.equal(prompt.stats.traceStepsIncluded, 3);
});

test('a trace without a call of the function says so instead of inventing values', async () => {
  const prompt = buildPrompt(await bisectInput({ calls: [] }));
  const user = prompt.messages[1].content;
  assert.match(user, /The tracer recorded no call of bisect_left while the test ran/);
  assert.doesNotMatch(user, /did not run|↳/);
});

test('whatever budget the model gives, from 1,500 tokens up, the prompt fits it: long test, long message, long loop', async () => {
  const steps = [];
  for (let i = 0; i < 5000; i++) steps.push({ blockId: ['b2', 'b3', 'b4', 'b5'][i % 4], iteration: Math.floor(i / 4) + 1, vars: { lo: v(String(i)), hi: v(String(i + 7)), mid: v(String(i + 3)) } });
  const base = await bisectInput({ calls: [{ args: { arr: v('[0, 1, …]', 'list'), x: v('4') }, steps }] });
  const input = { ...base, intent: { ...base.intent, testSource: `def test_x():\n${'    assert bisect_left([1], 1) == 0\n'.repeat(400)}`, message: `AssertionError: ${'x'.repeat(5000)}` } };
  for (const maxTokens of [1500, 3000, 6000, 20000, 128000]) {
    const prompt = buildPrompt(input, { maxTokens });
    assert.ok(prompt.stats.estimatedTokens <= maxTokens, `${prompt.stats.estimatedTokens} tokens for a budget of ${maxTokens}`);
    assert.equal(prompt.stats.truncated, true, 'the loop never fits whole');
    if (maxTokens <= 6000) assert.match(prompt.messages[1].content, /more lines omitted/);
  }
});

test("marker and value lines a model copies into its fix never reach the file; the user's own comments do", async () => {
  const input = await bisectInput(smallTrace);
  const fileText = readFixture('replies', 'targets', 'search.py');
  const fixed = readFixture('replies', 'targets', 'search.fixed.py').split('\n').slice(5, 19);
  const withMarkers = [fixed[0], '    # [b1] lines 7-12', ...fixed.slice(1, 7), '    # ↳ b1: lo: int = 0, hi: int = 3', '    # a comment of the model, kept', ...fixed.slice(7)].join('\n');
  const model = {
    description: 'script',
    async chat() {
      return { text: JSON.stringify({ summary: 'hi starts at len - 1', verdicts: [{ block: 'b1', correct: false, why: 'hi' }], fix: { kind: 'function', code: withMarkers, diff: null, edits: null }, test_is_wrong: null }), structured: true, model: 'script' };
    },
  };
  const outcome = await explainAndFix({ model, parser, prompt: input, fileText, target: { name: 'bisect_left', range: input.fn.range, language: 'python', file: 'search.py' } });
  assert.ok(outcome.ok && outcome.newText, outcome.ok ? outcome.fixError : outcome.error);
  assert.doesNotMatch(outcome.newText, /\[b1\]|↳/);
  assert.match(outcome.newText, /# a comment of the model, kept/);
  assert.deepEqual(withoutListingLines({ kind: 'diff', diff: '@@ -1 +1 @@\n-    # [b2] line 13\n     while lo < hi:\n+    // ↳ call 2, b4 #3: x = 1\n' }), { kind: 'diff', diff: '@@ -1 +1 @@\n     while lo < hi:\n' });
});
