// A test run as Iterate Until Green sees it (failures, passes, per-file counts) and what a fix broke
// between two runs: a test that stopped passing, a file that no longer loads or runs fewer tests.
import type { TestFileOutcome } from '../blocks/moduleSpectrum';
import type { TestCaseResult, TestFailure } from '../failures/testFailure';

/** A failing test as the loop sees it: the runner's whole record (message, expected, actual, stack). */
export type LoopFailure = TestFailure;

/** One test file in a run: how many of its tests ran, and why it did not load when it did not. */
export interface TestFileRun {
  readonly file: string;
  /** Tests that ran (passed, failed or skipped), not counting a file-level error. */
  readonly tests: number;
  /** The file failed to load or collect (syntax error, import error): no test of it ran. */
  readonly loadError?: string;
}

export interface TestRun {
  readonly failures: readonly LoopFailure[];
  /** Ids of the tests that passed. */
  readonly passed: readonly string[];
  /** Per test file; compared after each fix, so a file that stops loading or loses tests is noticed. */
  readonly files?: readonly TestFileRun[];
}

/**
 * How each test file fared in a run: what the target finder ranks its candidates' modules by
 * when it is unsure (src/core/blocks/moduleSpectrum.ts). A test id starts with its absolute file.
 */
export function testFileOutcomes(run: Pick<TestRun, 'failures' | 'passed'>): TestFileOutcome[] {
  const byFile = new Map<string, { failed: number; passed: number }>();
  const entry = (file: string) => byFile.get(file) ?? byFile.set(file, { failed: 0, passed: 0 }).get(file)!;
  for (const f of run.failures) entry(f.file).failed++;
  for (const id of run.passed) entry(id.split('::')[0]!).passed++;
  return [...byFile].map(([file, counts]) => ({ file, ...counts }));
}

/** A TestRun from the runners' results: failures, passes, and the per-file counts. */
export function testRunOf(results: readonly TestCaseResult[]): TestRun {
  const files = new Map<string, { tests: number; loadError?: string }>();
  for (const r of results) {
    const entry = files.get(r.file) ?? { tests: 0 };
    if (r.fileLevel) entry.loadError = firstLine(r.failure?.message ?? '') || 'the file did not load';
    else entry.tests++;
    files.set(r.file, entry);
  }
  return {
    failures: results.flatMap((r) => (r.failure ? [r.failure] : [])),
    passed: results.filter((r) => r.outcome === 'passed').map((r) => r.testId),
    files: [...files].map(([file, e]) => ({ file, ...e })),
  };
}

/** Something a fix broke, in words (`text`), and whether tests stopped running (not just failing). */
export interface Breakage {
  readonly text: string;
  /** A file no longer loads or runs fewer tests, or a test no longer ran. */
  readonly stoppedRunning: boolean;
  /** The test file concerned, when it is about a whole file. */
  readonly file?: string;
}

/**
 * What a fix broke between two runs: tests that passed and no longer pass (failing, skipped or
 * gone), test files that no longer load, and files that run fewer tests than before.
 */
export function brokenBetween(before: TestRun, after: TestRun, nameOf: (testId: string) => string = (id) => id.split('::').pop() ?? id): Breakage[] {
  const broken: Breakage[] = [];
  const passedAfter = new Set(after.passed);
  const failingAfter = new Map(after.failures.map((f) => [f.testId, f]));
  const filesAfter = new Map((after.files ?? []).map((f) => [f.file, f]));
  for (const f of before.files ?? []) {
    if (f.loadError) continue;
    const now = filesAfter.get(f.file);
    if (now?.loadError) broken.push({ text: `${baseName(f.file)} no longer loads (${now.loadError})`, stoppedRunning: true, file: f.file });
    else if (f.tests > 0 && (now?.tests ?? 0) < f.tests) broken.push({ text: `${baseName(f.file)} ran ${f.tests} test${f.tests === 1 ? '' : 's'} before and ${now?.tests ?? 0} now`, stoppedRunning: true, file: f.file });
  }
  const fileBroken = new Set(broken.map((b) => b.file));
  for (const id of before.passed) {
    if (passedAfter.has(id)) continue;
    const failing = failingAfter.get(id);
    if (failing) broken.push({ text: `${failing.name} (${firstLine(failing.message)})`, stoppedRunning: false });
    else if (!fileBroken.has(fileOfTestId(id))) broken.push({ text: `${nameOf(id)} (no longer ran)`, stoppedRunning: true });
  }
  return broken;
}

const firstLine = (text: string) => text.split('\n').find((l) => l.trim())?.trim() ?? '';
const fileOfTestId = (id: string) => id.split('::')[0] ?? id;
const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;
