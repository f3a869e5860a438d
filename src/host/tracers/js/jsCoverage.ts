// The JavaScript coverage mode's runtime, for the suspicion ranking: which blocks of the target each
// test ran and when each last ran, no values (the twin of ducktrace_spectra.py). The function
// rewritten in coverage mode (src/core/trace/jsInstrument.ts) calls
//   C = R.cov(globalThis)   once per call: the record of the test running now
//   R.c(C, k)               as its block k starts
// The running test is read from the runner itself: node's test runner through root-level
// beforeEach/afterEach hooks installed in the test file's process (followNodeTests), mocha through
// root hooks of a plugin its run loads (jsMochaHooks.ts), jest from its circus state and expect
// state in the test file's sandbox global, vitest from its worker state.
// Each test's record is appended as one JSON line to spectra-PID-THREAD.jsonl in the plan's folder
// when the test ends (node, mocha), when another test starts calling the function, and at exit; a record
// written again is cumulative, so the reader keeps the last line per test. Outcomes and failures
// come from the runner's own report, not from here.
//
// A test that starts more than `maxBlocksPerTest` blocks of the target (an endless loop) fails: the
// block that went over throws, and so does every later one of that test, so a `catch` in the loop
// cannot keep it going; its record says `timedOut`. Where the loop stops depends on the count only,
// never on the machine's speed. Every probe is cheap and guarded: tracing must never fail a test
// that would pass.

import { appendFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { JsTracePlan } from './jsPlan';

/** One line of spectra-PID-THREAD.jsonl. */
export interface JsSpectrumLine {
  /** The test file, absolute and with links resolved. */
  readonly file: string;
  /** The test's enclosing suites and its own name, joined by ' > '. */
  readonly test: string;
  /** Block id -> [times it started, its last start's number in this test's sequence]. */
  readonly blocks: Readonly<Record<string, readonly [number, number]>>;
  readonly timedOut?: boolean;
  /**
   * node and mocha: the outcome as the test's afterEach hook saw it, with the error's message and stack, so a
   * file whose process was killed (a test that never ended) still counts the tests before it.
   */
  readonly outcome?: 'passed' | 'failed';
  readonly error?: { readonly message: string; readonly stack: string };
  /**
   * Node's source maps were on in the process when the record was written (a TypeScript loader
   * such as tsx turns them on, so does --enable-source-maps): its stacks give the user's columns.
   * Off (the coverage mode leaves them off), they give the instrumented text's, which the host maps back.
   */
  readonly sourceMapped?: boolean;
}

/** The default block budget of one test: an endless loop stops after this many blocks of the target. */
export const defaultMaxBlocksPerTest = 5_000_000;

/** Every 2^20 blocks a test's record is written again: the host sees the run is alive. */
const heartbeatMask = (1 << 20) - 1;

export class RunawayTest extends Error {
  constructor(limit: number, name: string) {
    super(`Ducktrace stopped this test: it ran more than ${limit} blocks of ${name} (an endless loop?)`);
    this.name = 'DucktraceRunaway';
  }
}

/** The hit counts of one test (or of calls made outside any test, which are never written). */
export class TestRecord {
  readonly h: Int32Array;
  readonly l: Int32Array;
  q = 0;
  timedOut = false;
  dirty = false;
  outcome?: 'passed' | 'failed';
  error?: { message: string; stack: string };
  constructor(
    readonly file: string,
    readonly test: string,
    blocks: number,
    readonly counted: boolean,
  ) {
    this.h = new Int32Array(blocks);
    this.l = new Int32Array(blocks);
  }
}

interface Task {
  readonly type?: string;
  readonly name?: string;
  readonly suite?: Task;
  readonly file?: { readonly filepath?: string };
  readonly filepath?: string;
}

interface NodeTestContext {
  readonly fullName?: string;
  readonly name?: string;
  readonly passed?: boolean;
  readonly error?: unknown;
}

interface CircusTest {
  readonly name?: string;
  readonly parent?: CircusTest;
}

const noSymbol = Symbol('none');
const jestMatchers = Symbol.for('$$jest-matchers-object');

export class CoverageRecorder {
  entered = false;
  private readonly blockIds: readonly string[];
  private readonly max: number;
  private readonly outside: TestRecord;
  /** Test object of the runner (or the node test's full name) -> its record. */
  private readonly byTest = new Map<unknown, TestRecord>();
  private current: TestRecord | undefined;
  private readonly out: string;
  private warned = false;
  private readonly jestKeys = new WeakMap<object, symbol>();
  /** node and mocha (their hooks say): the tests running now, innermost last (node's subtests run inside their parent). */
  readonly hookedTests: { name: string; record: TestRecord }[] = [];
  private readonly nodeFile: string;

  constructor(
    private readonly plan: Pick<JsTracePlan, 'probes' | 'outDir' | 'maxBlocksPerTest' | 'runner' | 'file'>,
    private readonly onStop: () => void = () => {},
  ) {
    this.blockIds = plan.probes.map((p) => p.blockId);
    this.max = plan.maxBlocksPerTest ?? defaultMaxBlocksPerTest;
    this.outside = new TestRecord('', '', this.blockIds.length, false);
    this.out = join(plan.outDir, `spectra-${process.pid}-${threadId}.jsonl`);
    this.nodeFile = realpath(process.argv[1] ?? '');
  }

  // -- probes

  /** The record of the test running now, for one call of the target. */
  cov(g: unknown): TestRecord {
    this.entered = true;
    try {
      const record = this.runningTest(g) ?? this.outside;
      if (record !== this.current) {
        // Another test took over: the one before is most likely done.
        if (this.current?.dirty) this.flush(this.current);
        this.current = record;
      }
      return record;
    } catch (e) {
      this.guardFailed(e);
      return this.outside;
    }
  }

  /** Block k starts. */
  c(t: TestRecord, k: number): void {
    t.h[k]!++;
    t.l[k] = ++t.q;
    t.dirty = true;
    if ((t.q & heartbeatMask) === 0 && t.counted) {
      // A long test shows the host it is still running the function (its no-progress limit).
      if (t.q > this.max) {
        t.timedOut = true;
        this.flush(t);
        throw new RunawayTest(this.max, this.plan.file);
      }
      this.flush(t);
    } else if (t.q > this.max && t.counted) {
      t.timedOut = true;
      throw new RunawayTest(this.max, this.plan.file);
    }
  }

  // -- tests

  private runningTest(g: unknown): TestRecord | undefined {
    if (this.plan.runner === 'node' || this.plan.runner === 'mocha' || this.plan.runner === undefined) return this.hookedTests[this.hookedTests.length - 1]?.record;
    if (g === null || typeof g !== 'object') return undefined;
    const global = g as Record<string | symbol, unknown>;
    if (this.plan.runner === 'jest') {
      const test = (global[this.jestStateKey(global)] as { currentlyRunningTest?: CircusTest } | undefined)?.currentlyRunningTest;
      if (!test) return undefined;
      return this.recordOf(test, () => {
        const names: string[] = [];
        // The root describe block has no parent and is not a suite of the test's name.
        for (let t: CircusTest | undefined = test; t?.parent; t = t.parent) names.unshift(String(t.name ?? ''));
        const testPath = (global[jestMatchers] as { state?: { testPath?: string } } | undefined)?.state?.testPath ?? '';
        return [testPath, names.join(' > ')];
      });
    }
    const task = (global.__vitest_worker__ as { current?: Task } | undefined)?.current;
    if (!task || task.type !== 'test') return undefined;
    return this.recordOf(task, () => {
      const names = [String(task.name ?? '')];
      for (let s = task.suite; s && s.filepath === undefined; s = s.suite) names.unshift(String(s.name ?? ''));
      return [task.file?.filepath ?? '', names.join(' > ')];
    });
  }

  /** jest-circus keeps its state under a symbol of its own (`Symbol('JEST_STATE_SYMBOL')`) on the sandbox's global. */
  private jestStateKey(global: object): symbol {
    let key = this.jestKeys.get(global);
    if (!key) {
      key = Object.getOwnPropertySymbols(global).find((s) => s.description === 'JEST_STATE_SYMBOL');
      if (!key) return noSymbol;
      this.jestKeys.set(global, key);
    }
    return key;
  }

  private recordOf(key: unknown, describe: () => [string, string]): TestRecord {
    let record = this.byTest.get(key);
    if (!record) {
      const [file, test] = describe();
      record = new TestRecord(realpath(file), test, this.blockIds.length, true);
      this.byTest.set(key, record);
    }
    return record;
  }

  /** node and mocha: a test starts (root-level beforeEach); node runs one test file per process, mocha names the file. */
  testStarts(fullName: string, file?: string): void {
    this.hookedTests.push({ name: fullName, record: new TestRecord(file === undefined ? this.nodeFile : realpath(file), fullName, this.blockIds.length, true) });
  }

  /**
   * node and mocha: the test ends (root-level afterEach): its record is written now, also when it
   * ran no block of the target (the host sees the run make progress, and the outcome is known).
   */
  testEnds(fullName: string, passed: boolean | undefined, error: unknown): void {
    const i = this.hookedTests.map((t) => t.name).lastIndexOf(fullName);
    if (i < 0) return;
    const [ended] = this.hookedTests.splice(i, 1);
    const record = ended!.record;
    if (passed !== undefined) record.outcome = passed ? 'passed' : 'failed';
    if (!passed && error) {
      // node wraps the test's own error (ERR_TEST_FAILURE, the original as cause).
      const own = (error as { code?: unknown; cause?: unknown }).code === 'ERR_TEST_FAILURE' ? ((error as { cause?: unknown }).cause ?? error) : error;
      const e = own as { message?: unknown; stack?: unknown };
      record.error = { message: String(e?.message ?? own).slice(0, 2000), stack: typeof e?.stack === 'string' ? e.stack.slice(0, 8000) : '' };
    }
    this.flush(record);
  }

  // -- output

  private flush(t: TestRecord): void {
    if (!t.counted) return;
    t.dirty = false;
    const blocks: Record<string, [number, number]> = {};
    for (let k = 0; k < t.h.length; k++) if (t.h[k]! > 0) blocks[this.blockIds[k]!] = [t.h[k]!, t.l[k]!];
    const line: JsSpectrumLine = {
      file: t.file,
      test: t.test,
      blocks,
      ...(t.timedOut ? { timedOut: true } : {}),
      ...(t.outcome ? { outcome: t.outcome } : {}),
      ...(t.error ? { error: t.error } : {}),
      ...(this.sourceMapsOn() ? { sourceMapped: true } : {}),
    };
    try {
      appendFileSync(this.out, JSON.stringify(line) + '\n');
    } catch (e) {
      this.guardFailed(e);
    }
  }

  /** Set when something in the process turns Node's source maps on or off (on a Node without process.sourceMapsEnabled). */
  sourceMapsSet: boolean | undefined;

  private sourceMapsOn(): boolean {
    const enabled = (process as { sourceMapsEnabled?: unknown }).sourceMapsEnabled;
    if (typeof enabled === 'boolean') return enabled;
    return this.sourceMapsSet ?? (process.execArgv.includes('--enable-source-maps') || /(^|\s)--enable-source-maps\b/.test(process.env.NODE_OPTIONS ?? ''));
  }

  /** Writes every record not written yet (at exit, and when vitest's test file is done). */
  write(): void {
    for (const t of [...this.byTest.values(), ...this.hookedTests.map((n) => n.record)]) if (t.dirty) this.flush(t);
  }

  /** At exit: every record not written yet. */
  writeAtExit(): void {
    this.write();
  }

  /** The host asked the run to stop (its time limit): the records so far are written, then the process ends. */
  stop(): void {
    try {
      this.write();
    } finally {
      this.onStop();
    }
  }

  private guardFailed(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    try {
      process.stderr.write(`ducktrace coverage: tracing error (the test continues): ${String(e)}\n`);
    } catch {
      // nowhere to say it
    }
  }
}

/**
 * node's test runner, in the process that runs one test file: root-level hooks tell the recorder
 * which test runs (`fullName` joins the suites and the name with ' > ', as the report's names are
 * joined to match). Hooks of the root test run around every test of the file, nested ones too.
 */
export function followNodeTests(recorder: CoverageRecorder): void {
  // Loaded here only: a process that is not running node's tests must not start its harness.
  const nodeTest = require('node:test') as {
    beforeEach(fn: (t: NodeTestContext) => void): void;
    afterEach(fn: (t: NodeTestContext) => void): void;
  };
  nodeTest.beforeEach((t) => recorder.testStarts(String(t.fullName ?? t.name ?? '')));
  nodeTest.afterEach((t) => recorder.testEnds(String(t.fullName ?? t.name ?? ''), t.passed, t.error));
}

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
