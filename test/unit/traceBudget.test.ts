import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTraceBudget, valueKind, type RawCall, type RawStep } from '../../src/core/trace/traceBudget';
import { normalizeTraceBudget, defaultTraceBudget } from '../../src/core/trace/traceModel';
import { lineBlockMap, touchedSelfFields } from '../../src/core/trace/tracePlan';
import type { Block } from '../../src/core/blocks/basicBlocks';

const target = { file: 'loop.py', function: 'f', language: 'python' };
const int = (n: number) => ({ type: 'int', text: String(n) });

/** A loop: b1 once, then (b2 header, b3 body) `n` times, then the header's exit visit and b4. */
function loopCall(n: number, flipAt = -1): RawCall {
  const steps: RawStep[] = [];
  let index = 0;
  steps.push({ index: index++, blockId: 'b1', iteration: 1, vars: { i: int(0) } });
  for (let i = 1; i <= n; i++) {
    steps.push({ index: index++, blockId: 'b2', iteration: i, vars: { i: int(i) } });
    steps.push({ index: index++, blockId: 'b3', iteration: i, vars: { i: i === flipAt ? int(-1) : int(i) } });
  }
  steps.push({ index: index++, blockId: 'b2', iteration: n + 1, vars: { i: int(n) } });
  steps.push({ index: index++, blockId: 'b4', iteration: 1, vars: { i: int(n) } });
  return { args: { n: int(n) }, depth: 0, steps, executedSteps: index, returned: int(n) };
}

test('valueKind tells sign, emptiness and NaN apart, not values', () => {
  assert.equal(valueKind(int(3)), valueKind(int(7)));
  assert.notEqual(valueKind(int(3)), valueKind(int(-3)));
  assert.notEqual(valueKind(int(0)), valueKind(int(3)));
  assert.equal(valueKind({ type: 'float', text: 'nan' }), 'float:nan');
  assert.equal(valueKind({ type: 'number', text: '-Infinity' }), 'number:-inf');
  assert.equal(valueKind({ type: 'list', text: '[]', length: 0 }), 'list:empty');
  assert.equal(valueKind({ type: 'list', text: '[1]', length: 1 }), 'list:nonempty');
  assert.equal(valueKind({ type: 'None', text: 'None' }), 'None');
});

test('a short trace is kept whole and not truncated', () => {
  const trace = applyTraceBudget({ calls: [loopCall(2)] }, target, defaultTraceBudget);
  assert.equal(trace.truncated, false);
  assert.deepEqual(
    trace.calls[0].steps.map((s) => `${s.blockId}#${s.iteration}`),
    ['b1#1', 'b2#1', 'b3#1', 'b2#2', 'b3#2', 'b2#3', 'b4#1'],
  );
  assert.equal(trace.stats.steps, 7);
  assert.equal(trace.stats.bytes, Buffer.byteLength(JSON.stringify(trace)));
  assert.deepEqual(trace.calls[0].returned, int(2));
});

test('a long loop keeps the first and last visits of every block, new kinds, and says how much it skipped', () => {
  const trace = applyTraceBudget({ calls: [loopCall(1000, 500)] }, target, normalizeTraceBudget({ maxSteps: 12 }));
  const steps = trace.calls[0].steps;
  assert.equal(steps.length, 12);
  const shown = steps.map((s) => `${s.blockId}#${s.iteration}`);
  for (const must of ['b1#1', 'b2#1', 'b3#1', 'b3#1000', 'b2#1001', 'b4#1', 'b3#500']) assert.ok(shown.includes(must), `${must} in ${shown.join(' ')}`);
  // The visit where i went negative is kept: a new kind of value.
  assert.deepEqual(steps.find((s) => s.blockId === 'b3' && s.iteration === 500)?.vars, { i: int(-1) });
  const skipped = steps.reduce((sum, s) => sum + (s.skippedBefore ?? 0), 0) + (trace.calls[0].skippedAfter ?? 0);
  assert.equal(skipped, 2003 - 12);
  assert.ok(trace.truncated);
  assert.equal(trace.truncated.droppedSteps, 2003 - 12);
  assert.match(trace.truncated.notes.join('\n'), /1991 of 2003 executed steps left out/);
  // Execution order is kept.
  const order = steps.map((s) => [s.blockId, s.iteration] as const);
  assert.deepEqual(order[0], ['b1', 1]);
  assert.deepEqual(order[order.length - 1], ['b4', 1]);
});

test('too many calls keep the first and the last ones', () => {
  const calls = Array.from({ length: 9 }, (_, i) => ({ ...loopCall(1), args: { n: int(i) } }));
  const trace = applyTraceBudget({ calls, droppedCalls: 5 }, target, normalizeTraceBudget({ maxCalls: 4 }));
  assert.deepEqual(trace.calls.map((c) => c.args.n.text), ['0', '1', '7', '8']);
  assert.ok(trace.truncated);
  assert.equal(trace.truncated.droppedCalls, 10);
});

test('the byte budget drops the least important steps first', () => {
  const trace = applyTraceBudget({ calls: [loopCall(200)] }, target, normalizeTraceBudget({ maxSteps: 1000, maxBytes: 3000 }));
  assert.ok(trace.stats.bytes <= 3000, `${trace.stats.bytes} bytes`);
  const shown = trace.calls[0].steps.map((s) => `${s.blockId}#${s.iteration}`);
  for (const must of ['b1#1', 'b3#200', 'b4#1']) assert.ok(shown.includes(must));
  assert.ok(trace.truncated && trace.truncated.stoppedBy === 'bytes');
});

test('a stopped program is truncated and says why', () => {
  const call = { ...loopCall(3), returned: undefined, unfinished: true };
  const trace = applyTraceBudget({ calls: [call], stoppedBy: 'steps', executedSteps: 20000 }, target, defaultTraceBudget);
  assert.ok(trace.truncated);
  assert.equal(trace.truncated.stoppedBy, 'steps');
  assert.match(trace.truncated.notes[0], /stopped after 20000 executed steps/);
  assert.equal(trace.calls[0].unfinished, true);
});

test('normalizeTraceBudget fills defaults and ignores nonsense', () => {
  assert.deepEqual(normalizeTraceBudget({ maxSteps: -1, maxBytes: Number.NaN, maxCalls: 3 }), { ...defaultTraceBudget, maxCalls: 3 });
});

test('lineBlockMap gives each line its first block; touchedSelfFields finds self/this fields', () => {
  const block = (id: string, from: number, to: number, endChar = 5): Block =>
    ({ id, kind: 'straight', range: { start: { line: from, character: 4 }, end: { line: to, character: endChar } }, text: '', successors: [] }) as Block;
  assert.deepEqual(lineBlockMap([block('b1', 2, 2), block('b2', 2, 4), block('b3', 5, 6, 0)]), { 2: 'b1', 3: 'b2', 4: 'b2', 5: 'b3' });
  assert.deepEqual(touchedSelfFields('def f(self):\n  self.a += self.b + self.a', 'python'), ['a', 'b']);
  assert.deepEqual(touchedSelfFields('m() { return this.#x + this.y; }', 'javascript'), ['#x', 'y']);
});
