import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trace, TraceCall, TraceStep } from '../../src/core/trace/traceModel';
import {
  blocksNotRun,
  callSummary,
  clampSelection,
  clip,
  codeSpan,
  hoverMarkdown,
  initialSelection,
  inlineText,
  iterationCount,
  stepSelection,
  stepsForSelection,
  traceTable,
  varsBefore,
} from '../../src/core/trace/traceView';

const num = (n: number) => ({ type: 'int', text: String(n) });
const step = (blockId: string, iteration: number, vars: Record<string, number>): TraceStep => ({
  blockId,
  iteration,
  vars: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, num(v)])),
});

/** total(xs) over `n` items: b1 once, header b2 n+1 times, body b3 n times, return b4 once. */
function loopCall(n: number): TraceCall {
  const steps: TraceStep[] = [step('b1', 1, { total: 0 })];
  let total = 0;
  for (let i = 1; i <= n; i++) {
    steps.push(step('b2', i, { total, i }));
    total += i;
    steps.push(step('b3', i, { total, i }));
  }
  steps.push(step('b2', n + 1, { total, i: n }));
  steps.push(step('b4', 1, { total, i: n }));
  return { args: { n: num(n) }, depth: 0, steps, executedSteps: steps.length, returned: num(total) };
}

function traceOf(...calls: TraceCall[]): Trace {
  return { target: { file: 'sum.py', function: 'Acc.total', language: 'python' }, calls, truncated: false, stats: { steps: 0, bytes: 0, elapsedMs: 0 } };
}

const shown = (trace: Trace, call: number, iteration: number) =>
  Object.fromEntries([...stepsForSelection(trace, { call, iteration })].map(([id, s]) => [id, `#${s.iteration} total=${s.vars.total?.text}`]));

test('iterationCount is the highest visit number, 1 for a call without loops or steps', () => {
  assert.equal(iterationCount(loopCall(3)), 4);
  assert.equal(iterationCount({ args: {}, depth: 0, steps: [step('b1', 1, {})], executedSteps: 1 }), 1);
  assert.equal(iterationCount({ args: {}, depth: 0, steps: [], executedSteps: 0 }), 1);
  assert.equal(iterationCount(undefined), 1);
});

test('each block shows its visit of the selected iteration, or its latest one below it', () => {
  const trace = traceOf(loopCall(3));
  assert.deepEqual(shown(trace, 0, 1), { b1: '#1 total=0', b2: '#1 total=0', b3: '#1 total=1', b4: '#1 total=6' });
  assert.deepEqual(shown(trace, 0, 2), { b1: '#1 total=0', b2: '#2 total=1', b3: '#2 total=3', b4: '#1 total=6' });
  // The header's exit visit is iteration 4; the body ran only 3 times, so its latest stays.
  assert.deepEqual(shown(trace, 0, 4), { b1: '#1 total=0', b2: '#4 total=6', b3: '#3 total=6', b4: '#1 total=6' });
});

test('a block whose kept visits all come after the selected iteration is absent (budget gaps)', () => {
  const call: TraceCall = { args: {}, depth: 0, steps: [step('b1', 1, { total: 0 }), { ...step('b3', 5, { total: 15 }), skippedBefore: 8 }], executedSteps: 10 };
  const trace = traceOf(call);
  assert.deepEqual(shown(trace, 0, 2), { b1: '#1 total=0' });
  assert.deepEqual(shown(trace, 0, 5), { b1: '#1 total=0', b3: '#5 total=15' });
  // Gaps: iteration 4 falls back to nothing for b3, iteration 7 (clamped to 5) shows #5.
  assert.deepEqual(clampSelection(trace, { call: 0, iteration: 7 }), { call: 0, iteration: 5 });
});

test('a repeated visit with the same iteration: the later one wins', () => {
  const call: TraceCall = { args: {}, depth: 0, steps: [step('b1', 1, { total: 1 }), step('b1', 1, { total: 2 })], executedSteps: 2 };
  assert.deepEqual(shown(traceOf(call), 0, 1), { b1: '#1 total=2' });
});

test('an unknown call shows nothing', () => {
  assert.deepEqual(shown(traceOf(loopCall(1)), 3, 1), {});
  assert.deepEqual(shown(traceOf(), 0, 1), {});
});

test('stepping: calls reset the iteration, both clamp at the ends', () => {
  const trace = traceOf(loopCall(3), loopCall(1), loopCall(0));
  let sel = initialSelection(trace);
  assert.deepEqual(sel, { call: 0, iteration: 1 });
  sel = stepSelection(trace, sel, 'iteration', -1);
  assert.deepEqual(sel, { call: 0, iteration: 1 });
  for (let i = 0; i < 10; i++) sel = stepSelection(trace, sel, 'iteration', 1);
  assert.deepEqual(sel, { call: 0, iteration: 4 });
  sel = stepSelection(trace, sel, 'call', 1);
  assert.deepEqual(sel, { call: 1, iteration: 1 });
  sel = stepSelection(trace, sel, 'iteration', 5);
  assert.deepEqual(sel, { call: 1, iteration: 2 });
  sel = stepSelection(trace, sel, 'call', 9);
  assert.deepEqual(sel, { call: 2, iteration: 1 });
  sel = stepSelection(trace, sel, 'call', -9);
  assert.deepEqual(sel, { call: 0, iteration: 1 });
  sel = stepSelection(trace, { call: 0, iteration: 3 }, 'call', -1);
  assert.deepEqual(sel, { call: 0, iteration: 3 }, 'no earlier call: the iteration stays');
  assert.deepEqual(clampSelection(traceOf(), { call: 4, iteration: 4 }), { call: 0, iteration: 1 });
  assert.deepEqual(clampSelection(trace, { call: Number.NaN, iteration: -3 }), { call: 0, iteration: 1 });
});

test('blocksNotRun lists the blocks the call never reached, never the entry block', () => {
  // b1 is a docstring alone: no step, yet it "ran".
  const trace = traceOf({ args: {}, depth: 0, steps: [step('b2', 1, {}), step('b4', 1, {})], executedSteps: 2 });
  assert.deepEqual(blocksNotRun(trace, { call: 0, iteration: 1 }, ['b1', 'b2', 'b3', 'b4']), ['b3']);
  assert.deepEqual(blocksNotRun(trace, { call: 5, iteration: 1 }, ['b1', 'b2']), []);
});

test('inline text keeps the recorded order and bounds each value and the whole', () => {
  const vars = { price: num(80), percent: num(10), discounted: { type: 'float', text: '0.0' } };
  assert.equal(inlineText(vars), 'price = 80, percent = 10, discounted = 0.0');
  assert.equal(inlineText({}), '');
  const long = inlineText({ xs: { type: 'list', text: `[${'1, '.repeat(100)}1]` }, y: num(1) }, { maxValueChars: 10 });
  assert.equal(long, 'xs = [1, 1, 1,…, y = 1');
  const many = inlineText(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`v${i}`, num(i)])), { maxChars: 30 });
  assert.equal(many.length, 30);
  assert.ok(many.endsWith('…'));
  assert.equal(inlineText({ s: { type: 'str', text: "'a\nb'" } }), "s = 'a⏎b'");
});

test('inline text puts what the block changed first', () => {
  const call = loopCall(2);
  const body = call.steps[2]!; // b3 #1: total 0 -> 1
  assert.deepEqual(varsBefore(call, body), call.steps[1]!.vars);
  assert.deepEqual(varsBefore(call, call.steps[0]!), call.args);
  assert.equal(inlineText({ xs: { type: 'list', text: '[1, 2]' }, total: num(1), i: num(1) }, {}, { xs: { type: 'list', text: '[1, 2]' }, total: num(0), i: num(1) }), 'total = 1, xs = [1, 2], i = 1');
  // New variables count as changed; nothing changed keeps the recorded order.
  assert.equal(inlineText({ price: num(80), discounted: num(0) }, {}, { price: num(80) }), 'discounted = 0, price = 80');
  assert.equal(inlineText({ a: num(1), b: num(2) }, {}, { a: num(1), b: num(2) }), 'a = 1, b = 2');
  assert.equal(inlineText({ a: num(1) }, {}, { a: { type: 'float', text: '1' } }), 'a = 1');
  // Trace Failing Test draws only what the block changed; the hover has the rest.
  assert.equal(inlineText({ price: num(80), percent: num(10), discounted: num(0) }, { changedOnly: true }, { price: num(80), percent: num(10) }), 'discounted = 0');
  assert.equal(inlineText({ a: num(1), b: num(2) }, { changedOnly: true }, { a: num(1), b: num(2) }), '');
  assert.equal(inlineText({ a: num(1) }, { changedOnly: true }), 'a = 1', 'without a before, everything');
});

test('clip', () => {
  assert.equal(clip('abc', 3), 'abc');
  assert.equal(clip('abcd', 3), 'ab…');
  assert.equal(clip('abcd', 1), '…');
});

test('callSummary names the function, its arguments and the outcome', () => {
  assert.equal(callSummary('Acc.total', loopCall(3)), 'total(n=3) → 6');
  assert.equal(callSummary('f', { args: { x: num(1) }, depth: 0, steps: [], executedSteps: 0, threw: { type: 'ValueError', text: "ValueError('bad')" } }), "f(x=1) raised ValueError('bad')");
  assert.equal(callSummary('f', { args: {}, depth: 0, steps: [], executedSteps: 0, unfinished: true }), 'f() (unfinished)');
  assert.equal(callSummary('f', { args: { x: { type: 'str', text: 'y'.repeat(200) } }, depth: 0, steps: [], executedSteps: 0 }, 20).length, 20);
});

test('hover: every variable with type and full text, the visit, the call args and return', () => {
  const call: TraceCall = {
    args: { xs: { type: 'list', text: '[1, 2]', length: 2 } },
    depth: 1,
    steps: [step('b1', 1, { total: 0 }), { blockId: 'b2', iteration: 1, vars: { s: { type: 'str', text: "'a`b'", length: 3 } }, skippedBefore: 2 }],
    executedSteps: 4,
    returned: num(3),
  };
  const trace: Trace = { ...traceOf(call), truncated: { droppedSteps: 2, droppedCalls: 0, notes: ['kept the first and last visits of each block'] } };
  const md = hoverMarkdown(trace, { call: 0, iteration: 3 }, call.steps[1]!);
  assert.equal(
    md,
    [
      '**Ducktrace · after block b2** · call 1 of 1, iteration 1 (its latest visit up to iteration 3)',
      '',
      '_2 earlier steps not recorded (trace budget)_',
      '',
      "- `s` (str, length 3): `` 'a`b' ``",
      '',
      '**Call 1** (recursion depth 1) with',
      '- `xs` (list, length 2): `[1, 2]`',
      '',
      'returned `3` (int)',
      '',
      '_kept the first and last visits of each block_',
    ].join('\n'),
  );
  assert.match(hoverMarkdown(traceOf(call), { call: 0, iteration: 1 }, call.steps[0]!), /call 1 of 1, iteration 1\n\n- `total` \(int\): `0`/);
});

test('codeSpan fences backticks', () => {
  assert.equal(codeSpan('a'), '`a`');
  assert.equal(codeSpan('a``b'), '``` a``b ```');
});

test('traceTable: one row per kept step in order, columns by first appearance (arguments first), gaps left empty, a cap on rows', () => {
  const call = loopCall(2);
  const trace: Trace = {
    ...traceOf(call, loopCall(1)),
    calls: [{ ...call, steps: call.steps.map((s, i) => (i === 3 ? { ...s, skippedBefore: 4 } : s)) }, loopCall(1)],
    truncated: { droppedSteps: 4, droppedCalls: 0, notes: ['kept the first and last visits of each block'] },
  };
  const table = traceTable('Acc.total', trace, 0)!;
  assert.equal(table.summary, 'total(n=2) → 3');
  assert.deepEqual([table.call, table.calls], [0, 2]);
  assert.deepEqual(table.columns, ['n', 'total', 'i']);
  assert.deepEqual(
    table.rows.map((r) => [r.blockId, r.iteration, ...r.cells, r.skippedBefore ?? 0]),
    [
      ['b1', 1, '', '0', '', 0],
      ['b2', 1, '', '0', '1', 0],
      ['b3', 1, '', '1', '1', 0],
      ['b2', 2, '', '1', '2', 4],
      ['b3', 2, '', '3', '2', 0],
      ['b2', 3, '', '3', '2', 0],
      ['b4', 1, '', '3', '2', 0],
    ],
  );
  assert.deepEqual(table.notes, ['kept the first and last visits of each block']);
  assert.equal(table.rowsLeftOut, 0);
  const capped = traceTable('Acc.total', trace, 0, { maxRows: 3 })!;
  assert.equal(capped.rows.length, 3);
  assert.equal(capped.rowsLeftOut, 4);
  assert.equal(traceTable('Acc.total', trace, 5), undefined, 'no such call');
});
