// Traced and coverage runs see the environment a plain run sees (issue 19). A command-line tool's
// colour and CI tests (test/fixtures/runners/plain/) pass in a plain run; under `trace` (the traced
// run) and `localize` (the coverage run, then the traced runs for the value evidence) the
// functions they test must return the same, and the tests must pass: Ducktrace adds no NO_COLOR,
// FORCE_COLOR or CI. node:test, jest and vitest; pytest with its own fixture.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { localize } from '../../src/host/localize/localize';
import { tracePythonTest } from '../../src/host/tracers/pythonTracer';
import { traceJavaScriptTest } from '../../src/host/tracers/jsTracer';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import type { JsRunner } from '../../src/host/tracers/js/jsPlan';
import { fixtureProject } from '../support/fixtureDeps';
import { parser } from './support/fixtures';
import { runnersDir } from './support/runnerCaptures';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The user's environment as a plain terminal without colour or CI settings has it. */
function plainEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'PY_COLORS', 'PYTHONUNBUFFERED', 'PYTHONDONTWRITEBYTECODE']) delete env[name];
  return env;
}

/** Runs fn with the process's own environment plain (what the runner children inherit). */
async function inPlainEnvironment<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (!(name in plainEnvironment())) delete process.env[name];
  try {
    return await fn();
  } finally {
    Object.assign(process.env, saved);
  }
}

const cases: { fixture: string; runner: JsRunner; testFile: string; source: string }[] = [
  { fixture: 'node', runner: 'node', testFile: 'test/colour.test.js', source: 'terminal.js' },
  { fixture: 'jest', runner: 'jest', testFile: 'colour.test.js', source: 'terminal.js' },
  { fixture: 'vitest', runner: 'vitest', testFile: 'colour.test.js', source: 'terminal.js' },
];

for (const { fixture, runner, testFile, source } of cases) {
  test(`${fixture}: under trace, the colour and CI functions see what a plain run sees (no NO_COLOR, FORCE_COLOR, CI)`, { timeout: 300_000 }, async () => {
    const dir = fixtureProject(join(runnersDir, 'plain', fixture), { install: runner !== 'node' });
    made.push(dir);
    for (const [fn, name] of [['useColour', 'colours are on when nothing turns them off'], ['interactive', 'prompts are interactive outside CI']] as const) {
      const target = await resolveTarget(dir, { file: source, function: fn }, {}, parser);
      const run = await inPlainEnvironment(() => traceJavaScriptTest(target, { cwd: dir, test: `${testFile}::${name}`, framework: runner, env: plainEnvironment(), parser }));
      assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
      assert.deepEqual(run.trace.calls[0]!.returned, { type: 'boolean', text: 'true' }, `${fn} under trace`);
      assert.equal(run.exitCode, 0, `the test passes traced: ${run.stdout}${run.stderr}`);
      assert.doesNotMatch(run.stdout + run.stderr, /\x1b\[/, 'no colour codes in the output shown');
    }
  });

  test(`${fixture}: under localize, the colour and CI tests pass as in a plain run`, { timeout: 300_000 }, async () => {
    const dir = fixtureProject(join(runnersDir, 'plain', fixture), { install: runner !== 'node' });
    made.push(dir);
    for (const fn of ['useColour', 'interactive']) {
      const result = await inPlainEnvironment(() => localize({ cwd: dir, target: { file: source, function: fn }, testFiles: [testFile], framework: runner, env: plainEnvironment(), testTimeoutSeconds: 30, parser }));
      const outcomes = result.run.spectra.map((s) => s.outcome);
      assert.ok(outcomes.length >= 2, JSON.stringify(result.run.problems) + result.run.stdout + result.run.stderr);
      assert.deepEqual([...new Set(outcomes)], ['passed'], `${fn}: ${JSON.stringify(result.run.spectra.map((s) => [s.testId, s.outcome, s.message]))}`);
    }
  });
}

test('pytest: under trace, the test sees no PYTHONUNBUFFERED or PYTHONDONTWRITEBYTECODE', { timeout: 120_000 }, async () => {
  const dir = fixtureProject(join(runnersDir, 'plain', 'pytest'), { install: false });
  made.push(dir);
  const target = await resolveTarget(dir, { file: 'terminal.py', function: 'buffered' }, {}, parser);
  const run = await inPlainEnvironment(() => tracePythonTest(target, { cwd: dir, test: 'test_terminal.py::test_output_is_buffered_as_usual', env: plainEnvironment() }));
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  assert.deepEqual(run.trace.calls[0]!.returned, { type: 'bool', text: 'True' });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
});

test('pytest: under localize, the test that checks buffering passes as in a plain run', { timeout: 120_000 }, async () => {
  const dir = fixtureProject(join(runnersDir, 'plain', 'pytest'), { install: false });
  made.push(dir);
  const result = await inPlainEnvironment(() => localize({ cwd: dir, target: { file: 'terminal.py', function: 'buffered' }, testCommand: 'pytest test_terminal.py -k buffered', env: plainEnvironment(), parser }));
  assert.deepEqual(
    result.run.spectra.map((s) => [s.testId.split('::').pop(), s.outcome]),
    [['test_output_is_buffered_as_usual', 'passed']],
    result.run.stdout + result.run.stderr,
  );
});
