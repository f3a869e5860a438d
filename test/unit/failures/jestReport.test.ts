import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseJestJson } from '../../../src/core/failures/jestReport';
import { capture } from '../support/runnerCaptures';

for (const framework of ['jest', 'vitest'] as const) {
  const results = () => parseJestJson(capture(`${framework}/report.json`), framework, '/project');
  const named = (name: string) => {
    const r = results().find((x) => x.name === name);
    assert.ok(r, `a result named ${name}`);
    return r;
  };

  test(`${framework} json: tests with suites, lines and outcomes`, () => {
    const rows = results().map((r) => [r.file.replace('/project/', ''), [...r.suitePath, r.name].join(' > '), r.outcome, r.line]);
    const expected = [
      ['cart.test.js', 'cart > subtotal > adds every line', 'failed', 6],
      ['cart.test.js', 'cart > subtotal > is zero for an empty cart', 'passed', 11],
      ['cart.test.js', 'cart > tax of toys', 'failed', 16],
      ['cart.test.js', 'cart > objects compare deeply', 'failed', 20],
      ['cart.test.js', 'cart > later', 'skipped', 24],
    ];
    for (const row of expected) {
      const found = rows.find((r) => r[1] === row[1]);
      assert.ok(found, `${row[1]} is reported`);
      assert.deepEqual(found.slice(0, 3), row.slice(0, 3));
      assert.equal(found[3], row[3], `line of ${row[1]}`);
    }
  });

  test(`${framework} json: an assertion gives expected, actual and the test's frame`, () => {
    const r = named('adds every line');
    assert.equal(r.testId, '/project/cart.test.js::cart::subtotal::adds every line');
    const f = r.failure;
    assert.ok(f);
    assert.equal(f.framework, framework);
    assert.equal(f.expected, '11');
    assert.equal(f.actual, '6');
    assert.equal(f.stack[0].file, '/project/cart.test.js');
    assert.equal(f.stack[0].line, 8);
    assert.ok(f.stack.every((s) => !s.file.includes('node_modules')), 'runner frames dropped');
  });

  test(`${framework} json: a thrown error points into the source first`, () => {
    const f = named('tax of toys').failure;
    assert.ok(f);
    assert.equal(f.message, 'unknown category toys');
    assert.deepEqual([f.stack[0].file, f.stack[0].line, f.stack[0].function], ['/project/src/cart.js', 13, 'taxRate']);
  });

  test(`${framework} json: a deep equality failure has both values`, () => {
    const f = named('objects compare deeply').failure;
    assert.match(f?.expected ?? '', /"?total"?: 1/);
    assert.match(f?.actual ?? '', /"?total"?: (\+)?0/);
  });

  test(`${framework} json: a test file with a syntax error is one file-level failure`, () => {
    const r = results().find((x) => x.fileLevel);
    assert.ok(r);
    assert.equal(r.file, '/project/broken.test.js');
    assert.equal(r.outcome, 'failed');
    assert.ok(r.failure && r.failure.message.length > 0);
    if (framework === 'jest') {
      assert.match(r.failure.message, /SyntaxError/);
      assert.deepEqual([r.failure.stack[0].file, r.failure.stack[0].line], ['/project/broken.test.js', 2]);
    }
  });
}

test('vitest json: TypeScript test files', () => {
  const r = parseJestJson(capture('vitest/report.json'), 'vitest', '/project').find((x) => x.name === 'pads cents');
  assert.equal(r?.file, '/project/format.test.ts');
  assert.equal(r?.failure?.expected, "'1.05'");
  assert.equal(r?.failure?.actual, "'1.5'");
});

test('jest json: not json throws', () => {
  assert.throws(() => parseJestJson('not json', 'jest', '/'));
});
