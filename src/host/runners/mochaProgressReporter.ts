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
  tests?: MochaRunnable[];
  suites?: MochaSuite[];
}

interface MochaRunnable {
  title?: string;
  fullTitle?: () => string;
  type?: string;
  file?: string;
  duration?: number;
  parent?: MochaSuite;
  ctx?: { currentTest?: MochaRunnable };
}

interface MochaRunner {
  on(event: string, listener: (...args: never[]) => void): unknown;
  suite?: MochaSuite;
  /** What --grep made of the pattern, and --invert (mocha's own fields, 8 to 11). */
  _grep?: RegExp;
  _invert?: boolean;
}

/** Every test under a suite, nested suites included. */
function testsUnder(suite: MochaSuite | undefined, out: MochaRunnable[] = []): MochaRunnable[] {
  if (!suite) return out;
  out.push(...(suite.tests ?? []));
  for (const child of suite.suites ?? []) testsUnder(child, out);
  return out;
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

/**
 * A file has ended when each of its tests that --grep lets run has a result or its suite has ended
 * (a failing `before` hook skips the rest). Not when another file's test starts: the tests at a
 * file's top level all belong to mocha's one root suite, which runs before any `describe` block, so
 * files interleave.
 */
export class ProgressReporter {
  private readonly started = new Set<string>();
  private readonly ended = new Set<string>();
  private readonly failedFiles = new Set<string>();
  /** The tests of each file still to come. */
  private readonly pending = new Map<string, Set<MochaRunnable>>();

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
    runner.on('start', () => {
      const grep = runner._grep;
      const runs = (t: MochaRunnable) => !grep || typeof t.fullTitle !== 'function' || grep.test(t.fullTitle()) !== !!runner._invert;
      for (const t of testsUnder(runner.suite)) {
        if (!runs(t)) continue;
        const file = fileOf(t);
        const set = this.pending.get(file) ?? new Set<MochaRunnable>();
        set.add(t);
        this.pending.set(file, set);
      }
      this.write({ event: 'runStart' });
    });
    runner.on('suite end', (suite: MochaSuite) => {
      for (const t of testsUnder(suite)) this.account(t);
    });
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
      for (const file of this.started) this.end(file);
      this.write({ event: 'done' });
    });
  }

  private write(line: Record<string, unknown>): void {
    // Synchronously: a test that loops forever right after this line must not keep it in a buffer.
    appendFileSync(this.file, JSON.stringify(line) + '\n');
  }

  private enter(file: string): string {
    if (file && !this.started.has(file)) {
      this.started.add(file);
      this.write({ event: 'fileStart', file });
    }
    return file;
  }

  /** A test that will not run (any more): its file ends with its last one. */
  private account(test: MochaRunnable): void {
    const file = fileOf(test);
    const left = this.pending.get(file);
    if (!left?.delete(test) || left.size > 0) return;
    if (this.started.has(file)) this.end(file);
  }

  private end(file: string): void {
    if (this.ended.has(file)) return;
    this.ended.add(file);
    this.write({ event: 'file', file, status: this.failedFiles.has(file) ? 'failed' : 'passed', message: '' });
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
    this.account(test);
  }
}
