// The normalised record of a test and of its failure, whatever ran it. Host adapters (one per
// framework) produce these from the runners' reports; everything after them reads only these.
import type { StackFrame } from './stackFrames';

export type Frame = StackFrame;

export const frameworks = ['pytest', 'node', 'jest', 'vitest', 'mocha'] as const;
export type Framework = (typeof frameworks)[number];

export function isFramework(value: string): value is Framework {
  return (frameworks as readonly string[]).includes(value);
}

export interface TestFailure {
  /** The same id as the test's TestCaseResult. */
  readonly testId: string;
  readonly framework: Framework;
  /** Absolute path of the test's file. */
  readonly file: string;
  /** 1-based line of the test's definition (0 when the runner does not say). */
  readonly line: number;
  readonly name: string;
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
  /** Innermost frame first; frames inside the runners and the language runtime are left out. */
  readonly stack: Frame[];
  /** What the test printed, and the runner's full failure text, capped. */
  readonly output: string;
  /** The test did not finish within the per-test timeout (it hung or looped): still a failure to debug. */
  readonly timedOut?: boolean;
  /** The same test in a plain run of the project's own command; absent when not checked. */
  readonly plainRun?: PlainRunCheck;
}

/**
 * A failing test rerun the way the project runs it (its own runner invocation from package.json,
 * the environment untouched, no Ducktrace timeouts or plugins), with the files as they were:
 * - `failed`: it fails there too: a failure of the code, worth debugging;
 * - `passed`: it fails only under Ducktrace's run (an environment or flag difference): nothing for
 *   the model to fix;
 * - `unknown`: the plain run could not tell (it could not start, or did not report this test).
 */
export interface PlainRunCheck {
  readonly outcome: 'failed' | 'passed' | 'unknown';
  /** The command of the plain run, as shown to the user. */
  readonly command: string;
  /** Why `unknown`, or the plain run's own failure message when it differs. */
  readonly detail?: string;
}

export type TestOutcome = 'passed' | 'failed' | 'skipped';

export interface TestCaseResult {
  /** `<absolute file>::<suite>::...::<name>`: the same for a test discovered and a test run. */
  readonly testId: string;
  readonly framework: Framework;
  readonly file: string;
  /** 1-based; absent when unknown. */
  readonly line?: number;
  readonly name: string;
  /** Enclosing suites (describe blocks, classes), outermost first. */
  readonly suitePath: readonly string[];
  readonly outcome: TestOutcome;
  readonly durationMs?: number;
  readonly output: string;
  readonly failure?: TestFailure;
  /** pytest's node id (relative to its rootdir), to rerun exactly this test. */
  readonly nodeId?: string;
  /** The whole file failed to load (syntax error, import error): no test of it ran. */
  readonly fileLevel?: boolean;
}

/** What one run produced. `problems` are run-level troubles in plain words (not test failures). */
export interface TestRunReport {
  readonly framework: Framework;
  readonly cwd: string;
  readonly results: TestCaseResult[];
  readonly problems: string[];
  readonly timedOut?: boolean;
  readonly cancelled?: boolean;
}

/** A test known before running it (discovery). */
export interface DiscoveredTest {
  readonly testId: string;
  readonly framework: Framework;
  readonly file: string;
  readonly line?: number;
  readonly name: string;
  readonly suitePath: readonly string[];
  readonly nodeId?: string;
}

export function testIdOf(file: string, suitePath: readonly string[], name: string): string {
  return [file, ...suitePath, name].join('::');
}

export function failuresOf(report: Pick<TestRunReport, 'results'>): TestFailure[] {
  return report.results.flatMap((r) => (r.failure ? [r.failure] : []));
}

export const maxOutputChars = 64_000;

/** Keeps the head and the tail of a long text: failures tend to be explained at either end. */
export function capText(text: string, max = maxOutputChars): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.4);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters cut by Ducktrace] …\n${text.slice(text.length - tail)}`;
}
