// The scope check on fixed files: from the syntax trees before and after, a fix may change the
// target function, add imports and helpers, and nothing else.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SourceLanguage } from '../../src/core/blocks/languages';
import { checkFixScope } from '../../src/core/duck/fixScope';
import { parseSource, parser } from './support/fixtures';

/** The scope check's verdict on `after`, for the function `name` of `before`. */
async function check(language: SourceLanguage, before: string, after: string, name: string): Promise<string | undefined> {
  const parsed = await parseSource(before, language);
  try {
    const fn = parsed.functions.find((f) => f.qualifiedName === name) ?? parsed.fn(name);
    return await checkFixScope(parser, before, after, { name, range: fn.range, language });
  } finally {
    parsed.tree.delete();
  }
}

const py = [
  '"""Prices."""',
  'import math',
  '',
  'RATE = 100',
  '',
  '',
  'def apply_discount(price, percent):',
  '    return price - price * percent / 10',
  '',
  '',
  'def total_price(items):',
  '    return sum(items)',
  '',
  '',
  'class Cart:',
  '    tax = 0',
  '',
  '    def total(self):',
  '        return 1',
  '',
  '    def count(self):',
  '        return 2',
  '',
  '',
  "if __name__ == '__main__':",
  '    print(apply_discount(80, 10))',
  '',
].join('\n');

test('python: changing only the target is accepted', async () => {
  assert.equal(await check('python', py, py.replace('percent / 10', 'percent / 100'), 'apply_discount'), undefined);
});

test('python: new imports, a name added to an import, and a new helper function are accepted', async () => {
  const after = py
    .replace('import math', 'import math\nfrom decimal import Decimal')
    .replace('def apply_discount(price, percent):\n    return price - price * percent / 10', 'def _factor(percent):\n    return 1 - percent / 100\n\n\ndef apply_discount(price, percent):\n    return price * _factor(percent)');
  assert.equal(await check('python', py, after, 'apply_discount'), undefined);
  const withMore = `from typing import Sequence\n${py}`;
  assert.equal(await check('python', withMore, withMore.replace('from typing import Sequence', 'from typing import Sequence, Mapping'), 'apply_discount'), undefined);
});

test('python: deleting another function is refused, naming it and its line', async () => {
  const after = py.replace("def total_price(items):\n    return sum(items)\n\n\n", '');
  assert.equal(await check('python', py, after, 'apply_discount'), 'the fix would delete the function `total_price` (line 11); only `apply_discount` may change (new imports and new helper functions or classes may be added)');
});

test('python: rewriting another function, a class, a constant or the main block is refused', async () => {
  assert.match((await check('python', py, py.replace('return sum(items)', 'return 0'), 'apply_discount'))!, /change the function `total_price` \(line 11\)/);
  assert.match((await check('python', py, py.replace('RATE = 100', 'RATE = 10'), 'apply_discount'))!, /change the declaration `RATE` \(line 4\)/);
  assert.match((await check('python', py, py.replace('print(apply_discount(80, 10))', 'pass'), 'apply_discount'))!, /change the top-level statement `if __name__ == '__main__':` \(line 25\)/);
  assert.match((await check('python', py, py.replace('import math\n', ''), 'apply_discount'))!, /delete the import `import math` \(line 2\)/);
  assert.match((await check('python', py, py.replace('import math', 'import cmath'), 'apply_discount'))!, /delete the import `import math` \(line 2\)/);
});

test('python: adding a top-level statement or a second definition of an existing function is refused', async () => {
  assert.match((await check('python', py, py.replace('RATE = 100', "RATE = 100\nos.system('rm -rf /')"), 'apply_discount'))!, /add the top-level statement `os.system\('rm -rf \/'\)` \(line 5\)/);
  assert.match((await check('python', py, `${py}\n\ndef total_price(items):\n    return 0\n`, 'apply_discount'))!, /define `total_price` a second time/);
});

test('python: a method may change and gain a helper method; its siblings and the class line may not', async () => {
  const fixed = py.replace('    def total(self):\n        return 1', '    def _base(self):\n        return 0\n\n    def total(self):\n        return self._base() + 1');
  assert.equal(await check('python', py, fixed, 'Cart.total'), undefined);
  assert.match((await check('python', py, py.replace('    def count(self):\n        return 2\n', ''), 'Cart.total'))!, /delete the method `count` \(line 21\) in `Cart`; only `total` may change/);
  assert.match((await check('python', py, py.replace('class Cart:', 'class Cart(object):'), 'Cart.total'))!, /change the header of the class `Cart` \(line 15\)/);
  // Found by the fuzzer: a SEARCH/REPLACE that only re-indents a sibling's first line (tree-sitter
  // still parses it, and the method's own text from `def` on is the same).
  assert.match((await check('python', py, py.replace('    def count(self):', '        def count(self):'), 'Cart.total'))!, /the method `count` \(line 21\) in `Cart`/);
  assert.match((await check('python', py, py.replace('apply_discount(price, percent):\n    return price - price * percent / 10', 'apply_discount(price, percent):\n    return 0'), 'Cart.total'))!, /change the function `apply_discount`/);
});

test('python: a fixed file that no longer parses is refused', async () => {
  assert.match((await check('python', py, py.replace('    return price - price * percent / 10', '    return (price'), 'apply_discount'))!, /the fixed code does not parse \(syntax error at line \d+\)/);
});

const js = [
  "const path = require('path');",
  '',
  'function applyDiscount(price, percent) {',
  '  return price - (price * percent) / 10;',
  '}',
  '',
  'const totalPrice = (items) => items.reduce((a, b) => a + b, 0);',
  '',
  'class Cart {',
  '  total() {',
  '    return 1;',
  '  }',
  '  count() {',
  '    return 2;',
  '  }',
  '}',
  '',
  'module.exports = { applyDiscount, totalPrice, Cart };',
  '',
].join('\n');

test('javascript: the target, new helpers and imports are accepted; deleting or changing others is refused', async () => {
  assert.equal(await check('javascript', js, js.replace('/ 10', '/ 100'), 'applyDiscount'), undefined);
  const withHelper = js.replace("const path = require('path');", "const path = require('path');\nconst util = require('util');").replace('function applyDiscount', 'function factor(p) {\n  return 1 - p / 100;\n}\n\nfunction applyDiscount');
  assert.equal(await check('javascript', js, withHelper, 'applyDiscount'), undefined);
  assert.match((await check('javascript', js, js.replace('const totalPrice = (items) => items.reduce((a, b) => a + b, 0);\n', ''), 'applyDiscount'))!, /delete the function `totalPrice` \(line 7\)/);
  assert.match((await check('javascript', js, js.replace('module.exports = { applyDiscount, totalPrice, Cart };', 'module.exports = { applyDiscount };'), 'applyDiscount'))!, /change the declaration `module.exports` \(line 18\)/);
  assert.match((await check('javascript', js, js.replace('  count() {\n    return 2;\n  }\n', ''), 'Cart.total'))!, /delete the method `count` \(line 13\) in `Cart`/);
  assert.equal(await check('javascript', js, js.replace('    return 1;', '    return 3;'), 'Cart.total'), undefined);
});

test('typescript and tsx: exported functions, interfaces and arrow functions', async () => {
  const ts = ['export interface Summary {', '  average: number;', '}', '', 'export const average = (xs: number[]): number => {', '  return xs.length;', '};', '', 'export function summarize(xs: number[]): Summary {', '  return { average: average(xs) };', '}', ''].join('\n');
  assert.equal(await check('typescript', ts, ts.replace('return xs.length;', 'return xs.length + 1;'), 'average'), undefined);
  assert.match((await check('typescript', ts, ts.replace('  average: number;\n', ''), 'average'))!, /change the interface `Summary` \(line 1\)/);
  assert.match((await check('typescript', ts, ts.replace('return { average: average(xs) };', 'return { average: 0 };'), 'average'))!, /change the function `summarize` \(line 9\)/);
  const tsx = ['export function Label({ n }: { n: number }) {', '  return <b>{n - 1}</b>;', '}', '', 'export function Other() {', '  return <i />;', '}', ''].join('\n');
  assert.equal(await check('tsx', tsx, tsx.replace('n - 1', 'n'), 'Label'), undefined);
  assert.match((await check('tsx', tsx, tsx.replace('export function Other() {\n  return <i />;\n}\n', ''), 'Label'))!, /delete the function `Other` \(line 5\)/);
});

test('a nested target: the enclosing function keeps everything but the target', async () => {
  const nested = ['def outer(x):', '    y = 1', '', '    def inner(z):', '        return z + 1', '', '    return inner(x) + y', ''].join('\n');
  assert.equal(await check('python', nested, nested.replace('return z + 1', 'return z + 2'), 'outer.inner'), undefined);
  assert.match((await check('python', nested, nested.replace('y = 1', 'y = 2'), 'outer.inner'))!, /change the function `outer` \(line 1\) around `inner`/);
});

test('CRLF files: the same decisions as LF', async () => {
  const crlf = py.replace(/\n/g, '\r\n');
  assert.equal(await check('python', crlf, crlf.replace('percent / 10', 'percent / 100'), 'apply_discount'), undefined);
  assert.match((await check('python', crlf, crlf.replace('def total_price(items):\r\n    return sum(items)\r\n\r\n\r\n', ''), 'apply_discount'))!, /delete the function `total_price` \(line 11\)/);
});

test('a function inside a call (a test helper in describe): only its own lines may change', async () => {
  const src = ["describe('cart', () => {", '  function price(x) {', '    return x * 2;', '  }', "  it('works', () => {", '    expect(price(1)).toBe(1);', '  });', '});', ''].join('\n');
  assert.equal(await check('javascript', src, src.replace('x * 2', 'x'), 'price'), undefined);
  assert.match((await check('javascript', src, src.replace('toBe(1)', 'toBe(2)'), 'price'))!, /change the top-level statement `describe\('cart', \(\) => \{` \(line 1\) around `price`/);
});

test('comments: the target\'s own (right above it) may change and new ones may be added; others may not change (found by the fuzzer)', async () => {
  const src = ['// Numeric helpers.', '', '/** Clamps x into [lo, hi]. */', 'function clamp(x, lo, hi) {', '  return x;', '}', '', '// The end.', ''].join('\n');
  assert.equal(await check('javascript', src, src.replace('/** Clamps x into [lo, hi]. */', '/** Clamps x into [lo, hi] (inclusive). */').replace('return x;', 'return Math.min(Math.max(x, lo), hi);'), 'clamp'), undefined);
  assert.equal(await check('javascript', src, src.replace('function clamp', '// fixed: both bounds\nfunction clamp'), 'clamp'), undefined);
  assert.match((await check('javascript', src, src.replace('// Numeric helpers.', '// Numeric_x helpers.'), 'clamp'))!, /change or delete the comment `\/\/ Numeric helpers.` \(line 1\)/);
  assert.match((await check('python', py.replace('RATE = 100', '# The rate.\nRATE = 100'), py.replace('RATE = 100', 'RATE = 100'), 'apply_discount'))!, /delete the comment `# The rate.` \(line 4\)/);
  assert.equal(await check('python', py.replace('def apply_discount', '# Takes percent off.\ndef apply_discount'), py.replace('def apply_discount', '# Takes percent percent off.\ndef apply_discount'), 'apply_discount'), undefined);
});
