// "Iterate until green" as a pure state machine over ports: run the tests, pick the most
// informative failure, ask for a fix, apply it, rerun, and keep or revert it, until the scope is
// green or a stop rule fires. The editor and the CLI each supply the ports (test runs, the duck,
// file access, review); the rules live here once, and unit tests drive them with doubles. What a
// test run says and what a fix broke between two runs is testRun.ts.
import { brokenBetween, type LoopFailure, type TestRun } from './testRun';

/** A function the model was shown for a failure and found correct. */
export interface CheckedFunction {
  readonly file: string;
  readonly functionName: string;
}

/** What the duck proposed for one failure. */
export type FixProposal =
  | { readonly ok: true; readonly file: string; readonly newText: string; readonly summary: string; readonly tokens?: number }
  | { readonly ok: true; readonly testIsWrong: string; readonly summary: string; readonly tokens?: number }
  | {
      readonly ok: false;
      readonly error: string;
      readonly tokens?: number;
      readonly reason?: ProposalFailure;
      /** The model cannot be asked at all (no answer in time, unreachable, key refused): stop. */
      readonly modelUnavailable?: boolean;
      /** With reason `elsewhere`: the function the model found correct (the next ask skips it). */
      readonly checked?: CheckedFunction;
    };

/**
 * Why there is no proposal. `no-target`: no function of the workspace is in the failure (often the
 * environment, the platform or the runtime version): skipped, no model asked. `not-sent`: the
 * function may not be sent (neverSend, outside the workspace). `model`: the model failed.
 * `elsewhere`: the model found every block of the function it was shown correct, and the target
 * finder has other candidates: the same failure is asked about again, with the next one.
 */
export type ProposalFailure = 'no-target' | 'not-sent' | 'model' | 'elsewhere';

export interface LoopPorts {
  runTests(signal: AbortSignal): Promise<TestRun>;
  /**
   * Asks the model for a fix; `notes` tell it what was tried before for this test and why it failed;
   * `checked` are the functions the model already found correct for this test (not to ask about again);
   * `run` is the test run the failure comes from, as the files are now.
   */
  propose(failure: LoopFailure, notes: readonly string[], signal: AbortSignal, checked?: readonly CheckedFunction[], run?: TestRun): Promise<FixProposal>;
  readFile(file: string): Promise<string>;
  /** Writes the whole file (one undo step in the editor). */
  writeFile(file: string, text: string): Promise<void>;
  /**
   * Offers `newText` for `file`. In auto mode the port writes it; in review mode it waits for the
   * user. Returns the file's text after the decision (unchanged when everything was rejected).
   */
  review(file: string, newText: string, signal: AbortSignal): Promise<string>;
  isTestFile(file: string): boolean;
  /** Asked at most once per loop, the first time a fix touches a test file. */
  mayEditTests(): Promise<boolean>;
  /** Keeps the original text of a file outside the workspace until the loop ends (crash safety). */
  checkpoint(file: string, original: string): Promise<void>;
  /** Ranks failures: higher first (e.g. the active editor's file). Optional. */
  preference?(failure: LoopFailure): number;
  onEvent?(event: LoopEvent): void;
}

export interface LoopOptions {
  readonly maxIterations?: number;
  /** Stop once the model has used this many tokens (0: no limit). */
  readonly maxTokens?: number;
  /** Stop after this long (0: no limit). */
  readonly maxMs?: number;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /**
   * The tests to make pass (default: every failing test). Tests outside the scope are still run
   * and watched: a fix that breaks one of them is reverted like any other.
   */
  readonly inScope?: (testId: string) => boolean;
}

export type LoopPhase = 'running tests' | 'asking the model' | 'applying' | 'rerunning tests';

export type LoopEvent =
  /** `attempt`: the how-manieth model request this is (iterations that asked no model do not count). */
  | { readonly type: 'phase'; readonly iteration: number; readonly attempt?: number; readonly phase: LoopPhase; readonly test?: string }
  | { readonly type: 'iteration'; readonly record: IterationRecord };

export type IterationResult = 'fixed' | 'progress' | 'no-progress' | 'reverted' | 'rejected' | 'no-fix' | 'test-claim' | 'test-file-refused' | 'model-error' | 'no-target' | 'not-sent';

export interface IterationRecord {
  readonly iteration: number;
  readonly testId: string;
  readonly testName: string;
  readonly file?: string;
  readonly summary?: string;
  readonly result: IterationResult;
  readonly detail: string;
  /** The file's text before and after this iteration (equal when nothing was kept). */
  readonly before?: string;
  readonly after?: string;
}

export type StopReason = 'green' | 'max-iterations' | 'no-progress' | 'token-budget' | 'time-budget' | 'cancelled' | 'nothing-to-fix' | 'error';

export interface LoopSummary {
  readonly stop: StopReason;
  readonly iterations: readonly IterationRecord[];
  readonly fixed: readonly string[];
  readonly stillFailing: readonly { readonly testId: string; readonly name: string; readonly why: string }[];
  /** Every file the loop changed, with its text before the loop. */
  readonly originals: ReadonlyMap<string, string>;
  readonly tokens: number;
  readonly message: string;
}

/** Same test, same first line of the message: the model's patch did not change the failure. */
export function failureSignature(f: LoopFailure): string {
  const first = f.message.split('\n').find((l) => l.trim()) ?? '';
  return `${f.testId}\u0000${first.trim().replace(/0x[0-9a-f]+/gi, '0x…')}`;
}

export async function iterateUntilGreen(ports: LoopPorts, options: LoopOptions = {}): Promise<LoopSummary> {
  const maxIterations = options.maxIterations ?? 5;
  const now = options.now ?? Date.now;
  const started = now();
  const signal = options.signal ?? new AbortController().signal;
  const iterations: IterationRecord[] = [];
  const originals = new Map<string, string>();
  const notes = new Map<string, string[]>(); // per test: what was tried and why it did not work
  const checked = new Map<string, CheckedFunction[]>(); // per test: functions the model found correct
  const givenUp = new Map<string, string>(); // test -> why
  const noProgress = new Map<string, number>();
  const initiallyFailing = new Set<string>();
  let tokens = 0;
  let testEditsAllowed: boolean | undefined;
  let iteration = 0;
  // Iterations that asked the model: what maxIterations limits. A failure with no function to
  // blame, or one whose function may not be sent, is recorded but costs no attempt.
  let attempts = 0;

  const phase = (p: LoopPhase, test?: string) => ports.onEvent?.({ type: 'phase', iteration, ...(iteration ? { attempt: attempts } : {}), phase: p, test });
  const record = (r: IterationRecord) => {
    iterations.push(r);
    ports.onEvent?.({ type: 'iteration', record: r });
  };
  const note = (testId: string, text: string) => notes.set(testId, [...(notes.get(testId) ?? []), text]);
  const inScope = options.inScope ?? (() => true);
  const finish = (stop: StopReason, run: TestRun | undefined, message: string): LoopSummary => {
    const failing = new Map((run?.failures ?? []).filter((f) => inScope(f.testId)).map((f) => [f.testId, f]));
    return {
      stop,
      iterations,
      fixed: [...initiallyFailing].filter((id) => run && !failing.has(id) && run.passed.includes(id)),
      stillFailing: [...failing.values()].map((f) => ({ testId: f.testId, name: f.name, why: givenUp.get(f.testId) ?? lastDetail(iterations, f.testId) ?? f.message.split('\n')[0] ?? '' })),
      originals,
      tokens,
      message,
    };
  };

  phase('running tests');
  let run: TestRun;
  try {
    run = await ports.runTests(signal);
  } catch (err) {
    return finish(signal.aborted ? 'cancelled' : 'error', undefined, signal.aborted ? 'Cancelled before the first test run finished.' : `The tests could not be run: ${messageOf(err)}`);
  }
  run.failures.filter((f) => inScope(f.testId)).forEach((f) => initiallyFailing.add(f.testId));
  if (initiallyFailing.size === 0) return finish('nothing-to-fix', run, 'All tests in scope already pass.');
  const scopedFailures = (r: TestRun) => r.failures.filter((f) => inScope(f.testId));

  for (;;) {
    if (signal.aborted) return finish('cancelled', run, 'Cancelled. Every file is as the last finished step left it.');
    if (scopedFailures(run).length === 0) return finish('green', run, `All tests pass after ${iteration} iteration${iteration === 1 ? '' : 's'}.`);
    if (attempts >= maxIterations) return finish('max-iterations', run, `Stopped after ${maxIterations} iterations with ${scopedFailures(run).length} test(s) still failing.`);
    if (options.maxTokens && tokens >= options.maxTokens) return finish('token-budget', run, `Stopped: the token budget (${options.maxTokens}) is used up.`);
    if (options.maxMs && now() - started >= options.maxMs) return finish('time-budget', run, `Stopped: the time budget (${Math.round(options.maxMs / 1000)} s) is used up.`);
    const candidates = rankFailures(scopedFailures(run).filter((f) => !givenUp.has(f.testId)), ports);
    const failure = candidates[0];
    if (!failure) return finish('no-progress', run, 'Stopped: Ducktrace could not make progress on any of the failing tests.');

    iteration++;
    attempts++;
    phase('asking the model', failure.name);
    let proposal: FixProposal;
    try {
      proposal = await ports.propose(failure, notes.get(failure.testId) ?? [], signal, checked.get(failure.testId) ?? [], run);
    } catch (err) {
      proposal = { ok: false, error: messageOf(err) };
    }
    tokens += proposal.tokens ?? 0;
    if (signal.aborted) return finish('cancelled', run, 'Cancelled. Every file is as the last finished step left it.');
    const base = { iteration, testId: failure.testId, testName: failure.name, summary: proposal.ok ? proposal.summary : undefined };
    if (!proposal.ok && proposal.reason === 'elsewhere') {
      // An answer, not an error: this failure stays in the loop; the next ask moves on.
      if (proposal.checked) checked.set(failure.testId, [...(checked.get(failure.testId) ?? []), proposal.checked]);
      record({ ...base, result: 'no-fix', detail: proposal.error });
      continue;
    }
    if (!proposal.ok) {
      givenUp.set(failure.testId, proposal.error);
      if (proposal.reason === 'no-target' || proposal.reason === 'not-sent') {
        // Nothing was asked: this failure is reported and skipped, and costs no attempt.
        attempts--;
        record({ ...base, result: proposal.reason, detail: proposal.error });
        continue;
      }
      record({ ...base, result: 'model-error', detail: proposal.error });
      // Asking about the next failure would wait out the same budget and fail the same way.
      if (proposal.modelUnavailable) return finish('error', run, `Stopped: the model could not be asked. ${proposal.error}`);
      continue;
    }
    if ('testIsWrong' in proposal) {
      // Tests are the specification: a claim against the test is shown, never acted on.
      givenUp.set(failure.testId, `The model thinks the test is wrong: ${proposal.testIsWrong}`);
      record({ ...base, result: 'test-claim', detail: proposal.testIsWrong });
      continue;
    }
    if (ports.isTestFile(proposal.file)) {
      testEditsAllowed ??= await ports.mayEditTests();
      if (!testEditsAllowed) {
        givenUp.set(failure.testId, 'The fix would edit a test file, which is not allowed.');
        record({ ...base, file: proposal.file, result: 'test-file-refused', detail: `The proposed fix edits the test file ${proposal.file}; test files are left alone unless you allow it.` });
        continue;
      }
    }

    phase('applying', failure.name);
    const before = await ports.readFile(proposal.file);
    if (!originals.has(proposal.file)) {
      try {
        await ports.checkpoint(proposal.file, before);
      } catch (err) {
        // Without a checkpoint a crash could lose the original: change nothing.
        return finish('error', run, `Could not save a checkpoint of ${proposal.file} (${messageOf(err)}); nothing was changed.`);
      }
      originals.set(proposal.file, before);
    }
    if (proposal.newText === before) {
      // The model handed back the code as it is: that is no progress, not a user's rejection.
      const count = (noProgress.get(failure.testId) ?? 0) + 1;
      noProgress.set(failure.testId, count);
      note(failure.testId, 'Your previous answer left the code unchanged; the test still fails the same way.');
      if (count >= 2) givenUp.set(failure.testId, 'Two answers in a row did not change the failure.');
      record({ ...base, file: proposal.file, result: 'no-progress', detail: 'The proposed code is identical to the current code.', before, after: before });
      continue;
    }
    let after: string;
    try {
      after = await ports.review(proposal.file, proposal.newText, signal);
    } catch (err) {
      // e.g. the accepted change could not be saved: rerunning would test the old file.
      return finish('error', run, messageOf(err));
    }
    if (after === before) {
      note(failure.testId, 'The user rejected the previous proposal.');
      givenUp.set(failure.testId, 'You rejected the proposed fix.');
      record({ ...base, file: proposal.file, result: 'rejected', detail: 'The proposal was rejected.', before, after });
      continue;
    }
    if (signal.aborted) return finish('cancelled', run, 'Cancelled after the fix was applied; the tests were not rerun.');

    phase('rerunning tests', failure.name);
    let next: TestRun;
    try {
      next = await ports.runTests(signal);
    } catch (err) {
      if (signal.aborted) return finish('cancelled', run, 'Cancelled while rerunning the tests; the last fix is applied but unverified.');
      await ports.writeFile(proposal.file, before);
      return finish('error', run, `The tests could not be rerun (${messageOf(err)}); the last fix was reverted.`);
    }
    const same = next.failures.find((f) => f.testId === failure.testId);
    // A test file that no longer loads, or tests that no longer run, count as broken: no test
    // "passes" by not running.
    const broken = brokenBetween(run, next, (id) => nameOf(run, id));
    if (!same && !next.passed.includes(failure.testId) && !broken.some((b) => b.file === failure.file)) broken.push({ text: `${failure.name} (no longer ran)`, stoppedRunning: true });
    if (broken.length) {
      await ports.writeFile(proposal.file, before);
      const list = broken.map((b) => b.text).join('; ');
      note(
        failure.testId,
        broken.some((b) => b.stoppedRunning)
          ? `Your previous fix broke the test run, so it was reverted: ${list}. Keep every test file importable and every test running.`
          : `Your previous fix made these passing tests fail, so it was reverted: ${list}.`,
      );
      record({ ...base, file: proposal.file, result: 'reverted', detail: `Reverted: it broke ${list}.`, before, after: before });
      continue; // `run` still describes the reverted state
    }
    if (!same) {
      record({ ...base, file: proposal.file, result: 'fixed', detail: `${failure.name} passes now.`, before, after });
    } else if (failureSignature(same) === failureSignature(failure)) {
      const count = (noProgress.get(failure.testId) ?? 0) + 1;
      noProgress.set(failure.testId, count);
      note(failure.testId, `Your previous fix did not change the failure; the test still fails with: ${same.message.split('\n')[0]}`);
      if (count >= 2) givenUp.set(failure.testId, 'Two fixes in a row did not change the failure.');
      record({ ...base, file: proposal.file, result: 'no-progress', detail: count >= 2 ? 'Still the same failure after a second try; moving on.' : 'The failure did not change; trying once more with what did not work.', before, after });
    } else {
      note(failure.testId, `After your previous fix the test fails differently: ${same.message.split('\n')[0]}`);
      record({ ...base, file: proposal.file, result: 'progress', detail: `Fails differently now: ${same.message.split('\n')[0]}`, before, after });
    }
    run = next;
  }
}

/** The loop's progress in words, for the progress notification and the Ducktrace view. */
export function describePhase(e: Extract<LoopEvent, { type: 'phase' }>, maxIterations: number): string {
  if (e.iteration === 0) return 'Running the tests…';
  const test = e.test ? `“${e.test}”` : 'the failing test';
  const what = { 'running tests': 'running the tests', 'asking the model': `asking the model about ${test}`, applying: `applying the fix for ${test}`, 'rerunning tests': `rerunning the tests after the fix for ${test}` }[e.phase];
  const attempt = e.attempt ?? e.iteration;
  // Skipped failures (no function to blame) are iterations too, but no fix attempts.
  const count = attempt === e.iteration ? `Iteration ${e.iteration} of at most ${maxIterations}` : `Iteration ${e.iteration} (fix attempt ${attempt} of at most ${maxIterations})`;
  return `${count} · ${what}…`;
}

/** The closing notification: the stop message and the counts that matter. */
export function describeOutcome(s: Pick<LoopSummary, 'message' | 'fixed' | 'stillFailing'>): string {
  const tests = (n: number) => `${n} test${n === 1 ? '' : 's'}`;
  const counts = s.stillFailing.length ? `Fixed ${tests(s.fixed.length)}; ${s.stillFailing.length} still failing.` : s.fixed.length ? `Fixed ${tests(s.fixed.length)}.` : '';
  return [s.message, counts].filter(Boolean).join(' ');
}

function rankFailures(failures: readonly LoopFailure[], ports: LoopPorts): LoopFailure[] {
  // Most informative first: a stack that reaches code outside the test file, then the user's preference.
  const score = (f: LoopFailure) => (f.stack.some((fr) => fr.file !== f.file && !ports.isTestFile(fr.file)) ? 10 : 0) + (ports.preference?.(f) ?? 0);
  return [...failures].sort((a, b) => score(b) - score(a));
}

function nameOf(run: TestRun, testId: string): string {
  return run.failures.find((f) => f.testId === testId)?.name ?? testId.split('::').pop() ?? testId;
}

function lastDetail(iterations: readonly IterationRecord[], testId: string): string | undefined {
  return [...iterations].reverse().find((r) => r.testId === testId)?.detail;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Writes every original back: "Revert all Ducktrace changes". Returns the files restored. */
export async function revertAll(originals: ReadonlyMap<string, string>, writeFile: (file: string, text: string) => Promise<void>): Promise<string[]> {
  const restored: string[] = [];
  for (const [file, text] of originals) {
    await writeFile(file, text);
    restored.push(file);
  }
  return restored;
}
