// What the terminal-output parsers (pytestTerminal.ts, nodeSpecTerminal.ts, jestTerminal.ts,
// vitestTerminal.ts) share: the run they return, the known tests that name a passed test's file,
// the failed and passed records built the way the report parsers build them (same test ids), and
// the small text helpers (dedent, indentation, an error's name taken off its message).

import { capText, testIdOf, type DiscoveredTest, type Framework, type TestCaseResult, type TestFailure } from './testFailure';

export interface TerminalRun {
  /** Failed tests (and passed ones where the output lists them), with the report parsers' test ids. */
  readonly results: TestCaseResult[];
  /** Absolute paths of the test files the output shows ran, when it says. */
  readonly files: string[];
}

/** A test known before the run (the Testing view's discovery): where a name the output prints without its file lives. */
export type KnownTest = Pick<DiscoveredTest, 'file' | 'suitePath' | 'name'>;

/** The one known test with this name (and suites, and file, where given); undefined when none or several. */
export function uniqueKnown(known: readonly KnownTest[], name: string, suitePath?: readonly string[], file?: string): KnownTest | undefined {
  const found = known.filter((k) => k.name === name && (!suitePath || k.suitePath.join('\u0000') === suitePath.join('\u0000')) && (!file || k.file === file));
  return found.length === 1 ? found[0] : undefined;
}

export function failed(framework: Framework, file: string, suitePath: string[], name: string, fields: Omit<TestFailure, 'testId' | 'framework' | 'file' | 'name' | 'line'> & { line?: number }, extra: { fileLevel?: boolean; nodeId?: string } = {}): TestCaseResult {
  const testName = extra.fileLevel ? (framework === 'pytest' ? '(collection)' : '(file)') : name;
  const testId = testIdOf(file, extra.fileLevel ? [] : suitePath, testName);
  const failure: TestFailure = { testId, framework, file, name, ...fields, line: fields.line ?? 0, output: capText(fields.output) };
  return {
    testId,
    framework,
    file,
    ...(fields.line ? { line: fields.line } : {}),
    name: testName,
    suitePath: extra.fileLevel ? [] : suitePath,
    outcome: 'failed',
    output: failure.output,
    failure,
    ...(extra.nodeId ? { nodeId: extra.nodeId } : {}),
    ...(extra.fileLevel ? { fileLevel: true } : {}),
  };
}

export function passed(framework: Framework, file: string, suitePath: readonly string[], name: string, outcome: 'passed' | 'skipped' = 'passed'): TestCaseResult {
  return { testId: testIdOf(file, suitePath, name), framework, file, name, suitePath: [...suitePath], outcome, output: '' };
}

export function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(min, l.length - l.trimStart().length)));
}

export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** `Error: x`, `AssertionError [ERR_ASSERTION]: x` -> `x` (the report parsers keep the message only). */
export function withoutErrorName(message: string): string {
  return message.replace(/^[\w$.]*(?:Error|Exception)(?: \[[A-Z_]+\])?: /, '');
}

export function uniqueByTestId(results: TestCaseResult[]): TestCaseResult[] {
  const seen = new Set<string>();
  return results.filter((r) => (seen.has(r.testId) ? false : (seen.add(r.testId), true)));
}
