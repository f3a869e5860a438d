// The coverage tracer on a fixture project: one pytest run gives, per test, the blocks of the
// target it ran, its outcome, an endless loop ended by the per-test timeout, and a test that never
// reached the target; sys.settrace on 3.11 and sys.monitoring on 3.12/3.13 where pyenv has them.
// Also the test selection (files mentioning the function) and the pytest command parsing.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { rankSuspiciousBlocks } from '../../src/core/localize/suspicion';
import { parsePytestCommand, pythonTestFilesReaching, runPythonSpectra, splitCommandLine, type PythonSpectraOptions } from '../../src/host/localize/pythonSpectra';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixturePath, parser } from './support/fixtures';

const cwd = fixturePath('spectra', 'python');
const fast = ['-p', 'no:hypothesispytest'];

async function spectraOf(fn: string, options: Partial<PythonSpectraOptions> = {}) {
  const target = await resolveTarget(cwd, { file: 'clamp.py', function: fn }, {}, parser);
  const run = await runPythonSpectra(target, { cwd, pytestArgs: [...fast, 'test_clamp.py'], testTimeoutSeconds: 1, timeoutMs: 60_000, ...options });
  return { target, run };
}

async function checkClamp(options: Partial<PythonSpectraOptions> = {}) {
  const { target, run } = await spectraOf('clamp_sum', options);
  const byTest = Object.fromEntries(run.spectra.map((s) => [s.testId.replace('test_clamp.py::', ''), s]));
  assert.deepEqual(Object.keys(byTest), ['test_small', 'test_negatives_skipped', 'test_over_limit', 'test_unrelated', 'test_spin_even', 'test_spin_odd'], run.stdout + run.stderr);
  assert.deepEqual(
    Object.fromEntries(Object.entries(byTest).map(([k, s]) => [k, [s.outcome, s.blocks.join(',')]])),
    {
      test_small: ['passed', 'b1,b2,b3,b5,b6,b8'],
      test_negatives_skipped: ['passed', 'b1,b2,b3,b4,b5,b6,b8'],
      test_over_limit: ['failed', 'b1,b2,b3,b5,b6,b7,b8'],
      test_unrelated: ['passed', ''],
      test_spin_even: ['passed', ''],
      test_spin_odd: ['failed', ''],
    },
  );
  assert.equal(byTest.test_over_limit!.lastBlock, 'b8');
  assert.deepEqual(byTest.test_over_limit!.hits, { b1: 1, b2: 3, b3: 2, b5: 2, b6: 1, b7: 1, b8: 1 });
  const ranked = rankSuspiciousBlocks(target.blocks.blocks, run.spectra).blocks;
  assert.equal(ranked[0]!.id, 'b7', 'the block only the failing test ran');
  assert.equal(ranked[0]!.range.start.line, 8);
}

test('per test: outcome and blocks of the target it ran, in one pytest run (sys.settrace on 3.11)', async () => {
  await checkClamp();
});

test('an endless loop fails its test at the per-test timeout, the run goes on, and the loop is blamed', async () => {
  const { target, run } = await spectraOf('spin');
  const odd = run.spectra.find((s) => s.testId.endsWith('test_spin_odd'))!;
  assert.equal(odd.outcome, 'failed');
  assert.equal(odd.timedOut, true);
  assert.match(odd.message ?? '', /DucktraceTimeout/);
  assert.ok(odd.raisedBlock === 'b1' || odd.raisedBlock === 'b2', `raised in the loop, not ${odd.raisedBlock}`);
  assert.ok((odd.hits?.b2 ?? 0) > 1000);
  assert.equal(run.spectra.length, 6, 'the tests after it still ran');
  const ranked = rankSuspiciousBlocks(target.blocks.blocks, run.spectra).blocks;
  // Where the alarm hit is a toss-up between the loop's blocks: one of them leads, and the hover says where it stopped.
  assert.ok(['b1', 'b2'].includes(ranked[0]!.id), `the loop leads, not ${ranked[0]!.id}`);
  assert.match(ranked.find((b) => b.id === odd.raisedBlock)!.reason, /timed out here/);
});

test('an endless loop stops at the line budget: at the same place on every run, before the wall-clock timeout', async () => {
  const stops = [];
  for (let i = 0; i < 2; i++) {
    const { run } = await spectraOf('spin', { maxLines: 5_001, testTimeoutSeconds: 30 });
    const odd = run.spectra.find((s) => s.testId.endsWith('test_spin_odd'))!;
    assert.equal(odd.outcome, 'failed');
    assert.equal(odd.timedOut, true, 'a runaway, like a timeout');
    assert.match(odd.message ?? '', /ran more than 5001 lines of the target/);
    const lines = Object.values(odd.hits ?? {}).reduce((a, b) => a + b, 0);
    stops.push([lines, odd.lastBlock, odd.raisedBlock]);
    assert.equal(run.spectra.find((s) => s.testId.endsWith('test_spin_even'))!.outcome, 'passed', 'a test within the budget is untouched');
  }
  assert.deepEqual(stops[0], stops[1], 'the same stop on both runs');
});

const pytestSitePackages = spawnSync('python3', ['-c', 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))'], { encoding: 'utf8' }).stdout.trim();
for (const version of ['3.12.1', '3.13.0']) {
  const python = `/root/.pyenv/versions/${version}/bin/python`;
  test(`the same spectra through sys.monitoring on Python ${version}`, { skip: existsSync(python) && pytestSitePackages ? false : `no Python ${version}` }, async () => {
    // pytest is installed for 3.11 only; its pure-Python packages load on newer versions too.
    await checkClamp({ python, env: { PYTHONPATH: pytestSitePackages } });
  });
}

test('test selection: the test files that mention the module or the function and hold tests', async () => {
  assert.deepEqual(await pythonTestFilesReaching(cwd, 'clamp.py', 'clamp_sum'), ['test_clamp.py']);
  assert.deepEqual(await pythonTestFilesReaching(cwd, 'other.py', 'nothing_here'), []);
});

test('pytest commands: pytest ARGS, python -m pytest ARGS with the interpreter; anything else is refused', () => {
  assert.deepEqual(splitCommandLine(`pytest -k "over limit" 'a b' c\\ d`), ['pytest', '-k', 'over limit', 'a b', 'c d']);
  assert.deepEqual(parsePytestCommand('pytest tests/test_x.py -q'), { pytestArgs: ['tests/test_x.py', '-q'] });
  assert.deepEqual(parsePytestCommand('/usr/bin/python3.12 -m pytest -x'), { python: '/usr/bin/python3.12', pytestArgs: ['-x'] });
  assert.match(String(parsePytestCommand('npm test')), /must run pytest/);
});
