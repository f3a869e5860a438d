// The JavaScript tracer under jest (CommonJS; TypeScript through ts-jest with type checking) and
// vitest (ES modules with a config object, forks; TypeScript with a function config, threads), on
// fixture projects with one bug each whose jest / vitest come from the npm registry through a
// cache (test/support/fixtureDeps.ts; a failed install fails these tests). Exact values for
// arguments, loop iterations, returns and throws; only the selected test reruns; the outcome traced
// equals the outcome untraced before and after; the project's files are byte-identical afterwards.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectJsRunner, fullNamePattern, parseJsTestId } from '../../src/host/tracers/jsTestLaunch';
import { runJavaScriptTestUntraced, traceJavaScriptTest } from '../../src/host/tracers/jsTracer';
import { traceTest } from '../../src/host/tracers/traceTest';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject, projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser, repoRoot } from './support/fixtures';

const made: string[] = [];
const copies = new Map<string, string>();
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary copy of test/fixtures/trace/NAME with its runner installed (shared by the tests of this file). */
function project(name: string): string {
  let dir = copies.get(name);
  if (!dir) {
    dir = fixtureProject(fixturePath('trace', name));
    made.push(dir);
    copies.set(name, dir);
  }
  return dir;
}

/** Every file of the project but node_modules, by content hash. */

/** The runner's tally line: `1 failed, 2 skipped, 3 total` (jest), `1 failed | 2 skipped (3)` (vitest). */
function tally(output: string): string {
  const m = /^\s*Tests:?\s+(.+)$/m.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
  assert.ok(m, `no tally in:\n${output}`);
  return m[1].trim();
}

const v = (type: string, text: string, length?: number) => (length === undefined ? { type, text } : { type, text, length });
type Vars = Record<string, ReturnType<typeof v>>;
const steps = (rows: [string, number, Vars][]) => rows.map(([blockId, iteration, vars]) => ({ blockId, iteration, vars }));

/**
 * Runs the test untraced, traced, untraced again; checks the outcomes agree, only the selected test
 * ran, nothing on disk changed, and returns the traced run.
 */
async function traceChecked(name: string, testId: string, file: string, fn: string, selected: string) {
  const cwd = project(name);
  const before = projectFileHashes(cwd);
  const plain = await runJavaScriptTestUntraced({ cwd, test: testId });
  const target = await resolveTarget(cwd, { file, function: fn }, {}, parser);
  const run = await traceJavaScriptTest(target, { cwd, test: testId });
  const output = run.stdout + run.stderr;
  assert.equal(run.exitCode, plain.exitCode, `traced exit code = untraced\n${output}`);
  assert.equal(tally(output), tally(plain.stdout + plain.stderr), 'traced tally = untraced');
  assert.equal(tally(output), selected, 'only the selected test ran');
  assert.deepEqual(projectFileHashes(cwd), before, 'the project is byte-identical after tracing');
  // A later untraced run is not served instrumented code from any cache.
  const later = await runJavaScriptTestUntraced({ cwd, test: testId });
  assert.equal(later.exitCode, plain.exitCode);
  assert.equal(tally(later.stdout + later.stderr), tally(plain.stdout + plain.stderr));
  assert.doesNotMatch(later.stdout + later.stderr, /__ducktrace|__dt[RCE]/);
  return run;
}

test('the runner comes from what the test file imports, else from the project as the runners detect it', () => {
  const f = (name: string, file: string) => detectJsRunner(fixturePath('trace', name), fixturePath('trace', name, file));
  assert.equal(f('jest-cjs', 'inventory.test.js'), 'jest'); // jest.config.js, package.json devDependencies
  assert.equal(f('jest-ts', 'prices.test.ts'), 'jest'); // @jest/globals
  assert.equal(f('vitest-esm', 'grades.test.js'), 'vitest');
  assert.equal(f('vitest-ts', 'queue.test.ts'), 'vitest');
  assert.equal(f('js', 'shapes.test.js'), 'node');
});

test('jest and vitest select one test by its full name: exact with its suites, at the end without them', () => {
  assert.equal(fullNamePattern(['restock', 'orders (a) at 5']), '^restock orders \\(a\\) at 5$');
  assert.equal(fullNamePattern(['orders at 5']), '^(?:.* )?orders at 5$');
  assert.equal(fullNamePattern([]), undefined);
  assert.deepEqual(parseJsTestId('/p', 'a/b.test.js::s::t'), { file: '/p/a/b.test.js', names: ['s', 't'] });
});

const inventory = v('Array', "[{name: 'nails', count: 3}, {name: 'glue', count: 5}, {name: 'tape', count: 9}]", 3);
const item = (name: string, count: number) => v('Object', `{name: '${name}', count: ${count}}`, 2);

test('jest, CommonJS: a for-of loop and an if, every iteration, the return, with only the failing test rerun', async () => {
  const run = await traceChecked('jest-cjs', 'inventory.test.js::restock::orders items at or below the threshold', 'inventory.js', 'restock', '1 failed, 2 skipped, 3 total');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { items: inventory, threshold: v('number', '5') });
  const base = { items: inventory, threshold: v('number', '5') };
  const none = v('Array', '[]', 0);
  const nails = v('Array', "['nails']", 1);
  assert.deepEqual(
    call.steps,
    steps([
      ['b1', 1, { ...base, order: none }],
      ['b2', 1, { ...base, order: none, item: item('nails', 3) }],
      ['b3', 1, { ...base, order: none, item: item('nails', 3) }],
      ['b4', 1, { ...base, order: nails, item: item('nails', 3) }],
      ['b2', 2, { ...base, order: nails, item: item('glue', 5) }],
      ['b3', 2, { ...base, order: nails, item: item('glue', 5) }],
      ['b2', 3, { ...base, order: nails, item: item('tape', 9) }],
      ['b3', 3, { ...base, order: nails, item: item('tape', 9) }],
      ['b5', 1, { ...base, order: nails }],
    ]),
  );
  assert.deepEqual(call.returned, nails);
  assert.equal(run.trace.truncated, false);
  assert.equal(run.exitCode, 1);
  assert.ok(run.command.includes('--runInBand') && run.command.some((a) => a.startsWith('--cacheDirectory=')), run.command.join(' '));
});

test('jest, CommonJS: a throw in a passing test, by the test name alone (no suite)', async () => {
  const run = await traceChecked('jest-cjs', 'inventory.test.js::negative counts throw', 'inventory.js', 'checkedCount', '2 skipped, 1 passed, 3 total');
  assert.deepEqual(
    run.trace.calls.map((c) => [c.args, c.steps, c.threw]),
    [[{ n: v('number', '-2') }, steps([['b1', 1, { n: v('number', '-2') }], ['b2', 1, { n: v('number', '-2') }]]), v('RangeError', "RangeError('negative count -2')")]],
  );
  assert.equal(run.exitCode, 0);
});

test('jest, TypeScript through the project\'s ts-jest (type-checked, config in package.json): the TypeScript itself is instrumented', async () => {
  const run = await traceChecked('jest-ts', 'prices.test.ts::orderTotal::applies the discount once', 'prices.ts', 'orderTotal', '1 failed, 1 skipped, 2 total');
  const lines = v('Array', '[{price: 4, qty: 2}, {price: 10, qty: 1}]', 2);
  const line = (price: number, qty: number) => v('Object', `{price: ${price}, qty: ${qty}}`, 2);
  const row = (block: string, n: number, total: number, l?: ReturnType<typeof v>): [string, number, Vars] => [block, n, { lines, discount: v('number', '3'), total: v('number', String(total)), ...(l ? { line: l } : {}) }];
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { lines, discount: v('number', '3') });
  assert.deepEqual(call.steps, steps([row('b1', 1, 0), row('b2', 1, 0, line(4, 2)), row('b3', 1, 5, line(4, 2)), row('b2', 2, 5, line(10, 1)), row('b3', 2, 12, line(10, 1)), row('b4', 1, 12)]));
  assert.deepEqual(call.returned, v('number', '12'));
  assert.match(run.stdout + run.stderr, /prices\.test\.ts:6/, 'line numbers unchanged');
});

test('vitest, ES module with a config object (forks): a while loop and its iterations, then the return', async () => {
  const run = await traceChecked('vitest-esm', 'grades.test.js::grade::a boundary score gets the higher grade', 'grades.js', 'grade', '1 failed | 2 skipped (3)');
  const bounds = v('Array', "[[90, 'A'], [80, 'B'], [70, 'C']]", 3);
  const row = (block: string, n: number, i: number): [string, number, Vars] => [block, n, { score: v('number', '80'), bounds, i: v('number', String(i)) }];
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { score: v('number', '80') });
  assert.deepEqual(call.steps, steps([row('b1', 1, 0), row('b2', 1, 0), row('b3', 1, 0), row('b5', 1, 1), row('b2', 2, 1), row('b3', 2, 1), row('b5', 2, 2), row('b2', 3, 2), row('b3', 3, 2), row('b4', 1, 2)]));
  assert.deepEqual(call.returned, v('string', "'C'", 1));
  assert.equal(run.exitCode, 1);
  assert.ok(run.command.includes('--config'), run.command.join(' '));
});

test('vitest: a throw, selected by the test name alone', async () => {
  const run = await traceChecked('vitest-esm', 'grades.test.js::mean of nothing throws', 'grades.js', 'mean', '1 passed | 2 skipped (3)');
  assert.deepEqual(
    run.trace.calls.map((c) => [c.args, c.steps.map((s) => s.blockId), c.threw]),
    [[{ scores: v('Array', '[]', 0) }, ['b1', 'b2'], v('Error', "Error('no scores')")]],
  );
  assert.equal(run.exitCode, 0);
});

test('vitest, TypeScript with a function config (threads): a method with the this fields it touches', async () => {
  const run = await traceChecked('vitest-ts', 'queue.test.ts::take returns the oldest item', 'queue.ts', 'Queue.take', '1 failed | 1 skipped (2)');
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { this: v('Queue', "Queue {items: ['a', 'b'], taken: 0}") });
  assert.deepEqual(
    call.steps,
    steps([
      ['b1', 1, { 'this.items': v('Array', "['a', 'b']", 2), 'this.taken': v('number', '0') }],
      ['b3', 1, { item: v('string', "'b'", 1), 'this.items': v('Array', "['a']", 1), 'this.taken': v('number', '1') }],
    ]),
  );
  assert.deepEqual(call.returned, v('string', "'b'", 1));
});

test('ducktrace trace --json under vitest and jest: the framework is detected, the trace printed, exit 0 with the test failing', () => {
  for (const [name, testId, target] of [
    ['vitest-esm', 'grades.test.js::grade::a boundary score gets the higher grade', 'grades.js:grade'],
    ['jest-cjs', 'inventory.test.js::restock::orders items at or below the threshold', 'inventory.js:restock'],
  ]) {
    const cwd = project(name);
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--cwd', cwd, '--test', testId, '--target', target, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.calls.length, 1);
    assert.equal(json.calls[0].steps.length, name === 'jest-cjs' ? 9 : 10);
  }
});

test('a project whose runner is not installed: a clear error', async () => {
  const cwd = fixtureProject(fixturePath('trace', 'jest-cjs'), { install: false });
  made.push(cwd);
  await assert.rejects(
    traceTest({ cwd, test: 'inventory.test.js::negative counts throw', target: { file: 'inventory.js', function: 'checkedCount' } }),
    /jest is not installed in .*\(no node_modules\/\.bin\/jest\): run npm install there/,
  );
});

test('endless loops and hangs under vitest (forks and threads) and jest: stopped at the step budget, or told to stop at the time limit, with the trace so far', async () => {
  // Extra files in copies of their own: the fixtures keep one bug each.
  const vitestDir = fixtureProject(fixturePath('trace', 'vitest-esm'));
  const threadsDir = fixtureProject(fixturePath('trace', 'vitest-ts'));
  const jestDir = fixtureProject(fixturePath('trace', 'jest-cjs'));
  made.push(vitestDir, threadsDir, jestDir);
  const spinSource = 'export function spin(n) {\n  while (n !== 0) {\n    n -= 2;\n  }\n  return n;\n}\n';
  const budget = { maxExecutedSteps: 500, maxSteps: 20 };
  const checkSpin = (run: Awaited<ReturnType<typeof traceJavaScriptTest>>) => {
    assert.ok(run.trace.truncated, run.stdout + run.stderr);
    assert.equal(run.trace.truncated.stoppedBy, 'steps');
    assert.equal(run.trace.endedEarly?.by, 'steps');
    assert.equal(run.exitCode, 124);
    assert.equal(run.trace.calls[0].unfinished, true);
    assert.equal(run.trace.calls[0].steps.at(-1)?.vars.n.text, '-497');
  };

  writeFileSync(join(vitestDir, 'spin.js'), spinSource);
  writeFileSync(join(vitestDir, 'spin.test.js'), "import { test } from 'vitest';\nimport { spin } from './spin.js';\n\ntest('spins', () => {\n  spin(3);\n});\n");
  checkSpin(await traceJavaScriptTest(await resolveTarget(vitestDir, { file: 'spin.js', function: 'spin' }, budget, parser), { cwd: vitestDir, test: 'spin.test.js::spins' }));

  // vitest's threads pool: the recorder runs in a worker thread, which gets no signals.
  writeFileSync(join(threadsDir, 'spin.ts'), spinSource.replace('spin(n)', 'spin(n: number)'));
  writeFileSync(
    join(threadsDir, 'spin.test.ts'),
    "import { test } from 'vitest';\nimport { spin } from './spin';\n\ntest('spins', () => {\n  spin(3);\n});\n\ntest('waits', async () => {\n  spin(4);\n  await new Promise(() => {});\n}, 120_000);\n",
  );
  checkSpin(await traceJavaScriptTest(await resolveTarget(threadsDir, { file: 'spin.ts', function: 'spin' }, budget, parser), { cwd: threadsDir, test: 'spin.test.ts::spins' }));
  const waits = await traceJavaScriptTest(await resolveTarget(threadsDir, { file: 'spin.ts', function: 'spin' }, { timeoutMs: 8000 }, parser), { cwd: threadsDir, test: 'spin.test.ts::waits' });
  assert.equal(waits.trace.endedEarly?.by, 'time', waits.stdout + waits.stderr);
  assert.deepEqual(waits.trace.calls[0]?.returned, v('number', '0'));
  assert.doesNotMatch(waits.trace.endedEarly?.message ?? '', /written by then/, 'the worker answered the stop itself');

  writeFileSync(join(jestDir, 'spin.js'), spinSource.replace('export function spin', 'function spin') + 'module.exports = { spin };\n');
  writeFileSync(join(jestDir, 'spin.test.js'), "const { spin } = require('./spin');\n\ntest('spins', () => {\n  spin(3);\n});\n");
  checkSpin(await traceJavaScriptTest(await resolveTarget(jestDir, { file: 'spin.js', function: 'spin' }, budget, parser), { cwd: jestDir, test: 'spin.test.js::spins' }));
  writeFileSync(join(jestDir, 'hang.test.js'), "const { checkedCount } = require('./inventory');\n\ntest('hangs', async () => {\n  checkedCount(4);\n  await new Promise(() => {});\n}, 60_000);\n");
  const hang = await traceJavaScriptTest(await resolveTarget(jestDir, { file: 'inventory.js', function: 'checkedCount' }, { timeoutMs: 5000 }, parser), { cwd: jestDir, test: 'hang.test.js::hangs' });
  assert.ok(hang.trace.truncated && hang.trace.truncated.stoppedBy === 'time', hang.stdout + hang.stderr);
  assert.equal(hang.trace.endedEarly?.by, 'time');
  assert.deepEqual(hang.trace.calls[0].returned, v('number', '4'));
  assert.doesNotMatch(hang.trace.endedEarly?.message ?? '', /written by then/, 'the recorder answered the stop itself');
});
