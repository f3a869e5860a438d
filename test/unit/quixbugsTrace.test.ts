// Issue 5's done criterion on the 40 QuixBugs programs (read in place from ../shared/bench/quixbugs,
// never copied): for each, find its first failing test (an untraced pytest run with -x), trace
// that test on the function holding the known buggy line, and check that the executed blocks
// include the block holding that line; the programs stay byte-identical, and the endless loops
// come back as truncated traces.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { executedBlockIds, type Trace } from '../../src/core/trace/traceModel';
import { runProcessTree } from '../../src/host/process/processTree';
import { tracePythonTest } from '../../src/host/tracers/pythonTracer';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { parser, repoRoot } from './support/fixtures';

const quixbugs = join(repoRoot, '..', 'shared', 'bench', 'quixbugs');
const bugLinesFile = join(quixbugs, 'bug_lines.json');
const skip = existsSync(bugLinesFile) ? false : `QuixBugs not found at ${quixbugs}`;

function hashPrograms(): Map<string, string> {
  const dir = join(quixbugs, 'python_programs');
  // The programs only: a __pycache__ folder there is Python's, from whoever imported them first.
  return new Map(readdirSync(dir).filter((name) => name.endsWith('.py')).map((name) => [name, createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')]));
}

/** Hypothesis's pytest plugin takes over a second to import; QuixBugs does not use it. */
const pytestArgs = ['-p', 'no:hypothesispytest'];

/**
 * The first failing test of a program, by an untraced `pytest -x` with the bench's own per-test
 * alarm; `endless` when that test ran into the alarm.
 */
async function firstFailingTest(program: string): Promise<{ id: string; endless: boolean } | undefined> {
  const r = await runProcessTree(
    'python3',
    ['-m', 'pytest', ...pytestArgs, '-p', 'pytest_alarm', '--alarm=3', '-p', 'no:cacheprovider', '-p', 'no:xdist', '-q', '-x', '-rf', `python_testcases/test_${program}.py`],
    { cwd: quixbugs, env: { ...process.env, PYTHONPATH: 'tools', PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs: 60_000 },
  );
  const id = /^FAILED (\S+)/m.exec(r.stdout)?.[1];
  return id ? { id, endless: /TestTimeout/.test(r.stdout) } : undefined;
}

interface Outcome {
  readonly program: string;
  readonly testId?: string;
  readonly endless?: boolean;
  readonly trace?: Trace;
  readonly buggyBlocks: string[];
  readonly error?: string;
}

async function traceProgram(program: string, bugLines: readonly number[]): Promise<Outcome> {
  try {
    const failing = await firstFailingTest(program);
    if (!failing) return { program, buggyBlocks: [], error: 'no failing test found' };
    const file = join('python_programs', `${program}.py`);
    const target = await resolveTarget(quixbugs, { file, function: String(bugLines[0]) }, { timeoutMs: 30_000 }, parser);
    const buggyBlocks = target.blocks.blocks
      .filter((b) => bugLines.some((line) => b.range.start.line <= line && line <= b.range.end.line))
      .map((b) => b.id);
    const run = await tracePythonTest(target, { cwd: quixbugs, test: failing.id, pytestArgs });
    return { program, testId: failing.id, endless: failing.endless, trace: run.trace, buggyBlocks };
  } catch (error) {
    return { program, buggyBlocks: [], error: String(error) };
  }
}

async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

test('QuixBugs: tracing each first failing test reaches the buggy block; programs untouched; endless loops truncated', { skip, timeout: 600_000 }, async (t) => {
  const bugLines = JSON.parse(readFileSync(bugLinesFile, 'utf8')) as Record<string, number[]>;
  const programs = Object.keys(bugLines);
  assert.equal(programs.length, 40);
  const before = hashPrograms();
  const started = Date.now();
  const outcomes = await inBatches(programs, 4, (p) => traceProgram(p, bugLines[p]));
  const after = hashPrograms();
  assert.deepEqual([...after], [...before], 'python_programs/ is byte-identical after tracing');

  const reached = outcomes.filter((o) => o.trace && o.buggyBlocks.some((b) => executedBlockIds(o.trace!).has(b)));
  const stoppedBySteps = outcomes.filter((o) => o.trace?.truncated && o.trace.truncated.stoppedBy === 'steps').map((o) => o.program);
  const endless = outcomes.filter((o) => o.endless).map((o) => o.program);
  t.diagnostic(
    `${reached.length}/40 traces reach a buggy block; endless untraced: ${endless.join(', ')}; stopped by the step budget: ${stoppedBySteps.join(', ')}; ${Date.now() - started} ms`,
  );
  for (const o of outcomes) {
    if (o.error || !o.trace?.calls.length) t.diagnostic(`${o.program}: ${o.error ?? `test ${o.testId}: ${JSON.stringify(o.trace?.truncated)}`}`);
  }
  for (const o of outcomes) {
    const executed = o.trace ? [...executedBlockIds(o.trace)].join(',') : '';
    assert.ok(!o.error, `${o.program}: ${o.error}`);
    assert.ok(o.trace && o.trace.calls.length > 0, `${o.program}: the traced test ${o.testId} called the function`);
    assert.ok(
      o.buggyBlocks.some((b) => executedBlockIds(o.trace!).has(b)),
      `${o.program} (${o.testId}): executed blocks ${executed} include a buggy block (${o.buggyBlocks.join(',')})`,
    );
  }
  // bitcount and sqrt loop forever; longest_common_subsequence recurses exponentially (seconds to
  // minutes untraced, depending on the machine). Each is stopped by the step budget, as is anything
  // the untraced run had to stop by its alarm.
  for (const program of new Set(['bitcount', 'sqrt', 'longest_common_subsequence', ...endless])) {
    assert.ok(stoppedBySteps.includes(program), `${program} does not finish: its trace is truncated by the step budget`);
  }
});
