// A JavaScript test that never finishes (a loop that never yields, or a promise nothing settles
// where the runner has no per-test timeout) stops the whole run: Ducktrace kills it when it makes
// no progress. What then? The tests that finished keep their results; the test that was running
// is reported as a timeout at its location; everything that did not run yet runs again without
// it. When the runner did not say which test was running, the first test of the stuck file that
// has no result runs alone, then the next, until one hangs; the rest of the file then runs together
// (it may hold another). Pure planning here; src/host/runners/hangIsolation.ts runs it.
import { testIdOf, type Framework, type TestCaseResult, type TestFailure } from './testFailure';

export interface TestRef {
  readonly file: string;
  readonly suitePath: readonly string[];
  readonly name: string;
  readonly line?: number;
}

export interface Selection {
  readonly files?: readonly string[];
  readonly tests?: readonly TestRef[];
  /**
   * One of these tests hangs and the runner could not say which: run them one at a time, in
   * order, until one hangs; the rest then run together.
   */
  readonly oneByOne?: boolean;
}

export interface StoppedAttempt {
  /** What was run. */
  readonly selection: Selection;
  /** The test files that selection covers (a whole-project run: all of the project's test files). */
  readonly files: readonly string[];
  /** Final results the stopped run produced. */
  readonly results: readonly TestCaseResult[];
  readonly startedFiles: ReadonlySet<string>;
  readonly finishedFiles: ReadonlySet<string>;
  /** Tests the runner said were running when the run was stopped. */
  readonly running: readonly TestRef[];
}

export interface HangPlan {
  /** Tests known to be the ones that hung. */
  readonly timedOut: TestRef[];
  /** Files that did not finish although no test of theirs is left to blame (dynamic test names). */
  readonly stuckFiles: string[];
  /** What to run next, in order. */
  readonly next: Selection[];
}

const idOf = (t: Pick<TestRef, 'file' | 'suitePath' | 'name'>) => testIdOf(t.file, t.suitePath, t.name);

/** What to do after a run was stopped for making no progress. `testsOf` lists a file's tests in declaration order. */
export function planAfterHang(attempt: StoppedAttempt, testsOf: (file: string) => readonly TestRef[]): HangPlan {
  const timedOut: TestRef[] = [];
  const stuckFiles: string[] = [];
  const next: Selection[] = [];
  const chosen = attempt.selection.tests;
  // A test run alone that hangs is the one.
  if (chosen?.length === 1) return { timedOut: [chosen[0]], stuckFiles, next };
  const done = new Set(attempt.results.map((r) => r.testId));
  const unfinished = attempt.files.filter((f) => !attempt.finishedFiles.has(f));
  // The runner said nothing of where it was (its progress was stuck in the process that hung):
  // several files run again one by one; a single file is the one that hung.
  const noWord = unfinished.length > 0 && unfinished.every((f) => !attempt.startedFiles.has(f));
  if (noWord && unfinished.length > 1 && !chosen) return { timedOut, stuckFiles, next: unfinished.map((f) => ({ files: [f] })) };
  if (noWord && unfinished.length > 1 && chosen) {
    return { timedOut, stuckFiles, next: unfinished.map((f) => ({ tests: chosen.filter((t) => t.file === f && !done.has(idOf(t))) })).filter((s) => s.tests.length > 0) };
  }
  const started = noWord ? new Set(unfinished) : attempt.startedFiles;
  const notStarted: string[] = [];
  const notStartedTests: TestRef[] = [];
  for (const file of attempt.files) {
    if (attempt.finishedFiles.has(file)) continue;
    const all = chosen ? chosen.filter((t) => t.file === file) : testsOf(file);
    const left = all.filter((t) => !done.has(idOf(t)));
    if (!started.has(file)) {
      // Not reached before the stop: runs again as it was selected.
      if (chosen) notStartedTests.push(...left);
      else notStarted.push(file);
      continue;
    }
    const running = attempt.running.find((r) => r.file === file);
    if (running) {
      timedOut.push({ ...running, ...(running.line === undefined ? lineOf(all, running) : {}) });
      const rest = left.filter((t) => idOf(t) !== idOf(running));
      if (rest.length) next.push({ tests: rest });
    } else if (left.length === 0) {
      stuckFiles.push(file);
    } else if (left.length === 1) {
      timedOut.push(left[0]);
    } else {
      next.push({ tests: left, oneByOne: true });
    }
  }
  if (notStarted.length) next.unshift({ files: notStarted });
  if (notStartedTests.length) next.unshift({ tests: notStartedTests });
  return { timedOut, stuckFiles, next };
}

function lineOf(tests: readonly TestRef[], t: TestRef): { line?: number } {
  const line = tests.find((x) => idOf(x) === idOf(t))?.line;
  return line !== undefined ? { line } : {};
}

export interface HangFacts {
  /** The per-test timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** How long the run went without progress before Ducktrace stopped it, in seconds. */
  readonly stoppedAfterSeconds: number;
}

/** A failed result for a test that never finished: a timeout at its location. */
export function hungTestResult(framework: Framework, test: TestRef, facts: HangFacts): TestCaseResult {
  const testId = idOf(test);
  const message = `Timeout: the test did not finish within ${facts.timeoutSeconds} s; its run made no progress for ${facts.stoppedAfterSeconds} s, so Ducktrace stopped it (a loop that never ends, or something it waits for that never comes).`;
  const failure: TestFailure = {
    testId,
    framework,
    file: test.file,
    line: test.line ?? 0,
    name: test.name,
    message,
    stack: [],
    output: message,
    timedOut: true,
  };
  return { testId, framework, file: test.file, ...(test.line ? { line: test.line } : {}), name: test.name, suitePath: test.suitePath, outcome: 'failed', output: message, failure };
}

/** A failed result for a file that did not finish though none of its known tests was left to blame. */
export function stuckFileResult(framework: Framework, file: string, facts: HangFacts): TestCaseResult {
  const testId = testIdOf(file, [], '(file)');
  const message = `Timeout: the file did not finish; its run made no progress for ${facts.stoppedAfterSeconds} s (per-test timeout ${facts.timeoutSeconds} s), so Ducktrace stopped it. Its tests that finished are reported; which of the others hung could not be told.`;
  const failure: TestFailure = { testId, framework, file, line: 0, name: file, message, stack: [], output: message, timedOut: true };
  return { testId, framework, file, name: '(file)', suitePath: [], outcome: 'failed', output: message, failure, fileLevel: true };
}

/**
 * Whether Ducktrace had to kill the run to stop this test (a result made by hungTestResult,
 * stuckFileResult or pytest's hungResult), rather than the runner's own timeout failing it.
 */
export function stoppedByDucktrace(failure: Pick<TestFailure, 'timedOut' | 'message'>): boolean {
  return !!failure.timedOut && /made no progress|killed its process tree/.test(failure.message);
}
