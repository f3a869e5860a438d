// The pytest adapter against real pytest runs in a temporary project (python3 with pytest).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFolder } from '../../../src/host/runners/testService';
import { failuresOf } from '../../../src/core/failures/testFailure';
import { repoRoot } from '../support/runnerCaptures';

const helpersDir = join(repoRoot, 'dist');

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-pytest-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('a test stuck where Python cannot interrupt it is killed with its process tree; the rest still run', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(join(helpersDir, 'ducktrace_pytest.py')), 'npm run build first');
  const dir = project({
    'pytest.ini': '[pytest]\n',
    // With SIGALRM blocked the plugin's timeout never fires (as on Windows, or in C code that
    // does not check for signals): only the watchdog can stop it.
    'test_hang.py': [
      'import signal',
      'def test_first():',
      '    assert 1 + 1 == 3',
      'def test_stuck_in_c():',
      '    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})',
      '    while True:',
      '        pass',
      'def test_python_loop():',
      '    while True:',
      '        pass',
      'def test_after():',
      '    assert True',
      '',
    ].join('\n'),
  });
  try {
    const started = Date.now();
    const { projects, reports } = await runFolder(dir, 'auto', { helpersDir, python: 'python3', testTimeoutMs: 1000 });
    assert.deepEqual(projects.map((p) => p.framework), ['pytest']);
    const report = reports[0];
    const outcome = (name: string) => report.results.find((r) => r.name === name)?.outcome;
    assert.equal(outcome('test_first'), 'failed');
    assert.equal(outcome('test_stuck_in_c'), 'failed');
    assert.equal(outcome('test_python_loop'), 'failed');
    assert.equal(outcome('test_after'), 'passed', 'the tests after the hung one ran');
    assert.equal(report.timedOut, true);
    const stuck = failuresOf(report).find((f) => f.name === 'test_stuck_in_c');
    assert.match(stuck?.message ?? '', /did not finish within 1 s; Ducktrace killed its process tree/);
    const loop = failuresOf(report).find((f) => f.name === 'test_python_loop');
    assert.match(loop?.message ?? '', /^Timeout/);
    assert.deepEqual(loop?.stack[0], { file: join(dir, 'test_hang.py'), line: 9, function: 'test_python_loop' });
    assert.ok(Date.now() - started < 30_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no interpreter: a clear problem, no results, no crash', async () => {
  const dir = project({ 'test_x.py': 'def test_x():\n    pass\n' });
  try {
    const { reports } = await runFolder(dir, 'pytest', { helpersDir, python: '/nonexistent/python', testTimeoutMs: 5000 });
    assert.equal(reports[0].results.length, 0);
    assert.match(reports[0].problems.join('\n'), /Python interpreter not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sample workspace: pytest and node --test side by side', { timeout: 60_000 }, async () => {
  const { reports } = await runFolder(join(repoRoot, 'test/fixtures/workspace'), 'auto', { helpersDir, python: 'python3', testTimeoutMs: 10_000 });
  assert.deepEqual(reports.map((r) => r.framework), ['pytest', 'node']);
  assert.deepEqual(reports.flatMap((r) => failuresOf(r).map((f) => f.name)), ['test_ten_percent_off', 'mean of three numbers']);
  assert.deepEqual(reports.map((r) => r.problems), [[], []]);
});
