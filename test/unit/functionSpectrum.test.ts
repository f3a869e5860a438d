// Ordering the candidates inside one module (issue 19). Seen on a held-out package (entities): the
// bug was five calls below the test, in one module whose functions all ran in the failing test,
// and the function came ninth, so the loop spent eight prompts first. A run of the failing test's
// file with each candidate of the module counting its entries per test (a function spectrum)
// orders them: what the failing tests run and the passing ones rarely do comes first; between equal
// scores, what the failing tests entered last.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { rankWithinModule, type FunctionSpectrumTest } from '../../src/core/blocks/functionSpectrum';
import type { TargetCandidate } from '../../src/core/blocks/target';
import { NodeSourceFiles } from '../../src/host/nodeSourceFiles';
import { findTarget } from '../../src/host/tracers/findTarget';
import { functionSpectrumRun } from '../../src/host/tracers/functionSpectrumRun';
import { fixturePath, parser } from './support/fixtures';

const c = (file: string, name: string, line: number): TargetCandidate => ({
  file,
  language: 'javascript',
  functionName: name,
  range: { start: { line, character: 0 }, end: { line: line + 2, character: 0 } },
  reason: 'reached-from-test',
  evidenceLine: 3,
});

const t = (outcome: 'passed' | 'failed', entered: Record<number, [number, number]>): FunctionSpectrumTest => ({ outcome, entered: new Map(Object.entries(entered).map(([k, v]) => [Number(k), v])) });

test('rankWithinModule: Ochiai over the tests of the file, then the one the failing tests entered last; other modules keep their places', () => {
  const candidates = [c('/ws/a.js', 'parse', 1), c('/ws/other.js', 'helper', 1), c('/ws/a.js', 'step', 10), c('/ws/a.js', 'isHex', 20), c('/ws/a.js', 'readEscape', 30), c('/ws/a.js', 'unused', 40)];
  const tests = [
    // Two failing tests: all of parse, step, isHex, readEscape ran; isHex entered last.
    t('failed', { 0: [1, 1], 2: [4, 5], 4: [1, 6], 3: [2, 8] }),
    t('failed', { 0: [1, 1], 2: [3, 4], 4: [1, 5], 3: [2, 7] }),
    // Passing tests go through parse and step; one of them through readEscape and isHex.
    t('passed', { 0: [1, 1], 2: [2, 2] }),
    t('passed', { 0: [1, 1], 2: [2, 2] }),
    t('passed', { 0: [1, 1], 2: [2, 3], 4: [1, 4], 3: [2, 6] }),
  ];
  const { candidates: ranked, scores } = rankWithinModule(candidates, '/ws/a.js', tests);
  assert.deepEqual(
    ranked.map((x) => x.functionName),
    // parse and step score the same (both in every test): step was entered later.
    ['isHex', 'helper', 'readEscape', 'step', 'parse', 'unused'],
  );
  assert.deepEqual(scores.get(3), { failed: 2, passed: 1, score: 2 / Math.sqrt(2 * 3), lastPlace: 0 });
  assert.equal(scores.get(5)!.score, 0);
  // The module's first candidate, called by the test and run by every failing test, keeps its lead
  // (a branch of it only failing tests take would look like its callees' fault); run by only some,
  // it does not. Only the first: step, called by the test too, is ordered with the rest.
  const called = candidates.map((x) => (x.functionName === 'parse' || x.functionName === 'step' ? { ...x, reason: 'called-by-test' as const } : x));
  assert.deepEqual(rankWithinModule(called, '/ws/a.js', tests).candidates.map((x) => x.functionName), ['parse', 'helper', 'isHex', 'readEscape', 'step', 'unused']);
  const someFailing = [...tests, t('failed', { 2: [1, 1] })];
  assert.equal(rankWithinModule(called, '/ws/a.js', someFailing).candidates[0]!.functionName, 'step');
  // A run whose failing tests entered none of them says nothing: the order stands.
  assert.deepEqual(rankWithinModule(candidates, '/ws/a.js', [t('failed', {}), tests[2]!]).candidates, candidates);
});

test('node:test: a bug five calls deep among many helpers of one module comes right after the finder\'s first choice', { timeout: 120_000 }, async () => {
  const root = fixturePath('targets', 'deep-query');
  const file = join(root, 'test/query.test.js');
  const request = { failure: { file, line: 35 }, roots: [root], files: new NodeSourceFiles(), parser };
  const found = await findTarget({ ...request, run: { cwd: root, test: 'test/query.test.js::a colon as %3A' } });
  assert.equal(found.runProblem, undefined);
  assert.equal(found.orderedWithin, join(root, 'lib/query.js'));
  // The finder's first choice (what parseQuery hands its work to), which every failing test ran,
  // keeps its lead; the bug comes next (it came after ten helpers before).
  assert.equal(found.candidates[1]?.functionName, 'isHexLetter', found.candidates.map((x) => x.functionName).join(', '));
  assert.equal(found.candidates[0]?.functionName, 'QueryParser.end');
  // Without the runs (an untrusted workspace) the finder's own order stands, and it does not even reach the bug.
  const unsure = await findTarget(request);
  assert.ok(unsure.candidates.length > 4 && !unsure.candidates.some((x) => x.functionName === 'isHexLetter'), unsure.candidates.map((x) => x.functionName).join(', '));
});

test('functionSpectrumRun: per test of the file, which candidates it entered; tests that share a title are left out', { timeout: 120_000 }, async () => {
  const root = fixturePath('targets', 'deep-query');
  const found = await findTarget({ failure: { file: join(root, 'test/query.test.js'), line: 35 }, roots: [root], files: new NodeSourceFiles(), parser, run: { cwd: root, test: 'test/query.test.js::a colon as %3A' } });
  const functions = found.candidates.filter((x) => x.file.endsWith('query.js'));
  const run = await functionSpectrumRun({ cwd: root, testFile: join(root, 'test/query.test.js'), functions, parser });
  assert.equal(run.problem, undefined);
  assert.deepEqual(
    run.tests.map((x) => x.outcome),
    ['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'failed', 'failed', 'failed'],
  );
  const isHexLetter = functions.findIndex((f) => f.functionName === 'isHexLetter');
  assert.ok(isHexLetter >= 0, functions.map((f) => f.functionName).join(', '));
  assert.deepEqual(
    run.tests.map((x) => x.entered.has(isHexLetter)),
    [false, false, false, true, true, false, false, true, true, true],
  );
});
