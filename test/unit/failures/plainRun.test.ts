// Tests run as the project runs them. Colour and CI tests of a command-line tool (fixtures in
// test/fixtures/runners/plain/) pass in a plain run, so they pass under Ducktrace too: it adds no
// NO_COLOR, FORCE_COLOR, CI, PY_COLORS or PYTHONUNBUFFERED. And each failure says whether a plain
// run of the project's own command fails it too: a real bug does; a test that fails only under
// Ducktrace's short per-test timeout does not.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { failuresCommand, parseFailuresArgs } from '../../../src/host/cli/failuresCommand';
import { runFolder, type RunOptions } from '../../../src/host/runners/testService';
import type { Framework, TestCaseResult } from '../../../src/core/failures/testFailure';
import { fixtureProject } from '../../support/fixtureDeps';
import { repoRoot, runnersDir } from '../support/runnerCaptures';

const helpersDir = join(repoRoot, 'dist');

/** The user's environment, as a plain terminal without colour or CI settings would have it. */
async function inPlainEnvironment<T>(fn: () => Promise<T>): Promise<T> {
  const names = ['NO_COLOR', 'FORCE_COLOR', 'CI', 'PY_COLORS', 'PYTHONUNBUFFERED', 'PYTHONDONTWRITEBYTECODE'];
  const saved = names.map((n) => [n, process.env[n]] as const);
  for (const n of names) delete process.env[n];
  try {
    return await fn();
  } finally {
    for (const [n, v] of saved) if (v !== undefined) process.env[n] = v;
  }
}

async function run(fixture: string, framework: Framework, options: Partial<RunOptions>): Promise<{ results: TestCaseResult[]; problems: string[] }> {
  const dir = fixtureProject(join(runnersDir, 'plain', fixture), { install: fixture === 'jest' || fixture === 'vitest' });
  try {
    const { reports } = await inPlainEnvironment(() => runFolder(dir, framework, { helpersDir, python: 'python3', testTimeoutMs: 20_000, ...options }));
    return { results: reports.flatMap((r) => r.results), problems: reports.flatMap((r) => r.problems) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const outcome = (results: readonly TestCaseResult[], name: RegExp) => results.find((r) => name.test(r.name))?.outcome;

for (const [fixture, framework] of [['node', 'node'], ['jest', 'jest'], ['vitest', 'vitest'], ['pytest', 'pytest']] as const) {
  test(`${fixture}: colour and CI tests that pass in a plain run pass under Ducktrace`, { timeout: 240_000 }, async () => {
    const { results, problems } = await run(fixture, framework, {});
    assert.deepEqual(problems, []);
    assert.equal(outcome(results, /colou?rs are on|colours_are_on/), 'passed', JSON.stringify(results.find((r) => /colou?r/.test(r.name))?.failure?.message));
    assert.equal(outcome(results, /interactive outside CI|buffered_as_usual/), 'passed');
  });
}

test('pytest: a real bug fails in the plain run too; a test that only outlives Ducktrace\'s per-test timeout passes there', { timeout: 240_000 }, async () => {
  const { results } = await run('pytest', 'pytest', { testTimeoutMs: 1000, plainCheck: true });
  const bug = results.find((r) => r.name === 'test_total_adds_every_value')!.failure!;
  assert.equal(bug.plainRun?.outcome, 'failed');
  assert.match(bug.plainRun!.command, /-m pytest -p no:cacheprovider/);
  assert.doesNotMatch(bug.plainRun!.command, /ducktrace_pytest/, 'no plugin in the plain run');
  const slow = results.find((r) => r.name === 'test_slow_but_fine')!.failure!;
  assert.equal(slow.timedOut, true);
  assert.equal(slow.plainRun?.outcome, 'passed', 'it fails only under Ducktrace: not for the model');
  assert.equal(results.find((r) => r.name === 'test_colours_are_on_when_nothing_turns_them_off')?.failure, undefined, 'passing tests are not rerun');
});

test('jest: the same two verdicts from a plain jest run (its own default timeout, no --testTimeout)', { timeout: 240_000 }, async () => {
  const { results } = await run('jest', 'jest', { testTimeoutMs: 1000, plainCheck: true });
  const bug = results.find((r) => r.name === 'sum adds every value')!.failure!;
  assert.equal(bug.plainRun?.outcome, 'failed');
  assert.doesNotMatch(bug.plainRun!.command, /--testTimeout/);
  const slow = results.find((r) => r.name === 'slow but fine')!.failure!;
  assert.equal(slow.timedOut, true);
  assert.equal(slow.plainRun?.outcome, 'passed');
});

test('`ducktrace failures` checks plainly by default; --no-plain-check turns it off, and the help says so', () => {
  const on = parseFailuresArgs([], '/w');
  const off = parseFailuresArgs(['--no-plain-check', '--timeout', '5'], '/w');
  assert.ok(typeof on === 'object' && typeof off === 'object', `${String(on)} ${String(off)}`);
  assert.equal(on.plainCheck, true);
  assert.equal(off.plainCheck, false);
  assert.equal(off.timeoutSeconds, 5);
  assert.equal(parseFailuresArgs(['--no-plain-check=yes'], '/w'), '--no-plain-check takes no value');
  assert.match(failuresCommand.help, /--no-plain-check +do not rerun the failing tests/);
});
