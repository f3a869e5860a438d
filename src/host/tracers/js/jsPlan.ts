// What the host and the traced test process agree on: the plan file's shape, the environment
// variable naming it, and how the target's text is recognised (compared as text, not hashed: the
// test process then never loads node:crypto, ~12 ms of its start-up, in the runner's parent too).

import type { InstrumentMode, Probe, SourceMapJson } from '../../../core/trace/jsInstrument';
import type { TraceBudget } from '../../../core/trace/traceModel';

export const planEnv = 'DUCKTRACE_JS_PLAN';
/** Set for the call census: the register module writes V8's coverage before a SIGTERM ends the process. */
export const coverageFlushEnv = 'DUCKTRACE_JS_COVERAGE_FLUSH';
/** The exit code of a test process the tracer stopped (step budget, or told to stop at the time limit), as in Python. */
export const stoppedExitCode = 124;

/** The test runner the traced test runs under: where the target's text is swapped for the instrumented one. */
export type JsRunner = 'node' | 'jest' | 'vitest' | 'mocha';

/** What the host hands the test process (as JSON, its path in DUCKTRACE_JS_PLAN). */
export interface JsTracePlan {
  /** The target file's path; compared by real path. */
  readonly file: string;
  /** The file's text as Ducktrace read and instrumented it (no byte order mark): a file changed since is left alone. */
  readonly source: string;
  readonly instrumented: string;
  readonly probes: readonly Probe[];
  readonly params: readonly string[];
  readonly thisArg: boolean;
  /** Public `this` fields, read from own data properties (private ones come as probe slots). */
  readonly selfFields: readonly string[];
  readonly budget: TraceBudget;
  /** Where each traced process writes `trace-PID-THREAD.json`. */
  readonly outDir: string;
  /**
   * node (default) and mocha: swapped as Node compiles the file (CommonJS `_compile`, ESM loader hook).
   * jest: swapped when jest's runtime reads the file (fs.readFileSync), before its own transform.
   * vitest: swapped by a Vite plugin in the main process; the preload only installs the recorder.
   */
  readonly runner?: JsRunner;
  /** values (default): the tracer's Recorder; coverage: which blocks each test ran (jsCoverage.ts). */
  readonly mode?: InstrumentMode;
  /** The instrumented text's source map (also inline in it), for a transform that takes one (Vite). */
  readonly map?: SourceMapJson;
  /** Coverage: a test that starts more blocks of the target than this fails as an endless loop. */
  readonly maxBlocksPerTest?: number;
}

/** The text as the plan keeps it: a byte order mark is not part of the text Node compiles. */
export function plannedSource(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** `text` (what Node, a TypeScript loader, jest or Vite hands over) is the text Ducktrace instrumented. */
export function isPlannedSource(text: string, plan: Pick<JsTracePlan, 'source'>): boolean {
  return plannedSource(text) === plan.source;
}
