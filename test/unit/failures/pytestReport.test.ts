import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parsePytestJunit, parsePytestEvents, discoveredFromEvents, resultsFromEvents, splitNodeId, hungResult } from '../../../src/core/failures/pytestReport';
import { capture } from '../support/runnerCaptures';

const paths = { rootdir: '/project' };
const junit = () => parsePytestJunit(capture('pytest/junit.xml'), paths);
const byName = (name: string) => {
  const r = junit().find((x) => x.name === name);
  assert.ok(r, `a result named ${name}`);
  return r;
};

test('pytest junit: every test case, with absolute file, 1-based line and outcome', () => {
  const results = junit();
  assert.deepEqual(
    results.map((r) => [r.name, r.outcome]),
    [
      ['(collection)', 'failed'],
      ['test_subtotal_adds_every_line', 'failed'],
      ['test_empty_cart_is_zero', 'passed'],
      ['test_tax_rate[food-0.07]', 'passed'],
      ['test_tax_rate[toys-0.2]', 'failed'],
      ['test_lines_compare', 'failed'],
      ['test_legacy_subtotal', 'failed'],
      ['test_waits_forever', 'failed'],
      ['test_later', 'skipped'],
    ],
  );
  const first = byName('test_subtotal_adds_every_line');
  assert.equal(first.file, '/project/tests/test_cart.py');
  assert.equal(first.line, 8, 'the def line (xunit1 writes it 0-based)');
  assert.equal(first.testId, '/project/tests/test_cart.py::test_subtotal_adds_every_line');
  assert.equal(first.nodeId, 'tests/test_cart.py::test_subtotal_adds_every_line');
  assert.ok(first.durationMs !== undefined && first.durationMs >= 0);
});

test('pytest junit: an assertion gives message, expected and actual, frames and captured output', () => {
  const f = byName('test_subtotal_adds_every_line').failure;
  assert.ok(f);
  assert.equal(f.framework, 'pytest');
  assert.match(f.message, /^assert 6 == 11\n \+  where 6 = subtotal/);
  assert.equal(f.actual, '6');
  assert.equal(f.expected, '11');
  assert.deepEqual(f.stack, [{ file: '/project/tests/test_cart.py', line: 10, function: 'test_subtotal_adds_every_line' }]);
  assert.match(f.output, /Captured Out[\s\S]*lines: 2/);
  assert.doesNotMatch(f.output, /Captured Err/, 'empty sections are dropped');
});

test('pytest junit: an exception deep in the code has its frames innermost first', () => {
  const f = byName('test_tax_rate[toys-0.2]').failure;
  assert.ok(f);
  assert.equal(f.message, "KeyError: 'toys'");
  assert.equal(f.expected, undefined);
  assert.deepEqual(f.stack, [
    { file: '/project/shop/cart.py', line: 14, function: 'tax_rate' },
    { file: '/project/tests/test_cart.py', line: 19, function: 'test_tax_rate' },
  ]);
});

test('pytest junit: classes become suites, unittest messages give expected and actual', () => {
  const cls = byName('test_lines_compare');
  assert.deepEqual(cls.suitePath, ['TestCartLists']);
  assert.equal(cls.nodeId, 'tests/test_cart.py::TestCartLists::test_lines_compare');
  assert.equal(cls.failure?.actual, '[1, 2]');
  assert.equal(cls.failure?.expected, '[2, 2]');
  const legacy = byName('test_legacy_subtotal');
  assert.deepEqual(legacy.suitePath, ['LegacyTests']);
  assert.equal(legacy.failure?.message, 'AssertionError: 4 != 5');
  assert.equal(legacy.failure?.actual, '4');
  assert.equal(legacy.failure?.expected, '5');
});

test("pytest junit: the plugin's per-test timeout points at the loop, not at the plugin", () => {
  const f = byName('test_waits_forever').failure;
  assert.ok(f);
  assert.match(f.message, /^Timeout: test timed out/);
  assert.deepEqual(f.stack[0], { file: '/project/shop/cart.py', line: 19, function: 'wait_for_stock' });
  assert.ok(f.stack.every((fr) => !fr.file.includes('ducktrace_pytest')));
});

test('pytest junit: a test file with a syntax error is one file-level failure at the error', () => {
  const r = byName('(collection)');
  assert.equal(r.fileLevel, true);
  assert.equal(r.file, '/project/tests/test_broken.py');
  assert.equal(r.testId, '/project/tests/test_broken.py::(collection)');
  assert.match(r.failure?.message ?? '', /SyntaxError: invalid syntax/);
  assert.deepEqual(r.failure?.stack, [{ file: '/project/tests/test_broken.py', line: 1 }]);
});

test('pytest junit: malformed xml throws', () => {
  assert.throws(() => parsePytestJunit('<testsuites><testsuite>', paths));
});

test('pytest events: collected tests with locations become discovered tests', () => {
  const events = parsePytestEvents(capture('pytest/events.jsonl'));
  assert.equal(events.collectionFinished, true);
  const discovered = discoveredFromEvents(events, paths);
  assert.equal(discovered.length, 8);
  const cls = discovered.find((d) => d.name === 'test_lines_compare');
  assert.deepEqual(cls, {
    testId: '/project/tests/test_cart.py::TestCartLists::test_lines_compare',
    framework: 'pytest',
    file: '/project/tests/test_cart.py',
    line: 23,
    name: 'test_lines_compare',
    suitePath: ['TestCartLists'],
    nodeId: 'tests/test_cart.py::TestCartLists::test_lines_compare',
  });
  assert.equal(events.collectionErrors.length, 1);
});

test('pytest events: results of finished tests agree with the junit report', () => {
  const events = parsePytestEvents(capture('pytest/events.jsonl'));
  const fromEvents = resultsFromEvents(events, paths);
  const fromJunit = junit();
  for (const r of fromEvents) {
    const j = fromJunit.find((x) => x.testId === r.testId);
    assert.ok(j, r.testId);
    assert.equal(r.outcome, j.outcome, r.testId);
    assert.deepEqual(r.failure?.stack, j.failure?.stack, r.testId);
  }
  assert.equal(fromEvents.length, fromJunit.length);
});

test('pytest events: a line cut short by a kill is ignored', () => {
  const text = capture('pytest/events.jsonl');
  const cut = text.slice(0, text.length - 40);
  assert.doesNotThrow(() => parsePytestEvents(cut));
});

test('node ids split into file, suites and name', () => {
  assert.deepEqual(splitNodeId('a/test_x.py::TestA::test_b[1-::x]'), { file: 'a/test_x.py', suitePath: ['TestA', 'test_b[1-'], name: 'x]' });
  assert.deepEqual(splitNodeId('a/test_x.py::test_b'), { file: 'a/test_x.py', suitePath: [], name: 'test_b' });
});

test('a hung test becomes a failure that says it was killed', () => {
  const r = hungResult('tests/test_cart.py::test_waits_forever', paths, 32, 10);
  assert.equal(r.outcome, 'failed');
  assert.match(r.failure?.message ?? '', /did not finish within 10 s/);
});
