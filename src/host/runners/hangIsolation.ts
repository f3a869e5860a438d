// Runs a JavaScript runner until every selected test has a result, even when some test never
// finishes: each run is watched for progress (runProcessTree's idle check over the runner's
// progress report); a stopped run is followed by the runs planAfterHang (src/core/failures/
// hungTests.ts) asks for, and the hung tests come out as timeouts at their location.
import { readFileSync } from 'node:fs';
import { hungTestResult, planAfterHang, stuckFileResult, type Selection, type TestRef } from '../../core/failures/hungTests';
import { scanJsTests } from '../../core/failures/jsTestScanner';
import { testIdOf, type Framework, type TestCaseResult, type TestRunReport } from '../../core/failures/testFailure';
import type { RunnerContext, RunSelection } from './adapter';
import { noProgressLimitMs } from './jsRunners';

export interface AttemptOutcome {
  /** Final results of this run. */
  readonly results: readonly TestCaseResult[];
  /** The run made no progress and was killed. */
  readonly stopped: boolean;
  readonly cancelled: boolean;
  /** Run-level troubles (not a hang). */
  readonly problems: readonly string[];
  readonly startedFiles: ReadonlySet<string>;
  readonly finishedFiles: ReadonlySet<string>;
  /** Tests the runner said were running when it was stopped. */
  readonly running: readonly TestRef[];
}

/** Runs after a hang: each one isolates at least one test, so a bound only guards against surprises. */
const maxRuns = 100;

export async function runIsolatingHangs(framework: Framework, ctx: RunnerContext, selection: RunSelection, attempt: (selection: RunSelection) => Promise<AttemptOutcome>): Promise<TestRunReport> {
  const results = new Map<string, TestCaseResult>();
  const problems: string[] = [];
  const queue: Selection[] = [selection];
  const scanned = new Map<string, TestRef[]>();
  const testsOf = (file: string): TestRef[] => {
    let tests = scanned.get(file);
    if (!tests) {
      try {
        tests = scanJsTests(readFileSync(file, 'utf8'), file, framework).map((t) => ({ file, suitePath: t.suitePath, name: t.name, ...(t.line ? { line: t.line } : {}) }));
      } catch {
        tests = [];
      }
      scanned.set(file, tests);
    }
    return tests;
  };
  const facts = { timeoutSeconds: Math.round(ctx.testTimeoutMs / 100) / 10, stoppedAfterSeconds: Math.round(noProgressLimitMs(ctx.testTimeoutMs) / 1000) };
  let timedOut = false;
  let runs = 0;
  while (queue.length) {
    if (ctx.signal?.aborted) return { framework, cwd: ctx.cwd, results: [...results.values()], problems, cancelled: true };
    if (runs++ >= maxRuns) {
      problems.push(`Ducktrace stopped after ${maxRuns} runs isolating tests that never finish; ${queue.length} groups of tests did not run.`);
      break;
    }
    const item = queue.shift()!;
    // One at a time: this test alone now; the others after it, still one at a time unless it hangs.
    const rest = item.oneByOne && item.tests && item.tests.length > 1 ? item.tests.slice(1) : [];
    const current: Selection = rest.length ? { tests: [item.tests![0]] } : { ...(item.files ? { files: item.files } : {}), ...(item.tests ? { tests: item.tests } : {}) };
    const outcome = await attempt(current);
    for (const r of outcome.results) results.set(r.testId, r);
    problems.push(...outcome.problems);
    if (outcome.cancelled) return { framework, cwd: ctx.cwd, results: [...results.values()], problems, cancelled: true };
    if (!outcome.stopped) {
      if (rest.length) queue.unshift({ tests: rest, oneByOne: true });
      continue;
    }
    timedOut = true;
    // The one that hung is found: the others run together (another may hang among them).
    if (rest.length) queue.unshift({ tests: rest });
    const files = current.tests?.length ? [...new Set(current.tests.map((t) => t.file))] : current.files?.length ? [...current.files] : ctx.testFiles?.length ? [...ctx.testFiles] : [...outcome.startedFiles];
    const plan = planAfterHang({ selection: current, files, results: outcome.results, startedFiles: outcome.startedFiles, finishedFiles: outcome.finishedFiles, running: outcome.running }, testsOf);
    // Every run after a stop must be smaller than the stopped one; the same run again would only
    // stop again. (planAfterHang guarantees it; this is the guard that the loop always ends.)
    const same = (a: Selection) => JSON.stringify([a.files ?? [], (a.tests ?? []).map((x) => [x.file, x.suitePath, x.name])]) === JSON.stringify([current.files ?? [], (current.tests ?? []).map((x) => [x.file, x.suitePath, x.name])]);
    const repeated = plan.next.filter(same);
    if (repeated.length) {
      plan.next.splice(0, plan.next.length, ...plan.next.filter((n) => !same(n)));
      plan.stuckFiles.push(...files.filter((f) => !outcome.finishedFiles.has(f)));
    }
    for (const t of plan.timedOut) {
      const line = t.line ?? testsOf(t.file).find((x) => testIdOf(x.file, x.suitePath, x.name) === testIdOf(t.file, t.suitePath, t.name))?.line;
      const hung = hungTestResult(framework, { ...t, ...(line ? { line } : {}) }, facts);
      results.set(hung.testId, hung);
    }
    for (const file of plan.stuckFiles) {
      const stuck = stuckFileResult(framework, file, facts);
      results.set(stuck.testId, stuck);
    }
    const named = plan.timedOut.map((t) => [...t.suitePath, t.name].join(' > '));
    ctx.onOutput?.(`\r\nDucktrace stopped the ${framework} run: no progress for ${facts.stoppedAfterSeconds} s${named.length ? ` (hung: ${named.join(', ')})` : ''}. ${plan.next.length ? 'Running the tests that did not finish again.' : ''}\r\n`);
    queue.unshift(...plan.next);
  }
  return { framework, cwd: ctx.cwd, results: [...results.values()], problems, ...(timedOut ? { timedOut } : {}) };
}

/** One run, no isolation (the plain run): a run stopped for making no progress keeps what finished. */
export async function singleRun(framework: TestRunReport['framework'], ctx: RunnerContext, selection: RunSelection, attempt: (s: RunSelection) => Promise<AttemptOutcome>): Promise<TestRunReport> {
  const outcome = await attempt(selection);
  return {
    framework,
    cwd: ctx.cwd,
    results: [...outcome.results],
    problems: [...outcome.problems],
    ...(outcome.stopped ? { timedOut: true } : {}),
    ...(outcome.cancelled ? { cancelled: true } : {}),
  };
}
