import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseNodeTestEvents } from '../../../src/core/failures/nodeTestReport';
import { capture } from '../support/runnerCaptures';

const results = () => parseNodeTestEvents(capture('node/report.jsonl'), '/project');
const named = (name: string) => {
  const r = results().find((x) => x.name === name);
  assert.ok(r, `a result named ${name}`);
  return r;
};

test('node reporter: tests with outcomes; suites are paths, not results', () => {
  assert.deepEqual(
    results().map((r) => [[...r.suitePath, r.name].join(' > '), r.outcome]),
    [
      ['(file)', 'failed'],
      ['cart > subtotal > adds every line', 'failed'],
      ['cart > subtotal > is zero for an empty cart', 'passed'],
      ['cart > tax of toys', 'failed'],
      ['cart > objects compare deeply', 'failed'],
      ['cart > later', 'skipped'],
      ['top level async', 'failed'],
      ['pads cents', 'failed'],
    ],
  );
});

test('node reporter: an assertion has expected, actual, location and the test frame', () => {
  const r = named('adds every line');
  assert.equal(r.testId, '/project/test/cart.test.js::cart::subtotal::adds every line');
  assert.equal(r.line, 8);
  const f = r.failure;
  assert.ok(f);
  assert.equal(f.framework, 'node');
  assert.match(f.message, /^Expected values to be strictly equal:\n\n6 !== 11/);
  assert.equal(f.expected, '11');
  assert.equal(f.actual, '6');
  assert.deepEqual(f.stack[0], { file: '/project/test/cart.test.js', line: 10, column: 14, function: 'TestContext.<anonymous>' });
  assert.ok(f.stack.every((fr) => !fr.file.startsWith('node:')), 'no node internals');
});

test('node reporter: a thrown error points into the source first', () => {
  const f = named('tax of toys').failure;
  assert.ok(f);
  assert.equal(f.message, 'unknown category toys');
  assert.equal(f.expected, undefined);
  assert.deepEqual(f.stack.slice(0, 2).map((s) => [s.file, s.line, s.function]), [
    ['/project/src/cart.js', 13, 'taxRate'],
    ['/project/test/cart.test.js', 19, 'TestContext.<anonymous>'],
  ]);
});

test('node reporter: deep equality values are shown in full', () => {
  const f = named('objects compare deeply').failure;
  assert.match(f?.expected ?? '', /total: 1/);
  assert.match(f?.actual ?? '', /total: 0/);
});

test('node reporter: ESM test files and messages from assert.ok', () => {
  assert.equal(named('pads cents').failure?.expected, '1.05');
  assert.equal(named('pads cents').file, '/project/test/format.test.mjs');
  assert.equal(named('top level async').failure?.message, 'two lines cost more than one');
});

test('node reporter: a test file with a syntax error is one file-level failure with the reason', () => {
  const r = named('(file)');
  assert.equal(r.fileLevel, true);
  assert.equal(r.file, '/project/test/broken.test.js');
  assert.match(r.failure?.message ?? '', /^SyntaxError: missing \) after argument list/);
  assert.deepEqual(r.failure?.stack[0], { file: '/project/test/broken.test.js', line: 3, column: 1 });
});

test('node reporter: a truncated stream still parses', () => {
  const text = capture('node/report.jsonl');
  assert.ok(parseNodeTestEvents(text.slice(0, Math.floor(text.length / 2)), '/project').length > 0);
});
