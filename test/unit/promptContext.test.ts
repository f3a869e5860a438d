// What the pipeline reads from the workspace for the prompt: the test as written (conftest
// fixtures included), the failure with its frames' lines, the function from its decorators on,
// paths as the user knows them; never a neverSend file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { InMemorySourceFiles } from '../../src/core/blocks/sourceFiles';
import type { Target } from '../../src/core/blocks/targetFinder';
import { promptContext } from '../../src/host/duck/promptContext';
import { parser } from './support/fixtures';

const root = '/work/shop';
const code = [
  'import functools',
  '',
  '',
  '# Prices are in cents.',
  '@functools.lru_cache(maxsize=None)',
  'def discounted(price, percent):',
  '    return price - price * percent // 10',
  '',
].join('\n');
const tests = [
  'from shop.pricing import discounted',
  '',
  '',
  'class TestDiscount:',
  '    def test_none(self):',
  '        assert discounted(100, 0) == 100',
  '',
  '    def test_ten(self, price):',
  '        assert discounted(price, 10) == 90',
  '',
].join('\n');
const conftest = ['import pytest', '', '', '@pytest.fixture', 'def price():', '    return 100', ''].join('\n');
const files = new InMemorySourceFiles([
  [`${root}/shop/pricing.py`, code],
  [`${root}/tests/test_pricing.py`, tests],
  [`${root}/tests/conftest.py`, conftest],
  [`${root}/conftest.py`, ''],
]);
const target: Target = { file: `${root}/shop/pricing.py`, language: 'python', functionName: 'discounted', range: { start: { line: 6, character: 0 }, end: { line: 7, character: 44 } } };
const failure = {
  testId: `${root}/tests/test_pricing.py::TestDiscount::test_ten`,
  name: 'test_ten',
  file: `${root}/tests/test_pricing.py`,
  line: 8,
  message: 'assert 0 == 90\n +  where 0 = discounted(100, 10)',
  expected: '90',
  actual: '0',
  output: `${root}/tests/test_pricing.py:9: in test_ten\nE   assert 0 == 90`,
  stack: [{ file: `${root}/tests/test_pricing.py`, line: 9, function: 'test_ten' }],
};

test('the test in its class with the conftest fixture it asks for, the failure with its frame line, the function from its comment and decorator on', async () => {
  const context = await promptContext({ failure, target, fileText: code, files, parser, roots: [root] });
  assert.equal(context.displayFile, 'shop/pricing.py');
  assert.equal(context.firstLine, 4);
  assert.equal(context.intent.testFile, 'tests/test_pricing.py');
  assert.deepEqual(context.intent.suitePath, ['TestDiscount']);
  assert.equal(
    context.intent.testSource,
    ['# from tests/conftest.py', '@pytest.fixture', 'def price():', '    return 100', '', 'class TestDiscount:', '    # … (1 other member left out)', '', '    def test_ten(self, price):', '        assert discounted(price, 10) == 90'].join('\n'),
  );
  assert.deepEqual(context.intent.failure?.frames, [{ where: 'tests/test_pricing.py:9', function: 'test_ten', code: 'assert discounted(price, 10) == 90' }]);
  assert.equal(context.intent.failure?.errorType, 'AssertionError');
});

test('a test file matching neverSend is not read: no source, no frame lines', async () => {
  const context = await promptContext({ failure, target, fileText: code, files, parser, roots: [root], neverSend: ['**/test_pricing.py'] });
  assert.equal(context.intent.testSource, undefined);
  assert.equal(context.intent.failure?.frames[0]?.code, undefined);
});

test('a failure of the whole file: named by its relative path, the short file shown whole; absolute paths in messages made relative', async () => {
  const fileLevel = { testId: `${root}/tests/test_pricing.py::(collection)`, name: `${root}/tests/test_pricing.py`, file: `${root}/tests/test_pricing.py`, line: 0, message: `ImportError while importing ${root}/tests/test_pricing.py`, stack: [] };
  const context = await promptContext({ failure: fileLevel, target, fileText: code, files, parser, roots: [root] });
  assert.equal(context.intent.testName, 'tests/test_pricing.py');
  assert.equal(context.intent.testSource, tests.trimEnd());
  assert.equal(context.intent.failure?.message, 'ImportError while importing tests/test_pricing.py');
});
