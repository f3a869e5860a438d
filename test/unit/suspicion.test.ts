// The suspicion ranking on hand-made block spectra: Ochiai first, the extra evidence on top, one
// failing test without passing ones, no failing test at all, ties; and the spectra records it reads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block, BlockKind } from '../../src/core/blocks/basicBlocks';
import { namesRead, namesWritten } from '../../src/core/localize/blockDataFlow';
import { dominators, guards } from '../../src/core/localize/controlFlow';
import { parseSpectraJsonl, spectrumOfRecord, type TestSpectrum } from '../../src/core/localize/spectra';
import { isRunaway, rankSuspiciousBlocks } from '../../src/core/localize/suspicion';

/** Blocks one line each, b1 on line 2, b2 on line 3, ... */
function blocks(...texts: string[]): Block[] {
  return texts.map((text, i) => ({
    id: `b${i + 1}`,
    kind: (text.startsWith('return') ? 'return' : 'straight') as BlockKind,
    range: { start: { line: i + 2, character: 4 }, end: { line: i + 2, character: 4 + text.length } },
    text,
    successors: i + 1 < texts.length ? [`b${i + 2}`] : [],
  }));
}

const spec = (testId: string, outcome: TestSpectrum['outcome'], ids: string[], extra: Partial<TestSpectrum> = {}): TestSpectrum => ({
  testId,
  outcome,
  blocks: ids,
  recency: [...ids].reverse(),
  ...extra,
});

/** Blocks with their kinds and edges given: [kind, text, successors], one line each from line 2. */
function graph(...specs: [BlockKind, string, string[]][]): Block[] {
  return specs.map(([kind, text, successors], i) => ({
    id: `b${i + 1}`,
    kind,
    range: { start: { line: i + 2, character: 4 }, end: { line: i + 2, character: 4 + text.length } },
    text,
    successors,
  }));
}

/** `queue = [start]; while True: node = queue.pop(0); if node is goal: return True; queue.extend(...)` */
const whileTrue = () =>
  graph(
    ['straight', 'queue = [start]', ['b2']],
    ['loop-header', 'while True:', ['b3']],
    ['straight', 'node = queue.pop(0)', ['b4']],
    ['branch', 'if node is goal:', ['b5', 'b6']],
    ['return', 'return True', []],
    ['straight', 'queue.extend(node.successors)', ['b2']],
  );

const order = (r: ReturnType<typeof rankSuspiciousBlocks>) => r.blocks.map((b) => b.id);

test('Ochiai: a block only failing tests run comes first; a block no failing test ran scores 0 and comes last', () => {
  const fn = blocks('a = 1', 'b = 2', 'c = 3', 'return 0');
  const r = rankSuspiciousBlocks(fn, [
    spec('t1', 'failed', ['b1', 'b2', 'b4']),
    spec('t2', 'passed', ['b1', 'b4']),
    spec('t3', 'passed', ['b1', 'b3', 'b4']),
  ]);
  assert.equal(r.failingTests, 1);
  assert.equal(r.passingTests, 2);
  assert.equal(r.blocks[0]!.id, 'b2');
  assert.equal(r.blocks[0]!.evidence.ochiai, 1);
  assert.equal(r.blocks[0]!.heat, 1);
  assert.match(r.blocks[0]!.reason, /ran in 1 of 1 failing test and 0 of 2 passing; only failing tests run it/);
  const last = r.blocks[r.blocks.length - 1]!;
  assert.equal(last.id, 'b3');
  assert.equal(last.score, 0);
  assert.match(last.reason, /not run by any of the 1 failing test/);
  assert.deepEqual(r.blocks.map((b) => b.rank), [1, 2, 3, 4]);
});

test('a single failing test and no passing one: the block the exception left from first, then recency', () => {
  const fn = blocks('i = 0', 'x = items[i + 1]', 'y = 2', 'return x');
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2', 'b3'], { raisedBlock: 'b2', recency: ['b2', 'b3', 'b1'] })]);
  assert.deepEqual(order(r), ['b2', 'b3', 'b1', 'b4']);
  assert.ok(r.blocks.slice(0, 3).every((b) => b.evidence.ochiai === 1), 'Ochiai cannot tell them apart');
  assert.match(r.blocks[0]!.reason, /\(no passing test reached the function\); the exception left the function here in 1 failing test/);
  assert.equal(r.blocks[3]!.score, 0);
});

test('a timeout is named as such in the reason', () => {
  const fn = blocks('n = 3', 'n -= 2');
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2'], { raisedBlock: 'b2', timedOut: true })]);
  assert.equal(r.blocks[0]!.id, 'b2');
  assert.match(r.blocks[0]!.reason, /1 test timed out here/);
  assert.doesNotMatch(r.blocks[0]!.reason, /exception left/);
});

test('a wrong result: the blocks writing what the last block reads come before the others', () => {
  const fn = blocks('count = 0', 'total = total + v', 'seen.append(v)', 'return total');
  const r = rankSuspiciousBlocks(fn, [
    spec('t1', 'failed', ['b1', 'b2', 'b3', 'b4'], { lastBlock: 'b4', recency: ['b4', 'b3', 'b2', 'b1'] }),
    spec('t2', 'passed', ['b1', 'b2', 'b3', 'b4']),
  ]);
  assert.equal(r.blocks[0]!.id, 'b2');
  assert.deepEqual(r.blocks[0]!.evidence.resultNames, ['total']);
  assert.match(r.blocks[0]!.reason, /writes `total`, which the wrong result is made of/);
  assert.equal(r.blocks[0]!.evidence.feedsResult, 1);
  assert.equal(r.blocks.find((b) => b.id === 'b3')!.evidence.feedsResult, 0);
});

test('ties share a rank (1, 1, 3) and keep block order; without recency identical blocks tie', () => {
  const fn = blocks('a = 1', 'b = 2', 'c = 3');
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2']), spec('t2', 'passed', ['b3'])], { recency: 0 });
  assert.deepEqual(order(r), ['b1', 'b2', 'b3']);
  assert.deepEqual(r.blocks.map((b) => b.rank), [1, 1, 3]);
  assert.equal(r.blocks[1]!.heat, 1);
});

test('no failing test reached the function: everything scores 0, one shared rank, and the reason says why', () => {
  const fn = blocks('a = 1', 'return a');
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'passed', ['b1', 'b2'])]);
  assert.deepEqual(r.blocks.map((b) => [b.score, b.rank, b.heat]), [[0, 1, 0], [0, 1, 0]]);
  assert.equal(r.blocks[0]!.reason, 'no failing test reached this function');
  assert.equal(rankSuspiciousBlocks(fn, []).blocks.length, 2, 'no tests at all still ranks every block');
});

test('skipped tests and tests that never reached the function are left out of the counts', () => {
  const fn = blocks('a = 1', 'return a');
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2']), spec('t2', 'failed', []), spec('t3', 'skipped', ['b1'])]);
  assert.equal(r.failingTests, 1);
  assert.equal(r.passingTests, 0);
});

test('spectrumOfRecord: lines to blocks, hit counts, recency, the raised and last blocks; the def line is ignored', () => {
  const lineBlocks = { '2': 'b1', '3': 'b2', '4': 'b2', '5': 'b3' };
  const s = spectrumOfRecord(
    { test: 'test_x.py::test_a', outcome: 'failed', lines: { '1': [1, 1], '2': [1, 2], '3': [4, 9], '4': [3, 8], '5': [1, 10] }, raisedLine: 4, lastLine: 5, timedOut: true, message: 'boom' },
    lineBlocks,
    ['b1', 'b2', 'b3'],
  );
  assert.deepEqual(s, {
    testId: 'test_x.py::test_a',
    outcome: 'failed',
    blocks: ['b1', 'b2', 'b3'],
    hits: { b1: 1, b2: 4, b3: 1 },
    recency: ['b3', 'b2', 'b1'],
    raisedBlock: 'b2',
    lastBlock: 'b3',
    timedOut: true,
    message: 'boom',
  });
  const untouched = spectrumOfRecord({ test: 't', outcome: 'weird', lines: {} }, lineBlocks, ['b1']);
  assert.deepEqual(untouched, { testId: 't', outcome: 'passed', blocks: [], hits: {}, recency: [] });
});

test('parseSpectraJsonl skips a torn last line (the run was killed while writing)', () => {
  const text = '{"test":"a","outcome":"passed","lines":{}}\n{"test":"b","outcome":"failed","lines":{}}\n{"test":"c","outc';
  assert.deepEqual(parseSpectraJsonl(text).map((r) => r.test), ['a', 'b']);
});

test('namesWritten / namesRead: assignments, augmented and subscript writes, mutating calls, loop variables; strings ignored', () => {
  assert.deepEqual([...namesWritten('a, b = 1, 2\nmemo[i, j] = x\ntotal += v\nstack.append(x)\nfor k, v in items:\n    pass\nif a == b: pass')].sort(), ['a', 'b', 'k', 'memo', 'stack', 'total', 'v']);
  assert.deepEqual([...namesWritten('const x = 1; let y = 2;\nresult.push(3)')].sort(), ['result', 'x']);
  assert.deepEqual([...namesRead("return memo[len(items), capacity] + 'total' # total")].sort(), ['capacity', 'items', 'len', 'memo']);
  assert.deepEqual([...namesRead('return self.total')], ['self']);
});

test('dominators and guards: a diamond, a loop, an unreachable block', () => {
  const fn = graph(
    ['straight', 'x = 0', ['b2']],
    ['branch', 'if a:', ['b3', 'b4']],
    ['straight', 'x = 1', ['b5']],
    ['straight', 'x = 2', ['b5']],
    ['loop-header', 'while x:', ['b6', 'b7']],
    ['straight', 'x -= 1', ['b5']],
    ['return', 'return x', []],
    ['straight', 'dead = 1', ['b7']],
  );
  const dom = dominators(fn);
  assert.deepEqual([...dom.get('b5')!].sort(), ['b1', 'b2', 'b5'], 'the join is dominated by the branch, not by either arm');
  assert.deepEqual([...dom.get('b6')!].sort(), ['b1', 'b2', 'b5', 'b6']);
  assert.deepEqual([...dom.get('b8')!], ['b8'], 'no path reaches it');
  assert.deepEqual(Object.fromEntries(guards(fn)), { b3: 'b2', b4: 'b2', b5: 'b2', b6: 'b5', b7: 'b5' });
  assert.deepEqual(guards([]).size, 0);
});

test('a crash: the guard of the crashing block (the loop that let control reach it) comes first, then the block', () => {
  const fn = whileTrue();
  const failing = spec('t1', 'failed', ['b1', 'b2', 'b3', 'b4', 'b6'], { raisedBlock: 'b3', recency: ['b3', 'b2', 'b6', 'b4', 'b1'], message: 'IndexError: pop from empty list' });
  const passing = spec('t2', 'passed', ['b1', 'b2', 'b3', 'b4', 'b6', 'b5']);
  const r = rankSuspiciousBlocks(fn, [failing, passing]);
  assert.deepEqual(order(r).slice(0, 2), ['b2', 'b3']);
  assert.equal(r.blocks[0]!.evidence.guard, 1);
  assert.match(r.blocks[0]!.reason, /the last decision before the crash in 1 failing test/);
  assert.deepEqual(order(rankSuspiciousBlocks(fn, [failing, passing], { guard: 0 })).slice(0, 1), ['b3'], 'without it the crashing block leads');
  // One failing test and no passing one: Ochiai ties everything, the guard still orders.
  assert.deepEqual(order(rankSuspiciousBlocks(fn, [failing])).slice(0, 2), ['b2', 'b3']);
});

test('a runaway failure (timeout, recursion limit) keeps the blame on the block it stopped in: no guard', () => {
  const fn = whileTrue();
  for (const extra of [{ timedOut: true, message: 'DucktraceTimeout: test exceeded 2s' }, { message: 'RecursionError: maximum recursion depth exceeded' }, { message: 'RangeError: Maximum call stack size exceeded' }]) {
    const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2', 'b3', 'b4', 'b6'], { raisedBlock: 'b3', recency: ['b3', 'b2', 'b6', 'b4', 'b1'], ...extra })]);
    assert.equal(r.blocks[0]!.id, 'b3', extra.message);
    assert.ok(r.blocks.every((b) => b.evidence.guard === 0), extra.message);
  }
  assert.equal(isRunaway({ message: 'IndexError: list index out of range' }), false);
  assert.equal(isRunaway({}), false);
});

test('a crash in the entry block has no guard; a wrong result (no exception) gives no guard evidence', () => {
  const fn = whileTrue();
  const r = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1'], { raisedBlock: 'b1', message: 'TypeError: x' })]);
  assert.equal(r.blocks[0]!.id, 'b1');
  assert.ok(r.blocks.every((b) => b.evidence.guard === 0));
  const wrong = rankSuspiciousBlocks(fn, [spec('t1', 'failed', ['b1', 'b2', 'b3', 'b4', 'b5'], { lastBlock: 'b5', message: 'AssertionError: assert False' })]);
  assert.ok(wrong.blocks.every((b) => b.evidence.guard === 0));
});

test('a timeout is not raised evidence by default: where the alarm hit an endless loop is a toss-up, recency orders the loop', () => {
  const fn = graph(['straight', 'count = 0', ['b2']], ['loop-header', 'while n:', ['b3', 'b4']], ['straight', 'n ^= n - 1', ['b2']], ['return', 'return count', []]);
  const stopped = spec('t1', 'failed', ['b1', 'b2', 'b3'], { raisedBlock: 'b2', recency: ['b3', 'b2', 'b1'], timedOut: true, message: 'DucktraceTimeout: test exceeded 2s' });
  const r = rankSuspiciousBlocks(fn, [stopped]);
  assert.deepEqual(order(r).slice(0, 2), ['b3', 'b2']);
  const b2 = r.blocks.find((b) => b.id === 'b2')!;
  assert.deepEqual([b2.evidence.raised, b2.evidence.timedOut, b2.evidence.guard], [1, 1, 0]);
  assert.match(b2.reason, /1 test timed out here/);
  assert.deepEqual(order(rankSuspiciousBlocks(fn, [stopped], { raisedByTimeout: 0.1 })).slice(0, 2), ['b2', 'b3'], 'counted as raised, it would lead');
});

test('evidence whose weight is 0 is not given as a reason: the runaway loop is named only when it counts', () => {
  const fn = graph(['straight', 'count = 0', ['b2']], ['loop-header', 'while n:', ['b3', 'b4']], ['straight', 'n ^= n - 1', ['b2']], ['return', 'return count', []]);
  const stopped = spec('t1', 'failed', ['b1', 'b2', 'b3'], { raisedBlock: 'b3', recency: ['b3', 'b2', 'b1'], timedOut: true, message: 'DucktraceTimeout: test exceeded 2s' });
  const header = (w: Parameters<typeof rankSuspiciousBlocks>[2]) => rankSuspiciousBlocks(fn, [stopped], w).blocks.find((b) => b.id === 'b2')!;
  assert.equal(header({ runawayLoop: 0 }).evidence.runawayLoop, 1, 'the evidence is still recorded');
  assert.doesNotMatch(header({ runawayLoop: 0 }).reason, /never left/);
  assert.match(header({ runawayLoop: 0.1 }).reason, /the loop 1 failing test never left/);
});
