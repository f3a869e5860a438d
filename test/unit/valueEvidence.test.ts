// The ranking's value evidence: rendered values read back, the conditions' comparisons evaluated
// over a step's variables, the expected value out of the failure, and each evidence kind on
// hand-made traces (boundary, deviation, base case, same inputs) and on real runs: the tier discount of issue 17
// (pytest, `quantity > min_q` should be `>=`) and a JavaScript boundary under node:test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block, BlockKind } from '../../src/core/blocks/basicBlocks';
import { expectedValueOf } from '../../src/core/localize/expectedValue';
import { rankSuspiciousBlocks } from '../../src/core/localize/suspicion';
import { comparisonsIn, conditionOf, connectivesIn, evaluate, parseCondition, parsePlain, plainEqual, truthOf } from '../../src/core/localize/traceValues';
import { valueEvidence, type TracedTest } from '../../src/core/localize/valueEvidence';
import type { Trace, TraceCall, TraceValue } from '../../src/core/trace/traceModel';
import { localize } from '../../src/host/localize/localize';
import { fixturePath, parser } from './support/fixtures';

const v = (type: string, text: string, length?: number): TraceValue => (length === undefined ? { type, text } : { type, text, length });

test('rendered values read back: Python and JavaScript renderings; a value cut short is unknown', () => {
  assert.deepEqual(parsePlain("[1, 'a', (2, 3), None, True]"), [1, 'a', [2, 3], null, true]);
  assert.deepEqual(parsePlain("{'k': [1.5, -2], 'n': null}"), { k: [1.5, -2], n: null });
  assert.deepEqual(parsePlain('{a: 1, b: [false]}'), { a: 1, b: [false] });
  assert.equal(parsePlain("'it\\'s'"), "it's");
  assert.equal(parsePlain('-inf'), -Infinity);
  assert.equal(parsePlain('Point {x: 1}'), undefined);
  assert.ok(plainEqual(parsePlain('(1, 2)'), parsePlain('[1, 2]')));
  assert.equal(evaluate(comparisonsIn('len(xs) > 0')[0]!.left, { xs: v('list', '[0, 1, 2, 3, 4, 5, …(94 more), 99]', 100) }), 100, 'the length of a cut list is known');
  assert.equal(evaluate(comparisonsIn('xs[1] > 0')[0]!.left, { xs: v('list', '[0, 1, …(98 more)]', 100) }), undefined, 'its elements are not');
});

test('conditions: the comparison out of a header, its sides evaluated over the variables', () => {
  assert.equal(conditionOf('while lo <= hi:'), 'lo <= hi');
  assert.equal(conditionOf('elif x <= arr[mid]:'), 'x <= arr[mid]');
  assert.equal(conditionOf('if (s.length > maxlen) {'), '(s.length > maxlen)');
  assert.equal(conditionOf('for (let i = 0; i < string.length - 1; i++)'), 'i < string.length - 1');
  assert.equal(conditionOf('for x in xs:'), undefined);
  const [c] = comparisonsIn('i < string.length - 1 && ok');
  assert.equal(c!.text, 'i < string.length - 1');
  const vars = { i: v('number', '5'), string: v('string', "'asdfgh'", 6) };
  assert.equal(evaluate(c!.left, vars), 5);
  assert.equal(evaluate(c!.right, vars), 5);
  assert.deepEqual(
    comparisonsIn('abs(x - approx) > epsilon or not done').map((x) => x.text),
    ['abs(x - approx) > epsilon'],
  );
  assert.deepEqual(comparisonsIn('p > s || (p == s && a < b)').map((x) => x.text), ['a < b'], 'equality handled on its own is no boundary');
  assert.deepEqual(comparisonsIn('f(x) > 1'), [], 'a call other than len/abs is not read');
  const [field] = comparisonsIn('order.total > 50');
  assert.equal(evaluate(field!.left, { order: v('Object', '{ total: 50, weight: 1 }') }), 50, 'a field is read from the rendered object');
  assert.equal(evaluate(field!.left, { order: v('Object', '{ weight: 1 }') }), undefined, 'a missing field is unknown');
  assert.deepEqual(comparisonsIn('s.trim() > 1'), [], 'a method call is not read');
  const root = parseCondition('(x >= lo || x <= hi) && !done')!.root;
  assert.deepEqual(connectivesIn(root).map((c) => c.op), ['&&', '||']);
  const at = (x: number, done: boolean) => ({ x: v('number', String(x)), lo: v('number', '0'), hi: v('number', '10'), done: v('boolean', String(done)) });
  assert.equal(truthOf(root, at(-5, false)), true, '-5 >= 0 is false, -5 <= 10 true');
  assert.equal(truthOf(root, at(5, true)), false);
  assert.equal(truthOf(root, { x: v('number', '5') }), undefined, 'a side it cannot read: unknown');
  assert.equal(truthOf(parseCondition("ch == 'a' or ch == 'e'")!.root, { ch: v('str', "'e'") }), true);
});

test('the expected value: from the report, pytest, unittest, vitest and node assert.ok messages', () => {
  assert.equal(expectedValueOf({ message: 'whatever', expected: '[1, 2]' }), '[1, 2]');
  assert.equal(expectedValueOf({ message: 'AssertionError: assert 18 == 19\n + where 18 = f()' }), '19');
  assert.equal(expectedValueOf({ message: 'AssertionError: 4 != 5' }), '5');
  assert.equal(expectedValueOf({ message: "expected 'C' to be 'B' // Object.is equality" }), "'B'");
  assert.equal(expectedValueOf({ message: "The expression evaluated to a falsy value:\n\n  assert.ok(intToMiniRoman(19) === 'xix')\n" }), "'xix'");
  assert.equal(expectedValueOf({ message: 'The expression evaluated to a falsy value:\n\n  assert.ok(f([1, 2]) == 3)\n' }), '3');
  assert.equal(expectedValueOf({ message: 'boom' }), undefined);
  assert.equal(
    expectedValueOf({ message: 'The expression evaluated to a falsy value:\n\n  assert.ok(\n      hasClose([1.0, 2.2], 0.05) === false\n    )', expected: 'true' }),
    'false',
    "node's report says `expected: true` for assert.ok: the compared literal is the function's expected result",
  );
  assert.equal(expectedValueOf({ message: "The expression evaluated to a falsy value:\n\n  assert.ok(\n      JSON.stringify(allPrefixes('WWW')) === JSON.stringify(['W', 'WW'])\n    )", expected: 'true' }), "['W', 'WW']");
});

/** Blocks one line each from line 2: [kind, text, successors]. */
function graph(...specs: [BlockKind, string, string[]][]): Block[] {
  return specs.map(([kind, text, successors], i) => ({
    id: `b${i + 1}`,
    kind,
    range: { start: { line: i + 2, character: 4 }, end: { line: i + 2, character: 4 + text.length } },
    text,
    successors,
  }));
}

const traceOf = (...calls: TraceCall[]): Trace => ({ target: { file: 'f.py', function: 'f', language: 'python' }, calls, truncated: false, stats: { steps: 0, bytes: 0, elapsedMs: 0 } });
const call = (args: TraceCall['args'], steps: [string, TraceCall['steps'][number]['vars']][], extra: Partial<TraceCall> = {}): TraceCall => ({
  args,
  depth: 0,
  steps: steps.map(([blockId, vars], i) => ({ blockId, iteration: i + 1, vars })),
  executedSteps: steps.length,
  ...extra,
});

/** `best = 0; for min_q, rate in tiers: if quantity > min_q: best = max(best, rate); return best` */
const tiers = () =>
  graph(['straight', 'best = 0', ['b2']], ['loop-header', 'for min_q, rate in tiers:', ['b3', 'b5']], ['branch', 'if quantity > min_q:', ['b4', 'b2']], ['straight', 'best = max(best, rate)', ['b2']], ['return', 'return best', []]);

test('boundary: a branch that compared equal values in the failing test and not in the passing one', () => {
  const q = (n: number) => ({ quantity: v('int', String(n)) });
  const failing: TracedTest = {
    testId: 'at', outcome: 'failed', expected: '0.1',
    trace: traceOf(call(q(50), [['b1', q(50)], ['b2', { ...q(50), min_q: v('int', '10') }], ['b3', { ...q(50), min_q: v('int', '10') }], ['b4', q(50)], ['b2', { ...q(50), min_q: v('int', '50') }], ['b3', { ...q(50), min_q: v('int', '50') }], ['b5', q(50)]])),
  };
  const passing: TracedTest = { testId: 'small', outcome: 'passed', trace: traceOf(call(q(3), [['b1', q(3)], ['b2', { ...q(3), min_q: v('int', '10') }], ['b3', { ...q(3), min_q: v('int', '10') }], ['b5', q(3)]])) };
  const evidence = valueEvidence(tiers(), [failing, passing]);
  assert.deepEqual(evidence.get('b3'), { boundaryFailed: 1, boundaryPassed: 0, boundaryText: 'quantity > min_q', deviation: 0, origin: 0, count: 0, wrongExit: 0, baseCase: 0, sameInputs: 0, expectedAtHand: 0, oneStep: 0, consistent: 0, neighbour: 0, connectiveFailed: 0, connectivePassed: 0, connectiveSeenPassing: 0 });
  const blocks = tiers();
  const spectra = [
    { testId: 'at', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b3', 'b4', 'b5'], recency: ['b5', 'b2', 'b3', 'b4', 'b1'] },
    { testId: 'big', outcome: 'passed' as const, blocks: ['b1', 'b2', 'b3', 'b4', 'b5'], recency: ['b5', 'b2', 'b3', 'b4', 'b1'] },
  ];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 1 };
  assert.equal(rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[0]!.id, 'b3');
  assert.match(rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[0]!.reason, /`quantity > min_q` compared equal values in a failing test, where < and <= differ/);
  assert.notEqual(rankSuspiciousBlocks(blocks, spectra, { boundary: 0 }, input).blocks[0]!.id, 'b3', 'the ablation: without it Ochiai cannot tell');
  const both = valueEvidence(tiers(), [failing, { ...passing, trace: failing.trace }]);
  assert.equal(both.get('b3')!.boundaryPassed, 1);
  assert.notEqual(rankSuspiciousBlocks(blocks, spectra, {}, { blocks: both, tracedFailing: 1, tracedPassing: 1 }).blocks[0]!.id, 'b3', 'equal values in the passing test too: no evidence');
});

test('deviation: the first block after which the returned list holds what the expected one does not', () => {
  const blocks = graph(['straight', 'out = []', ['b2']], ['loop-header', 'for i, count in enumerate(arr):', ['b3', 'b4']], ['straight', 'out.extend([i] * count)', ['b2']], ['return', 'return out', []]);
  const list = (text: string) => v('list', text);
  const failing: TracedTest = {
    testId: 't', outcome: 'failed', expected: '[0, 1, 1]',
    trace: traceOf(call({ arr: list('[1, 2]') }, [['b1', { out: list('[]') }], ['b2', { out: list('[]') }], ['b3', { out: list('[0]') }], ['b2', { out: list('[0]') }], ['b3', { out: list('[0, 1, 1]') }], ['b2', { out: list('[0, 1, 1]') }], ['b3', { out: list('[0, 1, 1, 2, 2]') }], ['b4', { out: list('[0, 1, 1, 2, 2]') }]], { returned: list('[0, 1, 1, 2, 2]') })),
  };
  const evidence = valueEvidence(blocks, [failing]);
  assert.equal(evidence.get('b3')!.deviation, 1);
  assert.equal(evidence.get('b3')!.deviationName, 'out');
  // A generator's yields are not one result; a test that states no expected value gives none.
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: undefined }]).get('b3'), undefined);
});

test('origin: the wrong element came from a scalar another block wrote; a list, or two candidates, name none', () => {
  // `result = []; best = 0` / `for x in xs:` / `if x > best:` / `best = x` / `result.append(best)` / `return result`
  const blocks = graph(['straight', 'result = []\nbest = 0', ['b2']], ['loop-header', 'for x in xs:', ['b3', 'b6']], ['branch', 'if x > best:', ['b4', 'b5']], ['straight', 'best = x', ['b5']], ['straight', 'result.append(best)', ['b2']], ['return', 'return result', []]);
  const n = (x: number) => v('int', String(x));
  const list = (text: string) => v('list', text);
  const at = (result: string, best: number, x?: number) => ({ result: list(result), best: n(best), ...(x === undefined ? {} : { x: n(x) }) });
  const failing: TracedTest = {
    testId: 'negative', outcome: 'failed', expected: '[-5, -2]',
    trace: traceOf(call({ xs: list('[-5, -2]') }, [['b1', at('[]', 0)], ['b2', at('[]', 0, -5)], ['b3', at('[]', 0, -5)], ['b5', at('[0]', 0, -5)], ['b2', at('[0]', 0, -2)], ['b3', at('[0]', 0, -2)], ['b5', at('[0, 0]', 0, -2)], ['b6', at('[0, 0]', 0, -2)]], { returned: list('[0, 0]') })),
  };
  const evidence = valueEvidence(blocks, [failing]);
  assert.equal(evidence.get('b5')!.deviation, 1, 'the append stored the wrong element');
  assert.equal(evidence.get('b1')!.origin, 1, 'the initialisation made it');
  assert.equal(evidence.get('b1')!.originName, 'best');
  const spectra = [
    { testId: 'negative', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b3', 'b5', 'b6'], recency: ['b6', 'b2', 'b5', 'b3', 'b1'] },
    { testId: 'up', outcome: 'passed' as const, blocks: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'], recency: ['b6', 'b2', 'b5', 'b4', 'b3', 'b1'] },
    { testId: 'empty', outcome: 'passed' as const, blocks: ['b1', 'b2', 'b6'], recency: ['b6', 'b2', 'b1'] },
  ];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 0 };
  const top = rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[0]!;
  assert.equal(top.id, 'b1');
  assert.match(top.reason, /it wrote `best`, which the wrong value in the result came from/);
  assert.notEqual(rankSuspiciousBlocks(blocks, spectra, { origin: 0 }, input).blocks[0]!.id, 'b1', 'the ablation: without it the append leads');
  // The same value in two variables the block read: no guess.
  const twice = (result: string) => ({ ...at(result, 0, -5), y: n(0) });
  const ambiguous = graph(['straight', 'result = []\nbest = 0\ny = 0', ['b2']], ['return', 'result.append(best + y)\nreturn result', []]);
  const two: TracedTest = { ...failing, trace: traceOf(call({}, [['b1', twice('[]')], ['b2', twice('[0]')]], { returned: list('[0]') })) };
  assert.equal(valueEvidence(ambiguous, [two]).get('b1'), undefined);
  // A result cut short in the trace is still the failing call's.
  const long = traceOf(call({ xs: list('[-5, -2]') }, failing.trace.calls[0]!.steps.map((s) => [s.blockId, s.vars]), { returned: v('list', '[0, 0, …(40 more)]', 42) }));
  assert.equal(valueEvidence(blocks, [{ ...failing, trace: long }]).get('b1')!.origin, 1);
});

test('count: a result cut short at one end blames the loop that wrote it, not when a branch decides the writes', () => {
  // `out = []` / `for (let i = 0; i < s.length - 1; i++)` / `out.push(s.slice(0, i + 1))` / `return out`
  const blocks = graph(['straight', 'const out = [];', ['b2']], ['loop-header', 'for (let i = 0; i < s.length - 1; i++)', ['b3', 'b4']], ['straight', 'out.push(s.slice(0, i + 1));', ['b2']], ['return', 'return out;', []]);
  const arr = (text: string) => v('Array', text);
  const steps: [string, TraceCall['steps'][number]['vars']][] = [['b1', { out: arr('[]') }], ['b2', { out: arr('[]'), i: v('number', '0') }], ['b3', { out: arr("['a']"), i: v('number', '0') }], ['b2', { out: arr("['a']"), i: v('number', '1') }], ['b4', { out: arr("['a']") }]];
  const failing: TracedTest = { testId: 't', outcome: 'failed', expected: "['a', 'ab']", trace: traceOf(call({ s: v('string', "'ab'") }, steps, { returned: arr("['a']") })) };
  assert.equal(valueEvidence(blocks, [failing]).get('b2')!.count, 1);
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: "['b', 'ab']" }]).get('b2')?.count ?? 0, 0, 'an element differs: not a count');
  const filtered = graph(['straight', 'const out = [];', ['b2']], ['loop-header', 'for (let i = 0; i < s.length - 1; i++)', ['b3', 'b5']], ['branch', 'if (keep(i))', ['b4', 'b2']], ['straight', 'out.push(s.slice(0, i + 1));', ['b2']], ['return', 'return out;', []]);
  const decided: TracedTest = { ...failing, trace: traceOf(call({ s: v('string', "'ab'") }, [steps[0]!, steps[1]!, ['b3', steps[1]![1]], ['b4', steps[2]![1]], steps[3]!, ['b5', steps[4]![1]]], { returned: arr("['a']") })) };
  assert.equal(valueEvidence(filtered, [decided]).get('b2')?.count ?? 0, 0, 'a branch decides the push: it may have left the element out');
  const none: TracedTest = { ...failing, trace: traceOf(call({ s: v('string', "'a'") }, [steps[0]!, ['b2', { out: arr('[]') }], ['b4', { out: arr('[]') }]], { returned: arr('[]') })), expected: "['a']" };
  assert.equal(valueEvidence(blocks, [none]).get('b2')!.count, 1, 'the loop never went round: the header of the push that would have run');
});

test('wrong exit: a literal returned while another return hands back the expected one blames the branches that chose', () => {
  // `for (const x of xs) { if (isNegative(x)) { return false; } } return true;`, 0 should count as not positive.
  const blocks = graph(['loop-header', 'for (const x of xs)', ['b2', 'b4']], ['branch', 'if (isNegative(x))', ['b3', 'b1']], ['return', 'return false;', []], ['return', 'return true;', []]);
  const xs = (x: number) => ({ xs: v('Array', '[3, 0]'), x: v('number', String(x)) });
  const steps: [string, TraceCall['steps'][number]['vars']][] = [['b1', xs(3)], ['b2', xs(3)], ['b1', xs(0)], ['b2', xs(0)], ['b1', xs(0)], ['b4', xs(0)]];
  const failing: TracedTest = { testId: 'zero', outcome: 'failed', expected: 'false', trace: traceOf(call({ xs: v('Array', '[3, 0]') }, steps, { returned: v('boolean', 'true') })) };
  const evidence = valueEvidence(blocks, [failing]);
  assert.equal(evidence.get('b2')!.wrongExit, 1, 'the branch before the right exit');
  assert.equal(evidence.get('b1')?.wrongExit ?? 0, 0, 'the loop header that let the call out is no single decision');
  const spectra = [
    { testId: 'zero', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b4'], recency: ['b4', 'b1', 'b2'] },
    { testId: 'negative', outcome: 'passed' as const, blocks: ['b1', 'b2', 'b3'], recency: ['b3', 'b2', 'b1'] },
    { testId: 'positive', outcome: 'passed' as const, blocks: ['b1', 'b2', 'b4'], recency: ['b4', 'b1', 'b2'] },
  ];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 0 };
  const top = rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[0]!;
  assert.equal(top.id, 'b2');
  assert.match(top.reason, /it chose between a return of the wrong value and one that hands back the expected value/);
  assert.notEqual(rankSuspiciousBlocks(blocks, spectra, { wrongExit: 0 }, input).blocks[0]!.id, 'b2', 'the ablation: without it `return true` leads');
  // No return hands back the expected value: nothing to choose between.
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: '7' }]).get('b2')?.wrongExit ?? 0, 0);
});

test('base case: a runaway recursion that made progress and then repeats itself on one element blames its first decision', () => {
  const blocks = graph(['branch', 'if len(arr) == 0:', ['b2', 'b3']], ['return', 'return arr', []], ['return', 'middle = len(arr) // 2; return merge(mergesort(arr[:middle]), mergesort(arr[middle:]))', []]);
  const arr = (text: string) => ({ arr: v('list', text) });
  const steps = (text: string): [string, TraceCall['steps'][number]['vars']][] => [['b1', arr(text)]];
  const calls = [call(arr('[2, 1]'), steps('[2, 1]')), { ...call(arr('[2]'), steps('[2]')), depth: 1 }, { ...call(arr('[]'), [['b1', arr('[]')], ['b2', arr('[]')]]), depth: 2 }, { ...call(arr('[2]'), steps('[2]')), depth: 2 }];
  const runaway: TracedTest = { testId: 't', outcome: 'failed', message: 'RecursionError: maximum recursion depth exceeded', trace: traceOf(...calls) };
  assert.equal(valueEvidence(blocks, [runaway]).get('b1')!.baseCase, 1);
  // No progress at all (the call never shrinks its input): the call is at fault, not the base case.
  const stuck = [call(arr('[2, 1]'), steps('[2, 1]')), { ...call(arr('[2, 1]'), steps('[2, 1]')), depth: 1 }];
  assert.equal(valueEvidence(blocks, [{ ...runaway, trace: traceOf(...stuck) }]).get('b1'), undefined);
});

test('same inputs, other outputs: a block that reads state the variables do not show', () => {
  const blocks = graph(['straight', 'y = x * scale', ['b2']], ['return', 'return y', []]);
  const run = (y: string) => traceOf(call({ x: v('int', '2') }, [['b1', { x: v('int', '2'), y: v('int', y) }], ['b2', { x: v('int', '2'), y: v('int', y) }]], { returned: v('int', y) }));
  const evidence = valueEvidence(blocks, [
    { testId: 'f', outcome: 'failed', trace: run('6') },
    { testId: 'p', outcome: 'passed', trace: run('4') },
  ]);
  assert.equal(evidence.get('b1')!.sameInputs, 1);
  assert.equal(evidence.get('b2'), undefined, 'a block that writes nothing');
  const same = valueEvidence(blocks, [
    { testId: 'f', outcome: 'failed', trace: run('4') },
    { testId: 'p', outcome: 'passed', trace: run('4') },
  ]);
  assert.equal(same.get('b1')!.sameInputs, 0, 'the same outputs: nothing against it');
  assert.equal(same.get('b1')!.consistent, 1, 'it behaved as in the passing run: evidence for it (consistent)');
  assert.equal(evidence.get('b1')!.consistent, 0);
});

test('one step off: a returned count one loop step short of the expected one blames the loop and the branch deciding the step', () => {
  // `times = 0` / `for (let i = 0; i < s.length - 1; i++)` / `if (s[i] == c)` / `times += 1` / `return times`: the last match is never looked at.
  const blocks = graph(['straight', 'let times = 0;', ['b2']], ['loop-header', 'for (let i = 0; i < s.length - 1; i++)', ['b3', 'b5']], ['branch', 'if (s[i] == c)', ['b4', 'b2']], ['straight', 'times += 1;', ['b2']], ['return', 'return times;', []]);
  const at = (i: number, times: number) => ({ i: v('number', String(i)), times: v('number', String(times)) });
  const steps: [string, TraceCall['steps'][number]['vars']][] = [['b1', { times: v('number', '0') }], ['b2', at(0, 0)], ['b3', at(0, 0)], ['b4', at(0, 1)], ['b2', at(1, 1)], ['b3', at(1, 1)], ['b4', at(1, 2)], ['b2', at(2, 2)], ['b5', at(2, 2)]];
  const failing: TracedTest = { testId: 't', outcome: 'failed', expected: '3', trace: traceOf(call({ s: v('string', "'aaa'"), c: v('string', "'a'") }, steps, { returned: v('number', '2') })) };
  const evidence = valueEvidence(blocks, [failing]);
  assert.equal(evidence.get('b2')!.oneStep, 1, 'the loop header');
  assert.equal(evidence.get('b3')!.oneStep, 1, 'the branch that decides the step');
  assert.equal(evidence.get('b4')?.oneStep ?? 0, 0, 'not the step itself');
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: '1' }]).get('b2')!.oneStep, 1, 'one step too many: the value it held before the last step');
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: '5' }]).get('b2')?.oneStep ?? 0, 0, 'further off: not one step');
  const spectra = [{ testId: 't', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b3', 'b4', 'b5'], recency: ['b5', 'b2', 'b4', 'b3', 'b1'] }];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 0 };
  const top = rankSuspiciousBlocks(blocks, spectra, { oneStep: 0.3 }, input).blocks[0]!;
  assert.equal(top.id, 'b2');
  assert.match(top.reason, /one step of this loop past or short of the expected one/);
  assert.doesNotMatch(rankSuspiciousBlocks(blocks, spectra, {}, input).blocks.find((b) => b.id === 'b2')!.reason, /one step/, 'off by default: not named');
});

test('neighbour: the call returned a list element whose neighbour is the expected value, the return is blamed', () => {
  // `const s = [...xs].sort()` / `const mid = ...` / `if (s.length % 2 === 0)` / `return (s[mid - 1] + s[mid]) / 2` / `return s[mid - 1]`
  const blocks = graph(['straight', 'const s = [...xs].sort((a, b) => a - b); const mid = Math.floor(s.length / 2);', ['b2']], ['branch', 'if (s.length % 2 === 0)', ['b3', 'b4']], ['return', 'return (s[mid - 1] + s[mid]) / 2;', []], ['return', 'return s[mid - 1];', []]);
  const vars = { xs: v('Array', '[5, 1, 3]'), s: v('Array', '[1, 3, 5]'), mid: v('number', '1') };
  const failing: TracedTest = { testId: 'odd', outcome: 'failed', expected: '3', trace: traceOf(call({ xs: v('Array', '[5, 1, 3]') }, [['b1', vars], ['b2', vars], ['b4', vars]], { returned: v('number', '1') })) };
  const evidence = valueEvidence(blocks, [failing]);
  assert.equal(evidence.get('b4')!.neighbour, 1);
  assert.equal(valueEvidence(blocks, [{ ...failing, expected: '4' }]).get('b4')?.neighbour ?? 0, 0, 'the expected value is nowhere beside it');
  const spectra = [
    { testId: 'odd', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b4'], recency: ['b4', 'b2', 'b1'] },
    { testId: 'odd2', outcome: 'failed' as const, blocks: ['b1', 'b2', 'b4'], recency: ['b4', 'b2', 'b1'] },
  ];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 0 };
  const top = rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[0]!;
  assert.equal(top.id, 'b4');
  assert.match(top.reason, /it returned an element of a list whose neighbour is the expected value/);
  const without = rankSuspiciousBlocks(blocks, spectra, { neighbour: 0 }, input).blocks;
  assert.ok(without[0]!.score - without[1]!.score < 0.01, 'the ablation: without it only the tie-break (recency) puts it first');
  assert.ok(top.score - rankSuspiciousBlocks(blocks, spectra, {}, input).blocks[1]!.score > 0.2);
});

test('connective: an and/or whose sides disagreed in the failing test and agreed in the passing one, read on the recorded values', () => {
  // `if len(name) < 3 and len(name) > 12: return False` / `return True`: `and` should be `or`.
  const blocks = graph(['branch', 'if len(name) < 3 and len(name) > 12:', ['b2', 'b3']], ['return', 'return False', []], ['return', 'return True', []]);
  const run = (name: string) => traceOf(call({ name: v('str', `'${name}'`) }, [['b1', { name: v('str', `'${name}'`) }], ['b3', { name: v('str', `'${name}'`) }]], { returned: v('bool', 'True') }));
  const failing: TracedTest = { testId: 'short', outcome: 'failed', expected: 'False', trace: run('ab') };
  const passing: TracedTest = { testId: 'ok', outcome: 'passed', trace: run('ada_99') };
  const evidence = valueEvidence(blocks, [failing, passing]);
  assert.equal(evidence.get('b1')!.connectiveFailed, 1);
  assert.equal(evidence.get('b1')!.connectivePassed, 0);
  assert.equal(evidence.get('b1')!.connectiveSeenPassing, 1);
  const spectra = [
    { testId: 'short', outcome: 'failed' as const, blocks: ['b1', 'b3'], recency: ['b3', 'b1'] },
    { testId: 'ok', outcome: 'passed' as const, blocks: ['b1', 'b3'], recency: ['b3', 'b1'] },
  ];
  const input = { blocks: evidence, tracedFailing: 1, tracedPassing: 1 };
  const ranked = rankSuspiciousBlocks(blocks, spectra, { connective: 0.3, wrongExit: 0 }, input).blocks;
  assert.equal(ranked[0]!.id, 'b1');
  assert.match(ranked[0]!.reason, /its and\/or had one side true and the other false in a failing test/);
  // The passing test's sides disagree too: no contrast.
  const both = valueEvidence(blocks, [failing, { ...passing, trace: run('xy') }]);
  assert.equal(both.get('b1')!.connectivePassed, 1);
  assert.equal(rankSuspiciousBlocks(blocks, spectra, { connective: 0.3, wrongExit: 0 }, { blocks: both, tracedFailing: 1, tracedPassing: 1 }).blocks[0]!.score, rankSuspiciousBlocks(blocks, spectra, { connective: 0, wrongExit: 0 }, { blocks: both, tracedFailing: 1, tracedPassing: 1 }).blocks[0]!.score);
});

test('the tier discount of issue 17 (pytest): the boundary comparison comes first (the coverage alone ranks `best` first)', async () => {
  const cwd = fixturePath('spectra', 'python');
  const request = { cwd, target: { file: 'tiers.py', function: 'tier_discount' }, testCommand: 'pytest -p no:hypothesispytest test_tiers.py', parser };
  const result = await localize(request);
  assert.equal(result.suspicion.failingTests, 1);
  assert.equal(result.suspicion.passingTests, 3);
  assert.deepEqual(result.values?.tests.map((t) => [t.testId, t.outcome]), [
    ['test_tiers.py::test_exactly_at_a_tier', 'failed'],
    ['test_tiers.py::test_small_order', 'passed'],
  ]);
  const first = result.suspicion.blocks[0]!;
  assert.equal(first.range.start.line, 5, `the comparison, not ${first.id}: ${first.reason}`);
  assert.match(first.reason, /`quantity > min_q` compared equal values/);
  // The coverage alone: no traced values and no mutants (a mutant, `>` for `>=`, would tell too).
  const withoutValues = await localize({ ...request, values: false, mutants: false });
  assert.notEqual(withoutValues.suspicion.blocks[0]!.range.start.line, 5, 'the coverage alone cannot tell');
});

test('JavaScript under node:test: the boundary score of grade(80) puts the comparison first', async () => {
  const result = await localize({ cwd: fixturePath('spectra', 'js'), target: { file: 'grades.mjs', function: 'grade' }, parser });
  const first = result.suspicion.blocks[0]!;
  assert.match(first.reason, /`score > min` compared equal values/);
  assert.equal(first.range.start.line, 5);
});
