// The failing test's own source for the prompt: the test with its describe chain or class, its
// hooks, and the short helpers and fixtures it uses; other tests left out and marked.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extractTestSource, type TestIdentity, type TestSourceOptions } from '../../src/core/blocks/testSource';
import type { SourceLanguage } from '../../src/core/blocks/languages';
import { parser, readFixture } from './support/fixtures';

async function extract(source: string, language: SourceLanguage, identity: TestIdentity, options?: TestSourceOptions) {
  const tree = await parser.parse(source, language);
  try {
    return extractTestSource(tree.rootNode, source, language, identity, options);
  } finally {
    tree.delete();
  }
}

const nodeCart = readFixture('runners', 'node', 'project', 'test', 'cart.test.js');

test('node:test: the test inside its describe chain, other tests left out and counted', async () => {
  const got = await extract(nodeCart, 'javascript', { name: 'adds every line', suitePath: ['cart', 'subtotal'], line: 8 });
  assert.ok(got);
  assert.equal(
    got.text,
    [
      "describe('cart', () => {",
      "  describe('subtotal', () => {",
      "    it('adds every line', () => {",
      "      console.log('lines: 2');",
      '      assert.equal(subtotal([{ price: 2, qty: 3 }, { price: 5, qty: 1 }]), 11);',
      '    });',
      '    // … (1 other test left out)',
      '  });',
      '  // … (3 other tests left out)',
      '});',
    ].join('\n'),
  );
  assert.equal(got.startLine, 8);
  assert.equal(got.endLine, 11);
  assert.match(got.testText, /^ {4}it\('adds every line'[\s\S]*\n {4}\}\);$/);
});

test('a test in the middle of a suite: left-out code marked before and after', async () => {
  const got = await extract(nodeCart, 'javascript', { name: 'tax of toys', suitePath: ['cart'] });
  assert.ok(got);
  assert.equal(
    got.text,
    ["describe('cart', () => {", '  // … (1 other suite left out)', "  it('tax of toys', () => {", "    assert.equal(taxRate('toys'), 0.2);", '  });', '  // … (2 other tests left out)', '});'].join('\n'),
  );
});

test('a top-level test is shown alone; its name decides, not a neighbour with the same line', async () => {
  const got = await extract(nodeCart, 'javascript', { name: 'top level async', line: 29 });
  assert.equal(got?.text, nodeCart.split('\n').slice(28, 32).join('\n'));
});

test('jest: hooks of the chain and of the file, helpers and constants the test uses; imports and the target are not helpers', async () => {
  const source = [
    "import { total } from '../src/cart';",
    "const { fmt } = require('../src/format');",
    '',
    'const TAX = 0.2;',
    'const unused = 1;',
    '',
    '/** Builds a cart line. */',
    'function line(price: number, qty = 1) {',
    '  return { price, qty };',
    '}',
    '',
    'beforeAll(() => {',
    '  process.env.TZ = "UTC";',
    '});',
    '',
    "describe('cart', () => {",
    '  let cart: { price: number; qty: number }[];',
    '  beforeEach(() => {',
    '    cart = [line(2, 3)];',
    '  });',
    '',
    "  it('is empty', () => {",
    '    expect(total([])).toBe(0);',
    '  });',
    '',
    "  it.each([[1, 2], [3, 4]])('adds %i and %i', (a, b) => {",
    '    expect(total([line(a), line(b)]) * (1 + TAX)).toBe(a + b);',
    '  });',
    '});',
  ].join('\n');
  const got = await extract(source, 'typescript', { name: 'adds 3 and 4', suitePath: ['cart'] }, { exclude: ['total'] });
  assert.ok(got);
  assert.equal(
    got.text,
    [
      'const TAX = 0.2;',
      '',
      '/** Builds a cart line. */',
      'function line(price: number, qty = 1) {',
      '  return { price, qty };',
      '}',
      '',
      'beforeAll(() => {',
      '  process.env.TZ = "UTC";',
      '});',
      '',
      "describe('cart', () => {",
      '  let cart: { price: number; qty: number }[];',
      '  beforeEach(() => {',
      '    cart = [line(2, 3)];',
      '  });',
      '  // … (1 other test left out)',
      "  it.each([[1, 2], [3, 4]])('adds %i and %i', (a, b) => {",
      '    expect(total([line(a), line(b)]) * (1 + TAX)).toBe(a + b);',
      '  });',
      '});',
    ].join('\n'),
  );
  assert.deepEqual(got.helpers, ['TAX', 'line']);
});

test('vitest in TSX: template-literal names, test.skipIf(...)(...), a one-line suite shown whole', async () => {
  const source = ["import { describe, it, expect } from 'vitest';", "describe('Price', () => { it(`shows ${'EUR'}`, () => { expect(1).toBe(2); }); });", ''].join('\n');
  const got = await extract(source, 'tsx', { name: 'shows EUR', suitePath: ['Price'] });
  assert.equal(got?.text, source.split('\n')[1]);
});

test('pytest: a parametrized test with its decorator and the module constant it uses', async () => {
  const source = readFixture('runners', 'pytest', 'project', 'tests', 'test_cart.py');
  const got = await extract(source, 'python', { name: 'test_tax_rate[toys-0.2]', line: 17 });
  assert.equal(got?.text, ['@pytest.mark.parametrize("category,rate", [("food", 0.07), ("toys", 0.2)])', 'def test_tax_rate(category, rate):', '    assert tax_rate(category) == rate'].join('\n'));
  assert.equal(got?.startLine, 17);
});

test('pytest: a method inside its class with its setup and the fixtures it asks for (also from conftest.py)', async () => {
  const source = [
    'import pytest',
    'from shop.cart import subtotal',
    '',
    'CASES = [(1, 1), (2, 2)]',
    '',
    '',
    '@pytest.fixture',
    'def cart(prices):',
    '    return [(p, 1) for p in prices]',
    '',
    '',
    'def helper(x):',
    '    return x * 2',
    '',
    '',
    'class TestCart:',
    '    def setup_method(self):',
    '        self.calls = 0',
    '',
    '    def test_other(self):',
    '        pass',
    '',
    '    # The case that fails.',
    '    def test_total(self, cart):',
    '        assert subtotal(cart) == helper(len(CASES))',
  ].join('\n');
  const conftest = ['import pytest', '', '', '@pytest.fixture', 'def prices():', '    return [1, 2]', ''].join('\n');
  const confTree = await parser.parse(conftest, 'python');
  try {
    const got = await extract(source, 'python', { name: 'test_total', suitePath: ['TestCart'], line: 24 }, { fixtureSources: [{ root: confTree.rootNode, source: conftest, label: 'tests/conftest.py' }], exclude: ['subtotal'] });
    assert.ok(got);
    assert.equal(
      got.text,
      [
        'CASES = [(1, 1), (2, 2)]',
        '',
        '@pytest.fixture',
        'def cart(prices):',
        '    return [(p, 1) for p in prices]',
        '',
        'def helper(x):',
        '    return x * 2',
        '',
        '# from tests/conftest.py',
        '@pytest.fixture',
        'def prices():',
        '    return [1, 2]',
        '',
        'class TestCart:',
        '    def setup_method(self):',
        '        self.calls = 0',
        '',
        '    # … (1 other member left out)',
        '',
        '    # The case that fails.',
        '    def test_total(self, cart):',
        '        assert subtotal(cart) == helper(len(CASES))',
      ].join('\n'),
    );
    assert.equal(got.startLine, 23, 'the comment right above belongs to the test');
  } finally {
    confTree.delete();
  }
});

test('QuixBugs-style: the parametrize data source is shown with the test', async () => {
  const source = [
    'import pytest',
    'from load_testdata import load_json_testcases',
    '',
    'if pytest.use_correct:',
    '    from correct_python_programs.gcd import gcd',
    'else:',
    '    from python_programs.gcd import gcd',
    '',
    '',
    'testdata = load_json_testcases(gcd.__name__)',
    '',
    '',
    '@pytest.mark.parametrize("input_data,expected", testdata)',
    'def test_gcd(input_data, expected):',
    '    assert gcd(*input_data) == expected',
  ].join('\n');
  const got = await extract(source, 'python', { name: 'test_gcd[input_data1-expected1]', line: 14 }, { exclude: ['gcd'] });
  assert.match(got?.text ?? '', /^testdata = load_json_testcases\(gcd.__name__\)\n\n@pytest.mark.parametrize\("input_data,expected", testdata\)\ndef test_gcd\(input_data, expected\):\n {4}assert gcd\(\*input_data\) == expected$/);
});

test('an unknown test gives undefined, never a neighbour', async () => {
  assert.equal(await extract(nodeCart, 'javascript', { name: 'no such test' }), undefined);
  assert.equal(await extract('def test_a():\n    pass\n', 'python', { name: 'test_b' }), undefined);
});
