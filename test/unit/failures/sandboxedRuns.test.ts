// Test runs after a model's change run fenced (src/host/process/sandbox.ts): every start of the
// runner, not only the first. A sandbox given to runFolder also fences the runs that isolate a
// hung test and the `jest --listTests` that finds the project's test files (it loads the
// project's config, i.e. runs its code). The fixtures (test/fixtures/runners/sandboxed/) try to
// write outside the project on every load and log each try inside it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseSandbox } from '../../../src/host/process/sandbox';
import { runFolder } from '../../../src/host/runners/testService';
import type { Framework, TestCaseResult } from '../../../src/core/failures/testFailure';
import { fixtureProject } from '../../support/fixtureDeps';
import { repoRoot, runnersDir } from '../support/runnerCaptures';

const helpersDir = join(repoRoot, 'dist');
const usable = chooseSandbox('auto', []);
const skip = usable.sandbox ? false : `no usable bubblewrap here: ${usable.notice}`;

function outcomes(results: readonly TestCaseResult[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of results) out[r.name] = r.failure?.timedOut ? 'timeout' : r.outcome;
  return out;
}

/** Runs the fixture's tests fenced; what each load of its code logged, and whether it got out. */
async function runFenced(fixture: string, framework: Framework, install: boolean): Promise<{ results: TestCaseResult[]; problems: string[]; loads: string[]; escaped: boolean }> {
  const dir = fixtureProject(join(runnersDir, 'sandboxed', fixture), { install });
  const outside = mkdtempSync(join(repoRoot, 'out', 'sandbox-outside-'));
  const target = join(outside, 'escaped.txt');
  try {
    writeFileSync(join(dir, 'outside-path.txt'), target);
    const sandbox = chooseSandbox('auto', [dir]).sandbox!;
    const { reports } = await runFolder(dir, framework, { helpersDir, python: 'python3', testTimeoutMs: 2000, sandbox });
    const log = join(dir, 'loads.log');
    return {
      results: reports.flatMap((r) => r.results),
      problems: reports.flatMap((r) => r.problems),
      loads: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [],
      escaped: existsSync(target),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
}

test('node:test, fenced: the run stopped by a hung test and the runs after it are all in the sandbox', { skip, timeout: 300_000 }, async () => {
  const { results, problems, loads, escaped } = await runFenced('node', 'node', false);
  assert.deepEqual(problems, []);
  assert.deepEqual(outcomes(results), { adds: 'passed', 'loops forever': 'timeout', 'runs after the loop': 'passed' });
  assert.ok(loads.length >= 2, `the test file was loaded by the stopped run and by the runs after it: ${loads.join(' | ')}`);
  assert.deepEqual([...new Set(loads)], ['spin.test.js EROFS'], 'every load was refused the write outside the project');
  assert.ok(!escaped, 'nothing was written outside the project');
});

test('jest, fenced: `jest --listTests` (which loads the config) runs in the sandbox too, and finds the config\'s files', { skip, timeout: 300_000 }, async () => {
  const { results, problems, loads, escaped } = await runFenced('jest', 'jest', true);
  assert.deepEqual(problems, []);
  assert.deepEqual(outcomes(results), { adds: 'passed', 'wrong sum': 'failed' });
  assert.ok(loads.includes('jest.config.js listTests EROFS'), `the listing loaded the config, fenced: ${loads.join(' | ')}`);
  assert.ok(loads.includes('jest.config.js run EROFS'), `the run loaded the config, fenced: ${loads.join(' | ')}`);
  assert.ok(loads.every((l) => l.endsWith(' EROFS')), `no load wrote outside the project: ${loads.join(' | ')}`);
  assert.ok(!escaped, 'nothing was written outside the project');
});
