// node's built-in test runner, through Ducktrace's reporter (src/host/runners/nodeTestReporter.ts):
// one JSON object per line. Suites are rebuilt from `test:start` events, which node emits in
// declaration order with their nesting level.
import { v8Frames } from './frames';
import { capText, testIdOf, type TestCaseResult, type TestFailure } from './testFailure';

interface NodeEvent {
  type: string;
  name?: string;
  nesting?: number;
  file?: string;
  line?: number;
  kind?: 'suite' | 'test';
  skip?: boolean;
  todo?: boolean;
  durationMs?: number;
  message?: string;
  error?: NodeError;
}

interface NodeError {
  name?: string;
  message?: string;
  stack?: string;
  code?: string;
  failureType?: string;
  expected?: string;
  actual?: string;
  operator?: string;
  cause?: NodeError;
}

/** The test's own error: node wraps it in ERR_TEST_FAILURE with the original as `cause`. */
function ownError(error: NodeError | undefined): NodeError | undefined {
  if (!error) return undefined;
  if (error.code === 'ERR_TEST_FAILURE' && error.cause) return error.cause;
  return error;
}

export function parseNodeTestEvents(text: string, cwd: string): TestCaseResult[] {
  const events: NodeEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as NodeEvent);
    } catch {
      // cut short by a killed run
    }
  }
  const stacks = new Map<string, string[]>();
  const outputByFile = new Map<string, string[]>();
  const results: TestCaseResult[] = [];
  for (const e of events) {
    const file = e.file ?? '';
    if (e.type === 'test:stdout' || e.type === 'test:stderr') {
      const list = outputByFile.get(file) ?? [];
      list.push(e.message ?? '');
      outputByFile.set(file, list);
      continue;
    }
    if (e.type === 'test:start') {
      const stack = stacks.get(file) ?? [];
      stack.length = e.nesting ?? 0;
      stack.push(e.name ?? '');
      stacks.set(file, stack);
      continue;
    }
    if (e.type !== 'test:pass' && e.type !== 'test:fail') continue;
    if (e.kind === 'suite') continue;
    const error = e.error;
    // A suite that only reports its subtests' failures is not a test of its own.
    if (error?.failureType === 'subtestsFailed') continue;
    const stack = stacks.get(file) ?? [];
    const suitePath = stack.slice(0, e.nesting ?? 0);
    const name = e.name ?? '';
    // A file that failed to load is reported as a test named after the file.
    const fileLevel = name === file && (e.nesting ?? 0) === 0;
    const testId = fileLevel ? testIdOf(file, [], '(file)') : testIdOf(file, suitePath, name);
    const fileOutput = (outputByFile.get(file) ?? []).join('');
    let failure: TestFailure | undefined;
    let output = '';
    if (e.type === 'test:fail') {
      const own = ownError(error);
      const stackText = own?.stack ?? '';
      let message = (own?.message ?? error?.message ?? 'failed').trim();
      if (fileLevel) {
        // The reason is in what the file printed (SyntaxError, a missing module...).
        const reason = /^(\w*Error\b.*)$/m.exec(fileOutput)?.[1];
        message = reason ? `${reason} (the test file did not load)` : 'the test file did not load';
      }
      output = capText([stackText, fileLevel ? fileOutput : ''].filter(Boolean).join('\n\n'));
      const frames = v8Frames(fileLevel ? fileOutput : stackText, cwd);
      failure = {
        testId,
        framework: 'node',
        file,
        line: e.line ?? 0,
        name: fileLevel ? file : name,
        message,
        ...(own?.expected !== undefined && own.actual !== undefined ? { expected: own.expected, actual: own.actual } : {}),
        stack: frames.length || !fileLevel ? frames : locationFromSyntaxError(fileOutput, cwd),
        output,
      };
    }
    results.push({
      testId,
      framework: 'node',
      file,
      ...(e.line !== undefined && !fileLevel ? { line: e.line } : {}),
      name: fileLevel ? '(file)' : name,
      suitePath: fileLevel ? [] : suitePath,
      outcome: e.skip || e.todo ? 'skipped' : e.type === 'test:pass' ? 'passed' : 'failed',
      ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      output,
      ...(failure ? { failure } : {}),
      ...(fileLevel ? { fileLevel: true } : {}),
    });
  }
  return results;
}

/** `/path/file.js:3` as Node prints it above a syntax error. */
function locationFromSyntaxError(output: string, cwd: string) {
  const m = /^(\S+\.[cm]?[jt]sx?):(\d+)$/m.exec(output);
  return m ? v8Frames(`    at ${m[1]}:${m[2]}:1`, cwd) : [];
}
