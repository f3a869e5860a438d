// A trace of one function during one test run: plain data, as the tracers write it (after the
// budget, `traceBudget.ts`, has cut it to size) and as the prompt, the editor and the CLI read it.

/** A value as the tracer rendered it: never the object itself, never the output of user code. */
export interface TraceValue {
  /** `int`, `list`, `Point`, `number`, `Map`, `function`, ... */
  readonly type: string;
  /** A short, bounded rendering: `[1, 2, 3, …(95 more)…, 99]`, `Point(x=1, y=2)`, `'abc'`, `NaN`. */
  readonly text: string;
  /** Elements or characters, for strings and containers. */
  readonly length?: number;
}

export type TraceVars = Readonly<Record<string, TraceValue>>;

export interface TraceStep {
  readonly blockId: string;
  /** The block's visit number within its call, 1-based: the loop iteration for blocks in a loop. */
  readonly iteration: number;
  /** Locals, parameters and touched fields of self/this after the block ran. */
  readonly vars: TraceVars;
  /** How many executed steps of this call the budget left out right before this one. */
  readonly skippedBefore?: number;
}

export interface TraceCall {
  /** Parameters by name as the call received them. */
  readonly args: TraceVars;
  /** 0 for a call from outside the function, 1 for a recursive call from within it, ... */
  readonly depth: number;
  readonly steps: readonly TraceStep[];
  /** Steps executed in this call (kept or not). */
  readonly executedSteps: number;
  readonly returned?: TraceValue;
  readonly threw?: TraceValue;
  /** The call had not finished when the trace ended (budget stop, timeout, endless loop). */
  readonly unfinished?: boolean;
  /** Executed steps after the last kept one that the budget left out. */
  readonly skippedAfter?: number;
}

export interface TraceTarget {
  readonly file: string;
  readonly function: string;
  readonly language: string;
}

/** What a budget or a stop left out; absent (`false`) when the trace is complete. */
export interface Truncation {
  /** Steps executed but not kept, over all calls. */
  readonly droppedSteps: number;
  /** Calls of the function that were not recorded at all (too many, or too deep). */
  readonly droppedCalls: number;
  /** Why recording stopped early: the step budget, the time limit, the program's own exit, a kill, the byte budget. */
  readonly stoppedBy?: 'steps' | 'bytes' | 'time' | 'killed' | 'exit';
  /** One sentence each, for people and prompts: "kept the first and last visits of each block". */
  readonly notes: readonly string[];
}

export interface TraceStats {
  /** Steps kept in the trace. */
  readonly steps: number;
  /** Bytes of the trace as compact JSON. */
  readonly bytes: number;
  readonly elapsedMs: number;
  /** Steps the tracer observed, kept or not. */
  readonly executedSteps?: number;
}

/** The traced run ended before the test did: what the trace shows is all that ran until then. */
export interface EndedEarly {
  /**
   * steps: the step budget stopped it (an endless loop?); time: the time limit; exit: the program
   * ended itself (os._exit, process.exit) while the test ran; killed: the process was killed before
   * the tracer could finish (the trace is what it had written by then).
   */
  readonly by: 'steps' | 'time' | 'exit' | 'killed';
  /** One sentence, for people and prompts. */
  readonly message: string;
}

export interface Trace {
  readonly target: TraceTarget;
  readonly calls: readonly TraceCall[];
  readonly truncated: false | Truncation;
  readonly stats: TraceStats;
  /** Present only when the run ended before the test finished. */
  readonly endedEarly?: EndedEarly;
}

/** The tracer's own limits and the final budget; every field has a default (`defaultTraceBudget`). */
export interface TraceBudget {
  /** Steps kept in the final trace, over all calls. */
  readonly maxSteps: number;
  /** Size of the final trace as compact JSON. */
  readonly maxBytes: number;
  /** Calls kept (the first and the last ones). */
  readonly maxCalls: number;
  /** Nested calls of the function deeper than this are not recorded. */
  readonly maxDepth: number;
  /** Steps the tracer observes before it stops the program (an endless loop ends here). */
  readonly maxExecutedSteps: number;
  /** Wall-clock limit of the traced run; the process tree is killed after it. */
  readonly timeoutMs: number;
  /** Characters of one rendered value. */
  readonly maxValueChars: number;
}

export const defaultTraceBudget: TraceBudget = {
  maxSteps: 300,
  maxBytes: 100_000,
  maxCalls: 20,
  maxDepth: 30,
  maxExecutedSteps: 20_000,
  timeoutMs: 60_000,
  maxValueChars: 160,
};

/** Fills in the defaults and clamps nonsense (negative, NaN) to them. */
export function normalizeTraceBudget(partial: Partial<TraceBudget> = {}): TraceBudget {
  const out: Record<string, number> = { ...defaultTraceBudget };
  for (const key of Object.keys(defaultTraceBudget) as (keyof TraceBudget)[]) {
    const value = partial[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) out[key] = Math.floor(value);
  }
  return out as unknown as TraceBudget;
}

/** Ids of the blocks that ran at least once in kept steps. */
export function executedBlockIds(trace: Trace): Set<string> {
  const ids = new Set<string>();
  for (const call of trace.calls) for (const step of call.steps) ids.add(step.blockId);
  return ids;
}
