import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BlocksError } from '../../src/core/blocks/blocksError';
import { findFunctionAtLine, findFunctionByName, selectFunction } from '../../src/core/blocks/functionFinder';
import { parseFixture, parseSource, type ParsedFixture } from './support/fixtures';

const trees: ParsedFixture[] = [];
async function load(file: string): Promise<ParsedFixture> {
  const p = await parseFixture('blocks', file);
  trees.push(p);
  return p;
}
after(() => trees.forEach((p) => p.tree.delete()));

const lineOf = (p: ParsedFixture, text: string) => p.source.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('function names', () => {
  test('Python: methods, nested and decorated functions, lambdas assigned to names', async () => {
    const p = await load('constructs.py');
    const names = p.functions.map((f) => f.qualifiedName);
    for (const name of ['classify', 'outer.scale', 'outer.logged', 'outer.key', 'Account.__init__', 'Account.overdrawn', 'Account.Ledger.record', 'decorated', 'grüße']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    const withdraw = p.fn('Account.withdraw');
    assert.equal(withdraw.className, 'Account');
    assert.equal(withdraw.topLevel, true);
    assert.equal(p.fn('outer.scale').topLevel, false);
    assert.equal(p.fn('outer.scale').className, undefined);
  });

  test('JavaScript: arrows and function expressions take their names; class fields, object members, prototypes, exports', async () => {
    const p = await load('constructs.js');
    const names = p.functions.map((f) => f.qualifiedName);
    for (const name of ['double', 'triple', 'outer.scale', 'outer.logged', 'Account.onChange', 'Account.create', 'Account.withdraw', 'api.get', 'api.post', 'Account.deposit', 'helper', 'grüße']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    // The callback in `values.map(logged).filter((v) => v > 0)` has no name of its own.
    assert.ok(names.includes('outer.<anonymous>'));
    assert.equal(p.fn('Account.onChange').className, 'Account');
    assert.equal(p.fn('api.get').className, undefined);
  });

  test('TypeScript and TSX: default exports, abstract classes, arrow components', async () => {
    const ts = await load('constructs.ts');
    assert.deepEqual(findFunctionByName(ts.functions, 'default').range.start.line, ts.source.split('\n').findIndex((l) => l.startsWith('export default')) + 1);
    assert.ok(ts.functions.some((f) => f.qualifiedName === 'Repository.save'));
    assert.ok(ts.functions.some((f) => f.qualifiedName === 'Repository.onMissing'));
    const tsx = await load('component.tsx');
    assert.deepEqual(
      tsx.functions.filter((f) => !f.anonymous).map((f) => f.qualifiedName),
      ['ItemList', 'ItemList.handleClick', 'Badge', 'Counter.increment', 'Counter.render'],
    );
  });

  test('a named default export is found by either name; CommonJS module.exports = function is `default`', async () => {
    const esm = await parseSource('export default function formatPrice(n) {\n  return n;\n}\n', 'javascript');
    const cjs = await parseSource('module.exports = function (n) {\n  return n;\n};\n', 'javascript');
    trees.push(esm, cjs);
    assert.equal(findFunctionByName(esm.functions, 'formatPrice'), findFunctionByName(esm.functions, 'default'));
    assert.deepEqual(esm.functions.map((f) => [f.qualifiedName, f.aliases]), [['formatPrice', ['default']]]);
    assert.equal(findFunctionByName(cjs.functions, 'default').qualifiedName, 'default');
  });
});

describe('finding a function', () => {
  test('by qualified name, by simple name, by Python __qualname__', async () => {
    const p = await load('constructs.py');
    assert.equal(findFunctionByName(p.functions, 'Account.withdraw').name, 'withdraw');
    assert.equal(findFunctionByName(p.functions, 'withdraw').qualifiedName, 'Account.withdraw');
    assert.equal(findFunctionByName(p.functions, 'outer.<locals>.scale').qualifiedName, 'outer.scale');
  });

  test('an unknown name lists what there is; an ambiguous one lists the candidates with lines', async () => {
    const p = await load('constructs.js');
    assert.throws(() => findFunctionByName(p.functions, 'nope'), (e: unknown) => e instanceof BlocksError && e.code === 'unknown-function' && /classify/.test(e.message));
    const twice = await parseSource('class A { run() {} }\nclass B { run() {} }\n', 'javascript');
    trees.push(twice);
    assert.throws(
      () => findFunctionByName(twice.functions, 'run'),
      (e: unknown) => e instanceof BlocksError && e.code === 'ambiguous-function' && /A\.run \(line 1\).*B\.run \(line 2\)/.test(e.message),
    );
    assert.equal(findFunctionByName(twice.functions, 'B.run').range.start.line, 2);
  });

  test('by line: the innermost named function, so callbacks and lambdas map to their holder', async () => {
    const js = await load('constructs.js');
    assert.equal(findFunctionAtLine(js.functions, lineOf(js, 'return v * factor'))?.qualifiedName, 'outer.scale');
    assert.equal(findFunctionAtLine(js.functions, lineOf(js, '.filter((v) => v > 0)'))?.qualifiedName, 'outer');
    assert.equal(findFunctionAtLine(js.functions, lineOf(js, '.filter((v) => v > 0)'), 'any')?.qualifiedName, 'outer.<anonymous>');
    const py = await load('constructs.py');
    assert.equal(findFunctionAtLine(py.functions, lineOf(py, 'key = lambda v: -v'))?.qualifiedName, 'outer.key');
    assert.equal(findFunctionAtLine(py.functions, lineOf(py, 'self.entries.append(entry)'))?.qualifiedName, 'Account.Ledger.record');
    assert.equal(findFunctionAtLine(py.functions, 1), undefined);
  });

  test('selectFunction explains a line outside any function, outside the file, or in code that does not parse', async () => {
    const p = await load('constructs.py');
    const select = (line: number) => () => selectFunction(p.tree.rootNode, p.language, p.lines, { line });
    assert.throws(select(2), (e: unknown) => e instanceof BlocksError && e.code === 'no-function-at-line' && /not inside a function/.test(e.message));
    assert.throws(select(99_999), (e: unknown) => e instanceof BlocksError && /outside the file/.test(e.message));

    const broken = await parseSource('def f(:\n    return 1\n', 'python');
    trees.push(broken);
    assert.throws(
      () => selectFunction(broken.tree.rootNode, 'python', broken.lines, { name: 'g' }),
      (e: unknown) => e instanceof BlocksError && e.code === 'unknown-function' && /syntax error at line 1/.test(e.message),
    );
  });
});
