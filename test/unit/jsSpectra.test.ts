// The JavaScript coverage mode on fixture projects: per test, its outcome and the blocks of the
// target it ran, under node's test runner (CommonJS with nested suites, an ES module), jest
// (CommonJS; TypeScript through ts-jest) and vitest (ES module, forks; TypeScript, threads); an
// endless loop in the function stopped by the block budget at the same place on every run; a crash
// placed in its block by the stack's column; a test that hangs outside the function; the test files
// that reach a function; and the traced run's stack traces, which point at the user's columns.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { after, test } from 'node:test';
import { rankSuspiciousBlocks } from '../../src/core/localize/suspicion';
import { jsTestFilesReaching, runJsSpectra, type JsSpectraOptions } from '../../src/host/localize/jsSpectra';
import { runJavaScriptTestUntraced, traceJavaScriptTest } from '../../src/host/tracers/jsTracer';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject, projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const cwd = fixturePath('spectra', 'js');

async function spectraOf(dir: string, file: string, fn: string, testFiles: string[], options: Partial<JsSpectraOptions> = {}) {
  const target = await resolveTarget(dir, { file, function: fn }, {}, parser);
  const run = await runJsSpectra(target, { cwd: dir, testFiles, testTimeoutSeconds: 20, parser, ...options });
  const byTest = Object.fromEntries(run.spectra.map((s) => [relative(dir, s.testId), s]));
  return { target, run, byTest };
}

const outcomesAndBlocks = (byTest: Record<string, { outcome: string; blocks: readonly string[] }>) =>
  Object.fromEntries(Object.entries(byTest).map(([k, s]) => [k, [s.outcome, s.blocks.join(',')]]));

test('node:test, CommonJS: per test its outcome and the blocks it ran, suites in the test id; the ranking blames the block only the failing test ran', async () => {
  const { target, run, byTest } = await spectraOf(cwd, 'clamp.js', 'clampSum', ['clamp.test.js']);
  assert.deepEqual(run.problems, undefined, run.stdout + run.stderr);
  assert.deepEqual(outcomesAndBlocks(byTest), {
    'clamp.test.js::small': ['passed', 'b1,b2,b3,b5,b6,b8'],
    'clamp.test.js::limits::negatives skipped': ['passed', 'b1,b2,b3,b4,b5,b6,b8'],
    'clamp.test.js::limits::over::over limit': ['failed', 'b1,b2,b3,b5,b6,b7,b8'],
    'clamp.test.js::unrelated': ['passed', ''],
    'clamp.test.js::first names': ['failed', ''],
  });
  const over = byTest['clamp.test.js::limits::over::over limit']!;
  assert.equal(over.lastBlock, 'b8');
  // The loop header is marked where the loop starts and at each of its two iterations.
  assert.deepEqual(over.hits, { b1: 1, b2: 3, b3: 2, b5: 2, b6: 1, b7: 1, b8: 1 });
  assert.match(over.message ?? '', /9 !== 10/);
  const ranked = rankSuspiciousBlocks(target.blocks.blocks, run.spectra).blocks;
  assert.equal(ranked[0]!.id, 'b7');
  assert.equal(ranked[0]!.range.start.line, 10);
});

test('node:test, ES module: the same from a .mjs function and its tests', async () => {
  const { byTest } = await spectraOf(cwd, 'grades.mjs', 'grade', ['grades.test.mjs']);
  assert.deepEqual(outcomesAndBlocks(byTest), {
    'grades.test.mjs::a high score': ['passed', 'b1,b2,b3,b4'],
    'grades.test.mjs::a middle score': ['passed', 'b1,b2,b3,b4'],
    'grades.test.mjs::a boundary score gets the higher grade': ['failed', 'b1,b2,b3,b4'],
    'grades.test.mjs::a low score fails': ['passed', 'b1,b2,b3,b5'],
  });
});

test('an endless loop in the function fails its test at the block budget, at the same place on every run; the other tests go on', async () => {
  const stops = [];
  for (let i = 0; i < 2; i++) {
    const { target, byTest } = await spectraOf(cwd, 'clamp.js', 'spin', ['spin.test.js'], { maxBlocksPerTest: 20_001 });
    const odd = byTest['spin.test.js::spin odd']!;
    assert.equal(odd.outcome, 'failed');
    assert.equal(odd.timedOut, true);
    assert.match(odd.message ?? '', /Ducktrace stopped this test: it ran more than 20001 blocks/);
    assert.equal(byTest['spin.test.js::spin even']!.outcome, 'passed', 'a test within the budget is untouched');
    stops.push([odd.hits, odd.lastBlock, odd.raisedBlock]);
    const ranked = rankSuspiciousBlocks(target.blocks.blocks, Object.values(byTest)).blocks;
    assert.ok(['b1', 'b2'].includes(ranked[0]!.id), `the loop leads, not ${ranked[0]!.id}`);
    assert.match(ranked.find((b) => b.id === odd.raisedBlock)!.reason, /timed out here/);
  }
  assert.deepEqual(stops[0], stops[1], 'the same stop on both runs');
});

test('a crash is placed in its block by the stack frame column (two blocks share the line)', async () => {
  const { target, byTest } = await spectraOf(cwd, 'clamp.js', 'firstName', ['clamp.test.js']);
  const names = byTest['clamp.test.js::first names']!;
  assert.equal(names.outcome, 'failed');
  assert.match(names.message ?? '', /reading 'first'/);
  const b2 = target.blocks.blocks.find((b) => b.id === 'b2')!;
  const b3 = target.blocks.blocks.find((b) => b.id === 'b3')!;
  assert.equal(b2.range.start.line, b3.range.start.line, 'the for-of header and its body share line 24');
  assert.equal(names.raisedBlock, 'b3', 'the push in the loop body, not the header');
});

test('TypeScript under node\'s runner through tsx (which turns source maps on itself): a crash is placed by its column too', async () => {
  // tsx from the npm registry through the fixture cache: a failed install fails this test.
  const dir = fixtureProject(fixturePath('spectra', 'ts'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { target, byTest } = await spectraOf(dir, 'picks.ts', 'sumSmall', ['picks.test.ts']);
  const big = byTest['picks.test.ts::a big number']!;
  assert.equal(big.outcome, 'failed');
  assert.match(big.message ?? '', /reading 'add'/);
  const raised = target.blocks.blocks.find((b) => b.id === big.raisedBlock);
  assert.equal(raised?.range.start.line, 3, 'the line of the loop, its condition and both branches');
  assert.match(target.source.split('\n')[2]!.slice(raised!.range.start.character, raised!.range.end.character), /big\.add/, 'the branch that threw, not the condition before it');
});

test('a test that hangs outside the function: the run stops at the per-test limit, the tests before it still count', async () => {
  // spin.test.js loops forever in spin(3), which is not the target here.
  const { run, byTest } = await spectraOf(cwd, 'clamp.js', 'clampSum', ['clamp.test.js', 'spin.test.js'], { testTimeoutSeconds: 2 });
  assert.equal(byTest['clamp.test.js::limits::over::over limit']?.outcome, 'failed');
  assert.equal(byTest['clamp.test.js::small']?.outcome, 'passed');
  assert.equal(byTest['spin.test.js::spin even']?.outcome, 'passed', 'recorded by its afterEach hook');
  assert.equal(byTest['spin.test.js::spin odd'], undefined, 'the test that never ended');
  assert.match((run.problems ?? []).join('\n'), /ran past 2 s outside the function/);
});

test('test selection: the test files that mention the module or the function', async () => {
  const rel = async (file: string, fn: string) => (await jsTestFilesReaching(cwd, file, fn)).map((f) => relative(cwd, f));
  assert.deepEqual(await rel('clamp.js', 'clampSum'), ['clamp.test.js', 'spin.test.js']);
  assert.deepEqual(await rel('grades.mjs', 'grade'), ['grades.test.mjs']);
  assert.deepEqual(await rel('nothing.js', 'nowhere'), []);
});

test('a traced run: the stack trace of an exception in the instrumented function points at the user line and column', async () => {
  const testId = 'clamp.test.js::first names';
  const plain = await runJavaScriptTestUntraced({ cwd, test: testId });
  const target = await resolveTarget(cwd, { file: 'clamp.js', function: 'firstName' }, {}, parser);
  const traced = await traceJavaScriptTest(target, { cwd, test: testId });
  const position = (text: string) => /firstName \(.*clamp\.js:(\d+:\d+)\)/.exec(text)?.[1];
  assert.equal(position(plain.stdout), '24:45', plain.stdout);
  assert.equal(position(traced.stdout), '24:45', traced.stdout);
});

// jest and vitest, on the tracer's fixture projects (their runners installed through the cache).

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(name: string): string {
  const dir = fixtureProject(fixturePath('trace', name));
  made.push(dir);
  return dir;
}


const runners: [string, string, string, string, Record<string, [string, string]>][] = [
  [
    'jest-cjs',
    'inventory.js',
    'restock',
    'inventory.test.js',
    {
      'inventory.test.js::restock::orders items at or below the threshold': ['failed', 'b1,b2,b3,b4,b5'],
      'inventory.test.js::restock::orders nothing when stocked': ['passed', 'b1,b2,b3,b5'],
      'inventory.test.js::negative counts throw': ['passed', ''],
    },
  ],
  [
    'jest-ts',
    'prices.ts',
    'orderTotal',
    'prices.test.ts',
    {
      'prices.test.ts::orderTotal::applies the discount once': ['failed', 'b1,b2,b3,b4'],
      'prices.test.ts::orderTotal::is zero for no lines': ['passed', 'b1,b2,b4'],
    },
  ],
  [
    'vitest-esm',
    'grades.js',
    'grade',
    'grades.test.js',
    {
      'grades.test.js::grade::a boundary score gets the higher grade': ['failed', 'b1,b2,b3,b4,b5'],
      'grades.test.js::grade::a low score fails': ['passed', 'b1,b2,b3,b5,b6'],
      'grades.test.js::mean of nothing throws': ['passed', ''],
    },
  ],
  [
    'vitest-ts',
    'queue.ts',
    'Queue.take',
    'queue.test.ts',
    {
      'queue.test.ts::take returns the oldest item': ['failed', 'b1,b3'],
      'queue.test.ts::take of an empty queue': ['passed', 'b1,b2'],
    },
  ],
];

for (const [name, file, fn, testFile, expected] of runners) {
  test(`${name}: per test its outcome and blocks, under the project's own runner; the project is byte-identical afterwards`, async () => {
    const dir = project(name);
    const before = projectFileHashes(dir);
    const { run, byTest } = await spectraOf(dir, file, fn, [testFile]);
    assert.deepEqual(outcomesAndBlocks(byTest), expected, run.stdout + run.stderr + (run.problems ?? []).join('\n'));
    assert.deepEqual(projectFileHashes(dir), before);
  });
}
