// How the test failed, for the prompt: type, message, expected and actual as values, the user's
// frames with their lines; no runner chatter. The inputs are TestFailures as the runners' report
// parsers produce them (test/fixtures/runners).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cleanFailure, renderFailure } from '../../src/core/duck/failureText';

const root = '/proj';
const show = (f: string) => f.replace(`${root}/`, '');

test('node: the type from the runner text, the deep-equal diff left out (Expected/Actual say it), frames with their lines', () => {
  const clean = cleanFailure(
    {
      message: "Expected values to be strictly deep-equal:\n+ actual - expected\n\n  {\n    currency: 'EUR',\n+   total: 0\n-   total: 1\n  }",
      expected: "{ total: 1, currency: 'EUR' }",
      actual: "{ total: 0, currency: 'EUR' }",
      output: "AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:\n+ actual - expected\n    at TestContext.<anonymous> (/proj/test/cart.test.js:23:12)\n    at Test.runInAsyncScope (node:async_hooks:206:9)",
      stack: [{ file: '/proj/test/cart.test.js', line: 23, function: 'TestContext.<anonymous>' }],
    },
    { displayPath: show, sourceLine: (file, line) => (file === '/proj/test/cart.test.js' && line === 23 ? "    assert.deepEqual(total(), { total: 1, currency: 'EUR' });" : undefined) },
  );
  assert.equal(
    renderFailure(clean),
    [
      'AssertionError: Expected values to be strictly deep-equal',
      "Expected: { total: 1, currency: 'EUR' }",
      "Actual:   { total: 0, currency: 'EUR' }",
      'Where (innermost first, your code only):',
      "  test/cart.test.js:23: assert.deepEqual(total(), { total: 1, currency: 'EUR' });",
    ].join('\n'),
  );
});

test("node: strings the runner hands over bare are quoted as its own message quotes them; `9 !== 10` is not repeated", () => {
  const strings = cleanFailure({ message: "Expected values to be strictly equal:\n+ actual - expected\n\n+ 'ducks-debug'\n- 'ducks-debug-code'", expected: 'ducks-debug-code', actual: 'ducks-debug' });
  assert.equal(strings.expected, "'ducks-debug-code'");
  assert.equal(strings.actual, "'ducks-debug'");
  const numbers = cleanFailure({ message: 'Expected values to be strictly equal:\n\n9 !== 10\n', expected: '10', actual: '9', output: 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:' });
  assert.equal(renderFailure(numbers), ['AssertionError: Expected values to be strictly equal', 'Expected: 10', 'Actual:   9'].join('\n'));
});

test('jest: the matcher line without its Expected/Received lines; JSON values on one line', () => {
  const clean = cleanFailure({
    message: 'expect(received).toEqual(expected) // deep equality\n\n- Expected  - 1\n+ Received  + 1\n\n  Object {\n-   "total": 1,\n+   "total": 0,\n  }',
    expected: '{\n  "total": 1,\n  "currency": "EUR"\n}',
    actual: '{\n  "total": 0,\n  "currency": "EUR"\n}',
    output: 'Error: expect(received).toEqual(expected) // deep equality\n\n- Expected  - 1',
    stack: [{ file: '/proj/cart.test.js', line: 21, function: 'Object.toEqual' }],
  }, { displayPath: show });
  assert.equal(
    renderFailure(clean),
    ['Error: expect(received).toEqual(expected) // deep equality', 'Expected: { "total": 1, "currency": "EUR" }', 'Actual:   { "total": 0, "currency": "EUR" }', 'Where (innermost first, your code only):', '  cart.test.js:21'].join('\n'),
  );
});

test('pytest: the assertion and its `where`, the exception type of an error, Use -v chatter gone', () => {
  const assertion = cleanFailure({ message: 'assert [1, 2] == [2, 2]\n  \n  At index 0 diff: 1 != 2\n  Use -v to get more diff', expected: '[2, 2]', actual: '[1, 2]' });
  assert.equal(renderFailure(assertion), ['AssertionError: assert [1, 2] == [2, 2]', '  At index 0 diff: 1 != 2', 'Expected: [2, 2]', 'Actual:   [1, 2]'].join('\n'));
  const error = cleanFailure(
    {
      message: "KeyError: 'toys'",
      output: "tests/test_cart.py:19: in test_tax_rate\n    assert tax_rate(category) == rate\nshop/cart.py:14: in tax_rate\n    return rates[category]\nE   KeyError: 'toys'",
      stack: [
        { file: '/proj/shop/cart.py', line: 14, function: 'tax_rate' },
        { file: '/proj/tests/test_cart.py', line: 19, function: 'test_tax_rate' },
      ],
    },
    { displayPath: show, sourceLine: (_file, l) => (l === 14 ? '    return rates[category]' : '    assert tax_rate(category) == rate') },
  );
  assert.equal(renderFailure(error), ["KeyError: 'toys'", 'Where (innermost first, your code only):', '  shop/cart.py:14 in tax_rate: return rates[category]', '  tests/test_cart.py:19 in test_tax_rate: assert tax_rate(category) == rate'].join('\n'));
  const timeout = cleanFailure({ message: 'Timeout: test timed out (Ducktrace stopped it after its per-test timeout)', output: 'E   ducktrace_pytest.DucktraceTimeout: test timed out' });
  assert.equal(renderFailure(timeout), 'Timeout: test timed out (Ducktrace stopped it after its per-test timeout)');
});

test('a runaway recursion: repeated frames counted, not listed a thousand times', () => {
  const stack = [{ file: '/proj/fact.py', line: 4, function: 'fact' }];
  for (let i = 0; i < 997; i++) stack.push({ file: '/proj/fact.py', line: 5, function: 'fact' });
  stack.push({ file: '/proj/test_fact.py', line: 9, function: 'test_fact' });
  const clean = cleanFailure({ message: 'RecursionError: maximum recursion depth exceeded', stack }, { displayPath: show });
  const text = renderFailure(clean);
  assert.equal(text.split('\n').length, 6);
  assert.match(text, /… 996 more frames \(repeated or deeper\) left out/);
});
