// A jest reporter (bundled on its own into dist/ducktraceJestReporter.js) that writes each file's
// and, where jest says them (29.6+, 27+), each test's start and result as one JSON line the moment
// jest reports it. When a test loops forever and Ducktrace has to kill the run, these lines still
// hold every result that came before and the test that was running. It runs inside the user's
// jest (22 and later), so it depends on nothing but Node. A reporter changes nothing the tests see.
// Lines: see src/core/failures/progressReport.ts.
import { appendFileSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';

interface AssertionResult {
  ancestorTitles?: string[];
  title?: string;
  fullName?: string;
  status?: string;
  duration?: number | null;
  failureMessages?: string[];
  failureDetails?: unknown[];
  location?: { line?: number; column?: number } | null;
}

interface FileResult {
  testFilePath?: string;
  testResults?: AssertionResult[];
  failureMessage?: string | null;
  testExecError?: { message?: string; stack?: string } | null;
  numFailingTests?: number;
}

/** A value that survives JSON: as it is when it can, else as inspect() prints it. */
function plain(value: unknown): unknown {
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return inspect(value, { depth: 4 });
  }
}

/** Only the matcher's expected and actual of jest's failure details (the errors themselves may not serialise). */
function details(list: unknown[] | undefined): unknown[] | undefined {
  if (!list) return undefined;
  return list.map((d) => {
    const m = (d as { matcherResult?: { expected?: unknown; actual?: unknown } } | null)?.matcherResult;
    return m ? { matcherResult: { expected: plain(m.expected), actual: plain(m.actual) } } : {};
  });
}

function assertion(a: AssertionResult): AssertionResult {
  return {
    ancestorTitles: a.ancestorTitles,
    title: a.title,
    fullName: a.fullName,
    status: a.status,
    duration: a.duration,
    failureMessages: a.failureMessages,
    failureDetails: details(a.failureDetails),
    location: a.location,
  };
}

export class ProgressReporter {
  constructor(private readonly file: string) {
    writeFileSync(file, '');
  }

  private write(line: Record<string, unknown>): void {
    // Synchronously: a test that loops forever right after this line must not keep it in a buffer.
    appendFileSync(this.file, JSON.stringify(line) + '\n');
  }

  onRunStart(): void {
    this.write({ event: 'runStart' });
  }

  onTestStart(test: { path: string }): void {
    this.write({ event: 'fileStart', file: test.path });
  }

  onTestCaseStart(test: { path: string }, info: { ancestorTitles?: string[]; title?: string; startedAt?: number }): void {
    this.write({ event: 'testStart', file: test.path, ancestorTitles: info.ancestorTitles ?? [], title: info.title ?? '' });
  }

  onTestCaseResult(test: { path: string }, result: AssertionResult): void {
    this.write({ event: 'test', file: test.path, ...assertion(result) });
  }

  onTestResult(test: { path: string }, result: FileResult): void {
    const failed = !!result.testExecError || (result.numFailingTests ?? 0) > 0;
    this.write({
      event: 'file',
      file: result.testFilePath ?? test.path,
      status: failed ? 'failed' : 'passed',
      message: result.failureMessage ?? result.testExecError?.stack ?? result.testExecError?.message ?? '',
      assertionResults: (result.testResults ?? []).map(assertion),
    });
  }

  onRunComplete(): void {
    this.write({ event: 'done' });
  }

  getLastError(): undefined {
    return undefined;
  }
}
