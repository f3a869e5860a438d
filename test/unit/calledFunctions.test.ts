// Which workspace functions ran in a failing test (Python: the call census; JavaScript: V8's
// coverage), and how a run settles a target the code alone leaves unsure.

import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { rankByRun, type TargetCandidate, type TargetSearch } from '../../src/core/blocks/targetFinder';
import { NodeSourceFiles } from '../../src/host/nodeSourceFiles';
import { calledFunctions } from '../../src/host/tracers/calledFunctions';
import { findTarget } from '../../src/host/tracers/findTarget';
import { fixtureProject } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const pytestArgsFast = { env: { PYTEST_ADDOPTS: '-p no:hypothesispytest' } };

test('Python: the functions the test ran, the latest called first, with their calls; the fixture and the test are there too', async () => {
  const root = fixturePath('targets', 'python-ledger');
  const run = await calledFunctions({ cwd: root, test: 'tests/test_ledger.py::test_balance', roots: [root], ...pytestArgsFast });
  assert.equal(run.exitCode, 1, 'the test fails, as it does untraced');
  const ran = run.functions.map((f) => `${relative(root, f.file)}:${f.name}×${f.calls}`);
  // By their latest call: the test function was called before what it calls.
  assert.deepEqual(ran, ['ledger/accounts.py:Ledger.balance×1', 'ledger/rates.py:convert×2', 'ledger/accounts.py:Ledger.deposit×2', 'tests/test_ledger.py:test_balance×1', 'ledger/accounts.py:Ledger.__init__×1', 'tests/conftest.py:ledger×1']);
  assert.equal(run.functions[0].target.functionName, 'Ledger.balance');
  assert.equal(run.functions[0].target.range.start.line, 12);
});

test('JavaScript (node:test): V8 counts the calls, no instrumentation', async () => {
  const root = fixturePath('targets', 'cli-parser');
  const run = await calledFunctions({ cwd: root, test: 'test/parse.test.js::a group of short flags', roots: [root] });
  const ran = new Map(run.functions.map((f) => [`${relative(root, f.file)}:${f.name}`, f.calls]));
  assert.equal(ran.get('lib/parser.js:Parser.parse'), 1, JSON.stringify([...ran]));
  assert.equal(ran.get('lib/parser.js:Parser.constructor'), 1);
  assert.equal(ran.get('lib/names.js:camelCase'), undefined, 'only long flags are camel-cased');
});

test('JavaScript under jest (ts-jest) and vitest (forks, whose workers end by SIGTERM): the same census', async () => {
  for (const [name, testId, expected] of [
    ['jest-ts', 'prices.test.ts', 'prices.ts:orderTotal×2'],
    ['vitest-esm', 'grades.test.js', 'grades.js:grade×2 grades.js:mean×1'],
  ] as const) {
    const dir = fixtureProject(fixturePath('trace', name));
    made.push(dir);
    const run = await calledFunctions({ cwd: dir, test: testId, roots: [dir] });
    assert.equal(run.functions.map((f) => `${relative(dir, f.file)}:${f.name}×${f.calls}`).join(' '), expected, name);
  }
});

for (const [language, project, testId, line] of [
  ['JavaScript', 'factory-js', 'test/area.test.js::circle area', 7],
  ['Python', 'factory-py', 'tests/test_area.py::test_circle_area', 8],
] as const) {
  test(`${language}: a method reached through a factory matches two classes by name; the run says which ran`, async () => {
    const root = fixturePath('targets', project);
    const file = join(root, testId.split('::')[0]);
    const request = { failure: { file, line }, roots: [root], files: new NodeSourceFiles(), parser };
    const unsure = await findTarget(request);
    assert.equal(unsure.confidence, 'low');
    assert.deepEqual(unsure.candidates.slice(0, 2).map((c) => c.functionName), ['Circle.area', 'Square.area']);
    const settled = await findTarget({ ...request, run: { cwd: root, test: testId, ...pytestArgsFast } });
    assert.equal(settled.runProblem, undefined);
    assert.equal(settled.candidates[0].functionName, 'Circle.area');
    assert.equal(settled.candidates.at(-1)?.functionName, 'Square.area', 'what did not run goes last');
    assert.equal(settled.confidence, 'medium');
  });
}

test('rankByRun: what ran first (in the finder\'s order), then what ran unseen, then what did not run; a stack-frame answer stands', () => {
  const c = (name: string, line: number, reason: TargetCandidate['reason'] = 'called-by-test', evidenceLine = 9): TargetCandidate => ({
    file: '/ws/a.js',
    language: 'javascript',
    functionName: name,
    range: { start: { line, character: 0 }, end: { line: line + 2, character: 0 } },
    reason,
    evidenceLine,
  });
  const search: TargetSearch = { candidates: [c('a', 1), c('b', 10), c('c', 20, 'reached-from-test')], confidence: 'low' };
  const ran = [
    { file: '/ws/a.js', line: 10, name: 'b', calls: 1, lastOrder: 3 },
    { file: '/ws/a.js', line: 20, name: 'c', calls: 2, lastOrder: 5 },
    { file: '/ws/a.js', line: 30, name: 'd', calls: 1, lastOrder: 9 },
  ];
  const target = (r: { line: number; name: string }) => c(r.name, r.line);
  const ranked = rankByRun(search, ran, target);
  assert.deepEqual(ranked.candidates.map((x) => `${x.functionName}:${x.reason}`), ['b:called-by-test', 'c:reached-from-test', 'd:ran-in-test', 'a:called-by-test']);
  assert.equal(ranked.confidence, 'medium');
  // Two functions of the failing statement ran: still unsure.
  const both = rankByRun(search, [...ran, { file: '/ws/a.js', line: 1, name: 'a', calls: 1, lastOrder: 1 }], target);
  assert.equal(both.confidence, 'low');
  const high: TargetSearch = { candidates: [c('a', 1, 'stack-frame')], confidence: 'high' };
  assert.equal(rankByRun(high, ran, target), high);
});

// Seen on a real package: the test was not selected (a node subtest whose parent was skipped), so
// the run saw only a constructor called at module load; that function went first and cost a prompt.
test('rankByRun: a run in which nothing the test calls ran (only module-load code) changes nothing', () => {
  const c = (name: string, line: number, reason: TargetCandidate['reason']): TargetCandidate => ({ file: '/ws/index.js', language: 'javascript', functionName: name, range: { start: { line, character: 0 }, end: { line: line + 2, character: 0 } }, reason, evidenceLine: 9 });
  const search: TargetSearch = { candidates: [c('parse', 40, 'called-by-test'), c('NullObject', 3, 'reached-from-test')], confidence: 'low' };
  const loadOnly = [{ file: '/ws/index.js', line: 3, name: 'NullObject', calls: 1, lastOrder: 0 }];
  assert.equal(rankByRun(search, loadOnly, (r) => c(r.name, r.line, 'ran-in-test')), search);
});

// Seen on a real package whose test file did not load (a data file missing from the tarball): the
// run saw what loading the modules ran, and the loop asked the model about a constructor.
test('a test file that did not load (no line, no frame): no run is made and nothing is blamed', async () => {
  const root = fixturePath('targets', 'cli-parser');
  const found = await findTarget({ failure: { file: join(root, 'test/parse.test.js'), line: 0, stack: [] }, roots: [root], files: new NodeSourceFiles(), parser, run: { cwd: root, test: 'test/parse.test.js' } });
  assert.deepEqual(found.candidates, []);
  assert.equal(found.ran, undefined, 'no run was made');
});
