import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsTests } from '../../../src/core/failures/jsTestScanner';
import { parseJestJson } from '../../../src/core/failures/jestReport';
import { parseNodeTestEvents } from '../../../src/core/failures/nodeTestReport';
import { capture, runnersDir } from '../support/runnerCaptures';

const rows = (source: string) => scanJsTests(source, '/p/a.test.js', 'node').map((t) => [[...t.suitePath, t.name].join(' > '), t.line]);

test('scanner: nested describes, it and test, with lines', () => {
  const src = [
    "describe('outer', () => {",
    "  it('one', () => { if (x) { y(); } });",
    "  describe(\"inner\", function () {",
    "    test.skip(`two`, async () => {",
    "      const s = '})';",
    '    });',
    '  });',
    "  it('three', () => {});",
    '});',
    "test('top', () => {});",
    "// test('commented', () => {});",
  ].join('\n');
  assert.deepEqual(rows(src), [
    ['outer > one', 2],
    ['outer > inner > two', 4],
    ['outer > three', 8],
    ['top', 10],
  ]);
});

test('scanner: finds the same tests as the real runs of the captured projects', () => {
  const cases: [string, string, 'node' | 'jest' | 'vitest'][] = [
    ['node/project/test/cart.test.js', '/project/test/cart.test.js', 'node'],
    ['jest/project/cart.test.js', '/project/cart.test.js', 'jest'],
    ['vitest/project/cart.test.js', '/project/cart.test.js', 'vitest'],
  ];
  for (const [fixture, file, framework] of cases) {
    const scanned = scanJsTests(readFileSync(join(runnersDir, fixture), 'utf8'), file, framework);
    const ran =
      framework === 'node'
        ? parseNodeTestEvents(capture('node/report.jsonl'), '/project')
        : parseJestJson(capture(`${framework}/report.json`), framework, '/project');
    const ranHere = ran.filter((r) => r.file === file);
    assert.deepEqual(
      scanned.map((t) => [t.testId, t.line]),
      ranHere.map((r) => [r.testId, r.line]),
      fixture,
    );
  }
});
