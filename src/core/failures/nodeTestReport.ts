// node's built-in test runner, through Ducktrace's reporter (src/host/runners/nodeTestReporter.ts):
// one JSON object per line. Suites are rebuilt from `test:start` events, which node emits in
// declaration order with their nesting level.
import { stripVTControlCharacters } from 'node:util';
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
      // A project that forces colours (FORCE_COLOR) gets them in assertion messages too.
      const stackText = stripVTControlCharacters(own?.stack ?? '');
      let message = stripVTControlCharacters(own?.message ?? error?.message ?? 'failed').trim();
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
        ...(own?.expected !== undefined && own.actual !== undefined ? { expected: stripVTControlCharacters(own.expected), actual: stripVTControlCharacters(own.actual) } : {}),
        stack: frames.length || !fileLevel ? frames : locationFromSyntaxError(fileOutput, cwd),
        output,
        ...(error?.failureType === 'testTimeoutFailure' || own?.failureType === 'testTimeoutFailure' ? { timedOut: true } : {}),
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

export interface NodeRunProgress {
  readonly startedFiles: ReadonlySet<string>;
  /** Files whose run ended (`test:complete` of the file, or its own pass or fail). */
  readonly finishedFiles: ReadonlySet<string>;
  /** The innermost test of each file that was taken up and did not end, with its suites. */
  readonly running: readonly { file: string; suitePath: string[]; name: string; line?: number }[];
  readonly started: boolean;
}

/** Where a run of node's test runner had got to, from the reporter's progress events (Node 20+). */
export function nodeTestProgress(text: string): NodeRunProgress {
  const startedFiles = new Set<string>();
  const finishedFiles = new Set<string>();
  // Per file, what is open at each nesting level: the file's own test is the one named after it.
  const open = new Map<string, ({ name: string; line?: number } | undefined)[]>();
  let started = false;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let e: NodeEvent & { column?: number };
    try {
      e = JSON.parse(raw) as NodeEvent;
    } catch {
      continue;
    }
    started = true;
    const file = e.file ?? '';
    if (!file) continue;
    const isFile = e.name === file && (e.nesting ?? 0) === 0;
    if (e.type === 'test:dequeue' || e.type === 'test:start') startedFiles.add(file);
    if (isFile) {
      if (e.type === 'test:complete' || e.type === 'test:pass' || e.type === 'test:fail') finishedFiles.add(file);
      continue;
    }
    const levels = open.get(file) ?? [];
    open.set(file, levels);
    const nesting = e.nesting ?? 0;
    if (e.type === 'test:dequeue') {
      levels.length = nesting;
      levels[nesting] = { name: e.name ?? '', ...(e.line !== undefined ? { line: e.line } : {}) };
    } else if (e.type === 'test:complete' && levels[nesting]?.name === e.name) {
      levels.length = nesting;
    }
  }
  const running: { file: string; suitePath: string[]; name: string; line?: number }[] = [];
  for (const [file, levels] of open) {
    if (finishedFiles.has(file) || levels.length === 0) continue;
    const chain = levels.filter((l): l is { name: string; line?: number } => !!l);
    const innermost = chain[chain.length - 1];
    if (innermost) running.push({ file, suitePath: chain.slice(0, -1).map((l) => l.name), name: innermost.name, ...(innermost.line !== undefined ? { line: innermost.line } : {}) });
  }
  return { startedFiles, finishedFiles, running, started };
}
