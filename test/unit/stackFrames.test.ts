import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePythonTraceback, parseStackFrames, parseV8Stack, type StackFrame } from '../../src/core/failures/stackFrames';
import { readFixture } from './support/fixtures';

const brief = (frames: StackFrame[]) => frames.map((f) => `${f.file}:${f.line}${f.column ? `:${f.column}` : ''} ${f.function ?? '?'}`);

describe('Python tracebacks captured from pytest and python', () => {
  test("pytest's long format: relative paths, function names from the def lines, innermost first", () => {
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'python', 'test_unknown_category.long.txt'))), [
      'inventory/pricing.py:14 tax_rate',
      'inventory/pricing.py:19 line_total',
      // The generator expression's section shows no def line.
      'inventory/pricing.py:22 ?',
      'inventory/pricing.py:22 total_with_tax',
      'tests/test_inventory.py:16 test_unknown_category',
    ]);
  });

  test('pytest long format of a decorated function and of a failed assertion', () => {
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'python', 'test_discount.long.txt'))), [
      'inventory/pricing.py:27 discount',
      'tests/test_inventory.py:20 test_discount',
    ]);
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'python', 'test_subtotal.long.txt'))), ['tests/test_inventory.py:11 test_subtotal']);
  });

  test('--tb=native: the standard traceback, pytest and stdlib frames included', () => {
    const frames = parseStackFrames(readFixture('stacks', 'python', 'test_from_json.native.txt'));
    assert.deepEqual(brief(frames.slice(3, 5)), ['/project/inventory/cart.py:22 from_json', '/project/tests/test_inventory.py:33 test_from_json']);
    assert.match(frames[0].file, /json\/decoder\.py$/);
    assert.match(frames[frames.length - 1].file, /_pytest\/runner\.py$/);
  });

  test('a script run by python: <module> and frozen frames', () => {
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'python', 'report_script.txt'))), [
      '/project/inventory/cart.py:18 average_price',
      '/project/inventory/report.py:8 main',
      '/project/inventory/report.py:12 <module>',
      '<frozen runpy>:88 _run_code',
      '<frozen runpy>:198 _run_module_as_main',
    ]);
  });

  test('chained exceptions: the traceback that surfaced', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "/app/a.py", line 3, in load',
      '    return cache[key]',
      "KeyError: 'x'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/app/b.py", line 10, in main',
      '    load()',
      '  File "/app/a.py", line 5, in load',
      '    raise LookupError(key)',
      '  [Previous line repeated 2 more times]',
      'LookupError: x',
    ].join('\n');
    assert.deepEqual(brief(parsePythonTraceback(text)), ['/app/a.py:5 load', '/app/b.py:10 main']);
  });

  test("pytest's short and line formats, Windows paths", () => {
    const short = ['tests\\test_x.py:4: in test_x', '    f()', 'C:\\app\\src\\mod.py:9: in f', '    raise ValueError', 'E   ValueError'].join('\r\n');
    assert.deepEqual(brief(parseStackFrames(short)), ['C:\\app\\src\\mod.py:9 f', 'tests\\test_x.py:4 test_x']);
    assert.deepEqual(brief(parseStackFrames("/app/src/mod.py:9: KeyError: 'toys'")), ['/app/src/mod.py:9 ?']);
  });

  test('a syntax error traceback has a frame without a function', () => {
    const text = 'Traceback (most recent call last):\n  File "/app/x.py", line 2\n    def f(:\n          ^\nSyntaxError: invalid syntax';
    assert.deepEqual(parseStackFrames(text), [{ file: '/app/x.py', line: 2 }]);
  });
});

describe('V8 stacks captured from node --test and node', () => {
  test('the spec reporter prints a failure twice; the first copy is read', () => {
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'node', 'unknownCategory.spec.txt'))).slice(0, 5), [
      '/project/src/pricing.js:13:11 taxRate',
      '/project/src/pricing.js:20:41 lineTotal',
      '/project/src/pricing.js:22:41 ?',
      '/project/src/pricing.js:22:27 totalWithTax',
      '/project/test/pricing.test.js:15:16 TestContext.<anonymous>',
    ]);
    assert.equal(parseStackFrames(readFixture('stacks', 'node', 'unknownCategory.spec.txt')).length, 9);
  });

  test("the TAP reporter's YAML stack: no `at`, file URLs for ES modules", () => {
    const frames = parseStackFrames(readFixture('stacks', 'node', 'negativePrice.tap.txt'));
    assert.deepEqual(brief(frames.slice(0, 2)), ['/project/src/format.mjs:3:11 formatPrice', '/project/test/format.test.mjs:6:16 TestContext.<anonymous>']);
    assert.ok(frames.some((f) => f.file === 'node:internal/test_runner/harness' && f.function === undefined));
  });

  test('an assertion in the test: only the test and node internals', () => {
    const frames = parseStackFrames(readFixture('stacks', 'node', 'euroSymbol.tap.txt'));
    assert.equal(frames[0].file, '/project/test/format.test.mjs');
    assert.ok(frames.slice(1).every((f) => f.file.startsWith('node:')));
  });

  test('an uncaught error printed by node: the source excerpt above the stack is not a frame', () => {
    assert.deepEqual(brief(parseStackFrames(readFixture('stacks', 'node', 'uncaught.txt'))).slice(0, 5), [
      '/project/src/pricing.js:13:11 taxRate',
      '/project/src/pricing.js:20:41 lineTotal',
      '/project/src/pricing.js:22:41 ?',
      '/project/src/pricing.js:22:27 Object.totalWithTax',
      '[eval]:1:26 ?',
    ]);
  });

  test('async, new, aliases, eval, native frames, Windows file URLs with spaces', () => {
    const text = [
      'TypeError: boom',
      '    at new Cart (/app/src/cart.js:4:11)',
      '    at async Promise.all (index 0)',
      '    at async load (file:///C:/My%20App/src/load.mjs:7:3)',
      '    at Object.run [as handler] (/app/src/run.js:2:1)',
      '    at eval (eval at <anonymous> (/app/src/x.js:1:1), <anonymous>:1:1)',
      '    at Array.map (<anonymous>)',
    ].join('\n');
    assert.deepEqual(brief(parseV8Stack(text)), ['/app/src/cart.js:4:11 Cart', 'C:/My App/src/load.mjs:7:3 load', '/app/src/run.js:2:1 Object.run']);
  });

  test('text without a stack gives no frames', () => {
    assert.deepEqual(parseStackFrames('AssertionError: 3 !== 4'), []);
    assert.deepEqual(parseStackFrames(''), []);
  });
});
