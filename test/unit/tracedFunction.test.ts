// The function as the model reads it: every line as written, block markers, and below each block
// what it changed and read, within a token budget whatever the loop length.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { estimateTokens } from '../../src/core/duck/tokens';
import { renderTracedFunction, type ListedFunction, type ListingTrace } from '../../src/core/trace/tracedFunction';
import { parseFixture, parseSource } from './support/fixtures';

const int = (n: number) => ({ type: 'int', text: String(n) });
const list = (xs: number[]) => ({ type: 'list', text: `[${xs.join(', ')}]`, length: xs.length });

async function bisect(): Promise<ListedFunction> {
  const parsed = await parseFixture('replies', 'targets', 'search.py');
  try {
    const fn = parsed.fn('bisect_left');
    return { name: fn.qualifiedName, file: 'search.py', language: 'python', source: parsed.source, range: fn.range, blocks: parsed.blocks('bisect_left') };
  } finally {
    parsed.tree.delete();
  }
}

/** bisect_left([1, 2, 3], 4) as the Python tracer records it (the bug: hi starts at len - 1). */
const bisectTrace: ListingTrace = {
  calls: [
    {
      args: { arr: list([1, 2, 3]), x: int(4) },
      depth: 0,
      returned: int(2),
      steps: [
        { blockId: 'b1', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(0), hi: int(2) } },
        { blockId: 'b2', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(0), hi: int(2) } },
        { blockId: 'b3', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(0), hi: int(2), mid: int(1) } },
        { blockId: 'b4', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(0), hi: int(2), mid: int(1) } },
        { blockId: 'b5', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(2), hi: int(2), mid: int(1) } },
        { blockId: 'b2', iteration: 2, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(2), hi: int(2), mid: int(1) } },
        { blockId: 'b7', iteration: 1, vars: { arr: list([1, 2, 3]), x: int(4), lo: int(2), hi: int(2), mid: int(1) } },
      ],
    },
  ],
  truncated: false,
};

test('every line of the function as written, a marker before each block, values below its last line', async () => {
  const fn = await bisect();
  const out = renderTracedFunction(fn, bisectTrace, { maxTraceTokens: 2000 });
  const lines = out.text.split('\n');
  const code = fn.source.split('\n').slice(5, 19);
  let at = 0;
  for (const line of code) {
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `missing or out of order: ${line}`);
    at = found + 1;
  }
  for (const b of fn.blocks) assert.ok(lines.some((l) => l.trim().startsWith(`# [${b.id}] line`)), `marker of ${b.id}`);
  assert.equal(lines.filter((l) => /^\s*# \[b\d+\]/.test(l)).length, fn.blocks.length);
  // Right below `hi = len(arr) - 1`, the last line of b1: what b1 did, each type once.
  const hi = lines.indexOf('    hi = len(arr) - 1');
  assert.equal(lines[hi + 1], '    # ↳ b1: lo: int = 0, hi: int = 2 · read arr = [1, 2, 3]');
  assert.match(out.text, /^- call 1: bisect_left\(arr: list = \[1, 2, 3\], x: int = 4\) → returned 2$/m);
  assert.match(out.text, /# ↳ b3: mid: int = 1 · read lo = 0, hi = 2\n/);
  assert.match(out.text, /# ↳ b4: read arr = \[1, 2, 3\], x = 4, mid = 1\n/);
  assert.match(out.text, /# ↳ b5: lo = 2 · read mid = 1\n/, 'a later appearance carries no type, an unchanged variable is left out');
  assert.match(out.text, /# ↳ b2 #2: read lo = 2 \(the loop ends\)\n/);
  assert.match(out.text, /# ↳ b6: did not run/);
  assert.match(out.text, /# ↳ b7: read lo = 2 → returned 2/);
  assert.equal(out.truncated, false);
  assert.equal(out.stepsShown, 7);
});

test('numbers stay numbers, strings stay quoted, whatever the producer gave', async () => {
  const parsed = await parseSource("function f(amount, parts) {\n  const label = 'x' + amount;\n  return label;\n}\n", 'javascript');
  try {
    const fn: ListedFunction = { name: 'f', language: 'javascript', source: parsed.source, range: parsed.fn('f').range, blocks: parsed.blocks('f') };
    const out = renderTracedFunction(
      fn,
      { calls: [{ args: { amount: { type: 'number', text: '9' }, parts: { type: 'number', text: '3' } }, returned: { type: 'string', text: "'x9'" }, steps: [{ blockId: 'b1', iteration: 1, vars: { amount: { type: 'number', text: '9' }, parts: { type: 'number', text: '3' }, label: { type: 'string', text: "'x9'" } } }] }] },
      { maxTraceTokens: 500 },
    );
    assert.match(out.text, /- call 1: f\(amount: number = 9, parts: number = 3\) → returned 'x9'/);
    assert.match(out.text, /\/\/ ↳ b1: label = 'x9' · read amount = 9 → returned 'x9'/);
    assert.doesNotMatch(out.text, /"9"|"3"/);
  } finally {
    parsed.tree.delete();
  }
});

test('a loop of 5,000 runs stays within the budget: first and last runs kept, the rest counted where it was left out', async () => {
  const fn = await bisect();
  const steps: ListingTrace['calls'][number]['steps'][number][] = [{ blockId: 'b1', iteration: 1, vars: { lo: int(0), hi: int(9999) } }];
  for (let i = 1; i <= 5000; i++) {
    steps.push({ blockId: 'b2', iteration: i, vars: { lo: int(i - 1), hi: int(9999) } });
    steps.push({ blockId: 'b3', iteration: i, vars: { lo: int(i - 1), hi: int(9999), mid: int(5000 + i) } });
    steps.push({ blockId: 'b4', iteration: i, vars: { lo: int(i - 1), hi: int(9999), mid: int(5000 + i) } });
    steps.push({ blockId: 'b5', iteration: i, vars: { lo: int(i), hi: int(9999), mid: int(5000 + i) } });
  }
  const trace: ListingTrace = { calls: [{ args: { arr: { type: 'list', text: '[0, 1, 2, …(9994 more)…, 9999]' }, x: int(5000) }, returned: int(5000), steps }] };
  for (const budget of [400, 800, 2000]) {
    const out = renderTracedFunction(fn, trace, { maxTraceTokens: budget });
    const valueLines = out.text.split('\n').filter((l) => l.includes('↳') || l.startsWith('- ') || l.startsWith('Recorded'));
    assert.ok(estimateTokens(valueLines.join('\n')) <= budget, `budget ${budget}: ${estimateTokens(valueLines.join('\n'))} tokens`);
    assert.equal(out.truncated, true);
    assert.ok(out.stepsShown > 3 && out.stepsShown < 20001);
    assert.match(out.text, /↳ b5 #1: lo = 1/, `budget ${budget}: the first run`);
    assert.match(out.text, /↳ b5 #5000: lo = 5000/, `budget ${budget}: the last run`);
    assert.match(out.text, /↳ b5: … \d+ more runs left out \(#\d+-#\d+\)/);
  }
});

test('suspicious blocks get the budget first', async () => {
  const fn = await bisect();
  const steps = [];
  for (let i = 1; i <= 200; i++) {
    steps.push({ blockId: 'b3', iteration: i, vars: { mid: int(i) } });
    steps.push({ blockId: 'b4', iteration: i, vars: { lo: int(i) } });
  }
  const trace: ListingTrace = { calls: [{ args: {}, steps }] };
  const plain = renderTracedFunction(fn, trace, { maxTraceTokens: 260 });
  const focused = renderTracedFunction(fn, trace, { maxTraceTokens: 260, suspicion: new Map([['b4', 1]]) });
  const count = (text: string, id: string) => text.split('\n').filter((l) => new RegExp(`↳ ${id} #\\d+:`).test(l)).length;
  assert.ok(count(focused.text, 'b4') > count(plain.text, 'b4'));
  assert.ok(count(focused.text, 'b4') > count(focused.text, 'b3'));
});

test('recursive calls: one line per call with its depth, runs labelled by call; an agent may ask for one call or some variables', async () => {
  const parsed = await parseSource('def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)\n', 'python');
  try {
    const fn: ListedFunction = { name: 'fact', language: 'python', source: parsed.source, range: parsed.fn('fact').range, blocks: parsed.blocks('fact') };
    const call = (n: number, depth: number, ret: number, last: boolean) => ({
      args: { n: int(n) },
      depth,
      returned: int(ret),
      steps: [{ blockId: 'b1', iteration: 1, vars: { n: int(n) } }, { blockId: last ? 'b2' : 'b3', iteration: 1, vars: { n: int(n) } }],
    });
    const trace: ListingTrace = { calls: [call(3, 0, 6, false), call(2, 1, 2, false), call(1, 2, 1, true)] };
    const out = renderTracedFunction(fn, trace, { maxTraceTokens: 1000 });
    assert.match(out.text, /- call 2 \(recursive, depth 1\): fact\(n = 2\) → returned 2/);
    assert.match(out.text, /# ↳ call 3, b2: → returned 1|# ↳ call 3, b2: no change → returned 1/);
    assert.match(out.text, /# ↳ call 1, b1: read n = 3/);
    const one = renderTracedFunction(fn, trace, { maxTraceTokens: 1000, includeStep: (c) => c === 1 });
    assert.doesNotMatch(one.text, /call 1, b1|call 3, b2/);
    assert.match(one.text, /call 2, b1: read n = 2/);
  } finally {
    parsed.tree.delete();
  }
});

test('a function too long for its code budget loses its least suspicious blocks, marked; the others stay whole', async () => {
  const fn = await bisect();
  const out = renderTracedFunction(fn, undefined, { maxTraceTokens: 0, maxCodeTokens: 60, suspicion: new Map([['b4', 1]]) });
  assert.ok(out.blocksLeftOut.length > 0 && !out.blocksLeftOut.includes('b4'), out.blocksLeftOut.join());
  assert.match(out.text, /# \[b\d+\] lines? [\d-]+: code left out to fit the budget/);
  assert.match(out.text, /\n {8}# \[b4\] line 15\n {8}if arr\[mid\] < x:\n/, 'the suspicious block stays, as written');
  assert.equal(out.truncated, true);
});

test('a tracer that left runs out is said so; blocks of unrecorded calls are not claimed to have not run', async () => {
  const fn = await bisect();
  const out = renderTracedFunction(fn, { ...bisectTrace, truncated: { droppedCalls: 3, notes: ['3 calls not recorded'] } }, { maxTraceTokens: 2000 });
  assert.equal(out.truncated, true);
  assert.match(out.text, /b6: did not run in the recorded calls/);
  const none = renderTracedFunction(fn, { calls: [] }, { maxTraceTokens: 2000 });
  assert.doesNotMatch(none.text, /did not run/);
});

test('a docstring holding a code fence does not end the listing early; a kept block sharing a line with a left-out one keeps its code', async () => {
  const source = ['def f(x):', '    """Example:', '', '    ```', '    f(1)', '    ```', '    """', '    if x: return 1', '    y = x * 2', '    z = y + 1', '    return z', ''].join('\n');
  const parsed = await parseSource(source, 'python');
  try {
    const blocks = parsed.blocks('f');
    const fn: ListedFunction = { name: 'f', language: 'python', source, range: parsed.fn('f').range, blocks };
    const out = renderTracedFunction(fn, undefined, { maxTraceTokens: 0 });
    assert.match(out.text, /^````python\n[\s\S]*\n````$/);
    const onIfLine = blocks.filter((b) => b.range.start.line === 8).map((b) => b.id);
    assert.equal(onIfLine.length, 2, 'the branch and the return share line 8');
    const tight = renderTracedFunction(fn, undefined, { maxTraceTokens: 0, maxCodeTokens: 1, suspicion: new Map([[onIfLine[0], 1]]) });
    assert.ok(tight.blocksLeftOut.includes(onIfLine[1]));
    assert.match(tight.text, /\n {4}if x: return 1\n/, 'the line stays: a kept block is on it');
  } finally {
    parsed.tree.delete();
  }
});

test("a loop header's last check says the loop ends; a loop left from its body is not marked", async () => {
  const fn = await bisect();
  const ended = renderTracedFunction(fn, bisectTrace, { maxTraceTokens: 2000 }).text;
  assert.equal(ended.match(/\(the loop ends\)/g)?.length, 1);
  assert.match(ended, /# ↳ b2 #2: read lo = 2 \(the loop ends\)\n/);
  // The same call left from the body (as a `break` or a `return` in the loop would): the header's
  // second check lets the body run again, and the function returns from there.
  const steps = bisectTrace.calls[0].steps;
  const leftFromBody: ListingTrace = { ...bisectTrace, calls: [{ ...bisectTrace.calls[0], steps: [...steps.slice(0, 6), { ...steps[2], iteration: 2 }, steps[6]] }] };
  assert.doesNotMatch(renderTracedFunction(fn, leftFromBody, { maxTraceTokens: 2000 }).text, /the loop ends/);
});
