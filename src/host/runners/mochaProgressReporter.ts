// A mocha reporter (bundled on its own into dist/ducktraceMochaReporter.js) that writes each test's
// start and result, and each test file's start and end, as one JSON line the moment mocha reports
// it, in the progress-line format Ducktrace's jest and vitest reporters write
// (src/core/failures/progressReport.ts): one parser reads all three. When a test loops forever and
// Ducktrace has to kill the run, the lines still hold every result before it and the test that was
// running. Mocha's own spec reporter runs beside it for the output the user sees. It runs inside
// the user's mocha (8 and later, one process: Ducktrace's runs leave out --parallel), so it depends
// on nothing but Node. A reporter changes nothing the tests see.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';

interface MochaSuite {
  title?: string;
  root?: boolean;
  parent?: MochaSuite;
  file?: string;
}

interface MochaRunnable {
  title?: string;
  type?: string;
  file?: string;
  duration?: number;
  parent?: MochaSuite;
  ctx?: { currentTest?: MochaRunnable };
}

interface MochaRunner {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

const maxValueChars = 20_000;

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : inspect(value, { depth: 6, breakLength: 80 });
  return text.length > maxValueChars ? `${text.slice(0, maxValueChars)}…` : text;
}

/** Suite titles from the outermost down, the root suite (no title) left out. */
function suiteTitles(suite: MochaSuite | undefined): string[] {
  const titles: string[] = [];
  for (let s = suite; s && !s.root; s = s.parent) titles.unshift(String(s.title ?? ''));
  return titles;
}

function fileOf(runnable: MochaRunnable): string {
  if (runnable.file) return runnable.file;
  for (let s = runnable.parent; s; s = s.parent) if (s.file) return s.file;
  return '';
}

/** The error as jest's report would give it: `Name: message` then the stack's frames. */
function failureText(err: unknown): string {
  if (err === null || typeof err !== 'object') return `Error: ${show(err)}`;
  const e = err as { name?: unknown; message?: unknown; stack?: unknown };
  const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : show(err);
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  return [`${name}: ${message}`, ...frames].join('\n');
}

/** The assertion's expected and actual values (node's assert and chai set them), as text. */
function failureDetails(err: unknown): unknown[] | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { expected?: unknown; actual?: unknown; showDiff?: unknown };
  if (!('expected' in e) && !('actual' in e)) return undefined;
  if (e.showDiff === false && e.expected === undefined && e.actual === undefined) return undefined;
  return [{ matcherResult: { expected: show(e.expected), actual: show(e.actual) } }];
}

export class ProgressReporter {
  private currentFile: string | undefined;
  private failedFiles = new Set<string>();

  constructor(runner: MochaRunner, options: unknown, private readonly file: string, mochaDir?: string) {
    writeFileSync(file, '');
    if (mochaDir) {
      // The human output: mocha's own spec reporter, from the mocha that runs the tests.
      try {
        const Spec = require(join(mochaDir, 'lib', 'reporters', 'spec.js')) as new (runner: MochaRunner, options: unknown) => unknown;
        new Spec(runner, options);
      } catch {
        // no spec reporter: the results are still written
      }
    }
    runner.on('start', () => this.write({ event: 'runStart' }));
    runner.on('test', (test: MochaRunnable) => {
      const file = this.enter(fileOf(test));
      this.write({ event: 'testStart', file, ancestorTitles: suiteTitles(test.parent), title: String(test.title ?? '') });
    });
    runner.on('pass', (test: MochaRunnable) => this.result(test, 'passed'));
    runner.on('pending', (test: MochaRunnable) => {
      this.enter(fileOf(test));
      this.result(test, 'skipped');
    });
    runner.on('fail', (runnable: MochaRunnable, err: unknown) => {
      if (runnable.type === 'hook') {
        // A hook that throws: its own entry (`"before each" hook for "x"`) under its suite; mocha skips the tests it guards.
        const file = this.enter(fileOf(runnable));
        this.failedFiles.add(file);
        this.write({ event: 'test', file, ancestorTitles: suiteTitles(runnable.parent), title: String(runnable.title ?? 'hook'), status: 'failed', duration: runnable.duration ?? null, failureMessages: [failureText(err)] });
        return;
      }
      this.result(runnable, 'failed', err);
    });
    runner.on('end', () => {
      this.leave();
      this.write({ event: 'done' });
    });
  }

  private write(line: Record<string, unknown>): void {
    // Synchronously: a test that loops forever right after this line must not keep it in a buffer.
    appendFileSync(this.file, JSON.stringify(line) + '\n');
  }

  /** Mocha runs one file after the other: a test of another file means the previous one ended. */
  private enter(file: string): string {
    if (file !== this.currentFile) {
      this.leave();
      this.currentFile = file;
      if (file) this.write({ event: 'fileStart', file });
    }
    return file;
  }

  private leave(): void {
    const file = this.currentFile;
    if (!file) return;
    this.write({ event: 'file', file, status: this.failedFiles.has(file) ? 'failed' : 'passed', message: '' });
    this.currentFile = undefined;
  }

  private result(test: MochaRunnable, status: 'passed' | 'failed' | 'skipped', err?: unknown): void {
    const file = this.enter(fileOf(test));
    if (status === 'failed') this.failedFiles.add(file);
    const details = status === 'failed' ? failureDetails(err) : undefined;
    this.write({
      event: 'test',
      file,
      ancestorTitles: suiteTitles(test.parent),
      title: String(test.title ?? ''),
      status,
      duration: typeof test.duration === 'number' ? test.duration : null,
      failureMessages: status === 'failed' ? [failureText(err)] : [],
      ...(details ? { failureDetails: details } : {}),
    });
  }
}
