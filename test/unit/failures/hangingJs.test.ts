// JavaScript tests that never finish, under node:test, jest 29, jest 22, vitest 4 and 1.6 (fixtures in
// test/fixtures/runners/hanging/, runners from the npm registry through the fixture cache): a test
// that loops forever and one that waits for ever come out as timeout failures at their test's
// line, every other test of the same files still reports, and the per-test timeout given is the
// one used (jest 22, which refuses --testTimeout, keeps its own 5 s default and still runs).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runFolder } from '../../../src/host/runners/testService';
import type { Framework, TestCaseResult } from '../../../src/core/failures/testFailure';
import { fixtureProject } from '../../support/fixtureDeps';
import { repoRoot, runnersDir } from '../support/runnerCaptures';

const fixturePath = (...parts: string[]) => join(runnersDir, ...parts.slice(1));

const helpersDir = join(repoRoot, 'dist');

function outcomes(results: readonly TestCaseResult[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of results) out[[...r.suitePath, r.name].join(' > ')] = r.failure?.timedOut ? `timeout@${r.line}` : r.outcome;
  return out;
}

async function runHanging(fixture: string, framework: Framework, install: boolean): Promise<{ results: TestCaseResult[]; problems: string[] }> {
  const dir = fixtureProject(fixturePath('runners', 'hanging', fixture), { install });
  try {
    const { reports } = await runFolder(dir, framework, { helpersDir, python: 'python3', testTimeoutMs: 2000 });
    const results = reports.flatMap((r) => r.results).map((r) => ({ ...r, file: r.file.replace(dir, '<dir>') }));
    return { results, problems: reports.flatMap((r) => r.problems) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const expected = (loopLine: number, waitLine: number, suite: string): Record<string, string> => ({
  'even counts down': 'passed',
  'wrong count': 'failed',
  [`${suite}loops forever`]: `timeout@${loopLine}`,
  'runs after the loop': 'passed',
  'waits for ever': `timeout@${waitLine}`,
  'waits a little': 'passed',
});

test('node:test: the endless loop and the endless wait are timeouts at their lines; the other tests of their files report', { timeout: 300_000 }, async () => {
  const { results, problems } = await runHanging('node', 'node', false);
  assert.deepEqual(problems, []);
  assert.deepEqual(outcomes(results), {
    'even counts down': 'passed',
    'wrong count': 'failed',
    'odd loops forever': 'timeout@13',
    'runs after the loop': 'passed',
    'waits for ever': 'timeout@5',
    'waits a little': 'passed',
  });
  const loop = results.find((r) => r.name === 'odd loops forever')!;
  assert.match(loop.failure!.message, /^Timeout: the test did not finish within 2 s/);
  assert.equal(loop.file, '<dir>/test/spin.test.js');
});

for (const [fixture, framework, waitMessage] of [
  ['jest', 'jest', /Exceeded timeout of 2000 ms/],
  ['jest22', 'jest', /Timeout - Async callback was not invoked within the 5000ms timeout/],
  ['vitest', 'vitest', /Test timed out in 2000ms/],
  ['vitest1', 'vitest', /Test timed out in 2000ms/],
] as const) {
  test(`${fixture}: the endless loop is a timeout at its line, the endless wait is the runner's own timeout, the rest report`, { timeout: 300_000 }, async () => {
    const { results, problems } = await runHanging(fixture, framework, true);
    assert.deepEqual(problems, [], 'no run-level trouble (jest 22 refuses flags it does not know)');
    assert.deepEqual(outcomes(results), expected(12 + (framework === 'vitest' ? 1 : 0), 3 + (framework === 'vitest' ? 1 : 0), 'odd numbers > '));
    assert.match(results.find((r) => r.name === 'waits for ever')!.failure!.message, waitMessage);
    const wrong = results.find((r) => r.name === 'wrong count')!.failure!;
    assert.deepEqual([wrong.expected, wrong.actual], ['2', '1'], 'expected and actual, also from jest 22\'s message');
  });
}

test('`ducktrace failures --timeout 2` lists the hung node:test tests as failures with their location', { timeout: 300_000 }, () => {
  const dir = fixtureProject(fixturePath('runners', 'hanging', 'node'), { install: false });
  try {
    const run = spawnSync(process.execPath, [join(helpersDir, 'cli.js'), 'failures', '--cwd', dir, '--json', '--timeout', '2'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const failures = JSON.parse(run.stdout) as { name: string; line: number; timedOut?: boolean; message: string }[];
    assert.deepEqual(failures.map((f) => [f.name, f.line, f.timedOut ?? false]).sort(), [['odd loops forever', 13, true], ['waits for ever', 5, true], ['wrong count', 9, false]]);
    assert.doesNotMatch(run.stderr, /did not finish within/, 'no run-level complaint: the hung tests are results');
    assert.ok(failures.every((f) => !/within (20|45) s/.test(f.message)), 'the timeout given is the one named');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
