// jest (`--json --testLocationInResults`) and vitest (`--reporter=json --includeTaskLocation`)
// write the same JSON shape; jest adds `failureDetails` with the matcher's expected and actual,
// vitest only says them in the message. Ducktrace's mocha reporter writes the same shape (its
// progress lines), with the assertion's expected and actual as `failureDetails` and no line.
import { stripVTControlCharacters } from 'node:util';
import { chaiExpectedActual, showValue, type ExpectedActual } from './assertionValues';

/** The runners whose results come in jest's report shape. */
export type JestShaped = 'jest' | 'vitest' | 'mocha';
import { v8Frames } from './frames';
import { capText, testIdOf, type TestCaseResult, type TestFailure } from './testFailure';

export interface AssertionResult {
  ancestorTitles?: string[];
  title?: string;
  fullName?: string;
  status?: string;
  duration?: number | null;
  failureMessages?: string[];
  failureDetails?: { matcherResult?: { expected?: unknown; actual?: unknown } }[];
  location?: { line?: number; column?: number } | null;
}

export interface FileResult {
  name?: string;
  status?: string;
  message?: string;
  assertionResults?: AssertionResult[];
}

export interface JestJson {
  testResults?: FileResult[];
}

/** What jest and vitest add in front of an error message. */
function messageOf(failureText: string): string {
  const lines = stripVTControlCharacters(failureText).split(/\r?\n/);
  const firstAt = lines.findIndex((l) => /^\s+at /.test(l));
  const head = (firstAt < 0 ? lines : lines.slice(0, firstAt)).join('\n').trim();
  return head.replace(/^(Error|AssertionError): /, '');
}

function expectedActual(framework: JestShaped, a: AssertionResult, text: string): ExpectedActual | undefined {
  const matcher = a.failureDetails?.find((d) => d && d.matcherResult && ('expected' in d.matcherResult || 'actual' in d.matcherResult))?.matcherResult;
  if (matcher) return { expected: showValue(matcher.expected), actual: showValue(matcher.actual) };
  return framework === 'jest' ? jestMessageValues(text) : chaiExpectedActual(text);
}

/** jest's, vitest's and mocha's own per-test timeout messages (jest 22: "Timeout - Async callback was not invoked"). */
export function isRunnerTimeout(message: string): boolean {
  return /^(thrown: )?"?Exceeded timeout of \d+ ?ms for a (test|hook)|^Timeout - Async callback was not invoked|^Test timed out in \d+ ?ms|^Timeout of \d+ ?ms exceeded\. For async tests and hooks/im.test(message);
}

/**
 * Expected and received values as jest's message prints them when the report has no matcher
 * details (jest 22): `Expected: 2` / `Received: 1`, or `Expected value to be:` with the value on
 * the next line. Only one-line values are taken.
 */
export function jestMessageValues(message: string): ExpectedActual | undefined {
  const m = /^[ \t]*Expected[^:\n]*:[ \t]*(?:\n[ \t]+)?(\S.*)\n(?:[ \t]*\n)*[ \t]*Received[^:\n]*:[ \t]*(?:\n[ \t]+)?(\S.*)$/m.exec(message);
  return m ? { expected: m[1].trim(), actual: m[2].trim() } : undefined;
}

export function parseJestJson(json: string, framework: JestShaped, cwd: string): TestCaseResult[] {
  return parseJestReport(JSON.parse(json) as JestJson, framework, cwd);
}

/** The report as an object: from the runner's JSON file, or rebuilt from the progress lines of a run Ducktrace had to stop. */
export function parseJestReport(report: JestJson, framework: JestShaped, cwd: string): TestCaseResult[] {
  const results: TestCaseResult[] = [];
  for (const fileResult of report.testResults ?? []) {
    const file = fileResult.name ?? '';
    const tests = fileResult.assertionResults ?? [];
    if (tests.length === 0 && fileResult.status === 'failed') {
      // The file did not load (syntax error, missing import): one failure for the whole file.
      const text = stripVTControlCharacters(fileResult.message || 'the test file failed to run');
      const testId = testIdOf(file, [], '(file)');
      const message = messageOf(text.replace(/^\s*● Test suite failed to run\s*/, '')).split('\n')[0];
      const frames = v8Frames(text, cwd);
      const location = /\((\d+):(\d+)\)/.exec(message);
      const failure: TestFailure = {
        testId,
        framework,
        file,
        line: location ? Number(location[1]) : 0,
        name: file,
        message: message || 'the test file failed to run',
        stack: frames.length ? frames : location ? [{ file, line: Number(location[1]), column: Number(location[2]) }] : [],
        output: capText(text),
      };
      results.push({ testId, framework, file, name: '(file)', suitePath: [], outcome: 'failed', output: failure.output, failure, fileLevel: true });
      continue;
    }
    for (const a of tests) {
      // vitest 1 puts a file's tests in an unnamed root suite: no suite of the user's.
      const suitePath = (a.ancestorTitles ?? []).filter((t, i) => !(framework === 'vitest' && i === 0 && t === ''));
      const name = a.title ?? a.fullName ?? '';
      const testId = testIdOf(file, suitePath, name);
      const line = a.location?.line ?? undefined;
      const status = a.status ?? '';
      const outcome = status === 'passed' ? 'passed' : status === 'failed' ? 'failed' : 'skipped';
      const text = stripVTControlCharacters((a.failureMessages ?? []).join('\n\n'));
      let failure: TestFailure | undefined;
      if (outcome === 'failed') {
        const message = messageOf(a.failureMessages?.[0] ?? 'failed');
        failure = {
          testId,
          framework,
          file,
          line: line ?? 0,
          name,
          message,
          ...(expectedActual(framework, a, message) ?? {}),
          stack: v8Frames(stripVTControlCharacters(a.failureMessages?.[0] ?? ''), cwd),
          output: capText(text),
          ...(isRunnerTimeout(message) ? { timedOut: true } : {}),
        };
      }
      results.push({
        testId,
        framework,
        file,
        ...(line !== undefined ? { line } : {}),
        name,
        suitePath,
        outcome,
        ...(typeof a.duration === 'number' ? { durationMs: a.duration } : {}),
        output: capText(text),
        ...(failure ? { failure } : {}),
      });
    }
  }
  return results;
}
