// Cutting a raw trace down to the budget. The tracers record generously (every step up to their
// own limits, then first visits, type changes and a ring of the latest steps); this decides what
// the prompt and the editor see. LDB keeps the first and last 5 blocks of a long loop; we keep,
// for every call: its first and last steps, every block's first and last visits, and every visit
// where a variable took a new kind of value (None -> list, 0 -> negative, empty -> non-empty),
// then fill what budget is left with the steps nearest the start and the end of each call.

import type { Trace, TraceBudget, TraceCall, TraceStep, TraceTarget, TraceValue, TraceVars, Truncation } from './traceModel';

/** A step as a tracer writes it: `index` counts every executed step of the call from 0. */
export interface RawStep {
  readonly index: number;
  readonly blockId: string;
  readonly iteration: number;
  readonly vars: TraceVars;
}

export interface RawCall {
  readonly args: TraceVars;
  readonly depth: number;
  readonly steps: readonly RawStep[];
  /** Steps executed in the call, including those the tracer did not keep. */
  readonly executedSteps: number;
  readonly returned?: TraceValue;
  readonly threw?: TraceValue;
  readonly unfinished?: boolean;
}

/** What the Python and JavaScript tracers write (the JSON file they leave behind). */
export interface RawTrace {
  readonly calls: readonly RawCall[];
  /** Calls the tracer did not record: beyond its call limit (it keeps the first and last ones). */
  readonly droppedCalls?: number;
  /** Calls nested deeper than the depth limit, not recorded. */
  readonly droppedDeepCalls?: number;
  /**
   * steps, time: the tracer stopped the program (budget, its host's time limit); signal: it was
   * told to stop (the host's SIGTERM: `settleRunEnd` tells time from kill); exit: the program
   * ended itself while the test ran; killed: it died before the tracer could write the end.
   */
  readonly stoppedBy?: 'steps' | 'time' | 'killed' | 'signal' | 'exit';
  /** With `exit`: the code the program gave. */
  readonly exitCode?: number;
  /** Written while the test still ran (a checkpoint): the process ended without the tracer's last word. */
  readonly partial?: boolean;
  readonly executedSteps?: number;
  readonly elapsedMs?: number;
  /** The tracer's own remarks on what it could not see. */
  readonly notes?: readonly string[];
}

/**
 * The raw trace as the run left it, with how it ended settled: `undefined` when no trace was
 * written at all, a checkpoint (`partial`) when the process died before the tracer's last write,
 * `signal` when the host stopped it (its time limit, or a kill or cancel).
 */
export function settleRunEnd(raw: RawTrace | undefined, run: { readonly timedOut: boolean; readonly elapsedMs: number }): RawTrace {
  if (!raw) return { calls: [], ...(run.timedOut ? { stoppedBy: 'killed' as const } : {}), elapsedMs: run.elapsedMs };
  if (raw.stoppedBy === 'signal') return { ...raw, stoppedBy: run.timedOut ? 'time' : 'killed' };
  if (raw.partial && !raw.stoppedBy) return { ...raw, stoppedBy: run.timedOut ? 'time' : 'killed' };
  return raw;
}

const endedEarlyBy: Readonly<Record<NonNullable<RawTrace['stoppedBy']>, 'steps' | 'time' | 'exit' | 'killed'>> = {
  steps: 'steps',
  time: 'time',
  signal: 'killed',
  exit: 'exit',
  killed: 'killed',
};

/**
 * The kind of a value, coarser than the value and finer than the type: a change of kind is worth
 * showing (a counter going negative, a list emptying, None turning into something).
 */
export function valueKind(value: TraceValue): string {
  const t = value.type;
  const text = value.text;
  if (t === 'int' || t === 'float' || t === 'number' || t === 'bigint' || t === 'Decimal' || t === 'Fraction') {
    if (/^-?nan$/i.test(text) || text === 'NaN') return `${t}:nan`;
    if (/inf/i.test(text)) return `${t}:${text.startsWith('-') ? '-inf' : 'inf'}`;
    const n = Number(text.replace(/n$/, ''));
    if (Number.isNaN(n)) return t;
    return `${t}:${n < 0 ? 'neg' : n === 0 ? 'zero' : 'pos'}`;
  }
  if (t === 'bool' || t === 'boolean') return `${t}:${text}`;
  if (value.length !== undefined) return `${t}:${value.length === 0 ? 'empty' : 'nonempty'}`;
  return t;
}

const stepPriority = { callEnds: 0, blockEnds: 1, newKind: 2, rest: 3 } as const;

interface Candidate {
  readonly call: number;
  readonly position: number;
  readonly tier: number;
  /** Distance to the nearer end of its call, in kept raw steps. */
  readonly distance: number;
}

function candidatesOf(call: RawCall, callIndex: number): Candidate[] {
  const steps = call.steps;
  const tier = steps.map(() => stepPriority.rest as number);
  const raise = (i: number, t: number) => {
    if (t < tier[i]) tier[i] = t;
  };
  if (steps.length) {
    raise(0, stepPriority.callEnds);
    raise(steps.length - 1, stepPriority.callEnds);
  }
  const firstVisit = new Map<string, number>();
  const lastVisit = new Map<string, number>();
  const kindsSeen = new Map<string, Set<string>>();
  for (const [name, value] of Object.entries(call.args)) kindsSeen.set(name, new Set([valueKind(value)]));
  steps.forEach((step, i) => {
    if (!firstVisit.has(step.blockId)) firstVisit.set(step.blockId, i);
    lastVisit.set(step.blockId, i);
    for (const [name, value] of Object.entries(step.vars)) {
      const kind = valueKind(value);
      let seen = kindsSeen.get(name);
      if (!seen) kindsSeen.set(name, (seen = new Set()));
      if (!seen.has(kind)) {
        seen.add(kind);
        raise(i, stepPriority.newKind);
      }
    }
  });
  for (const i of [...firstVisit.values(), ...lastVisit.values()]) raise(i, stepPriority.blockEnds);
  return steps.map((_, i) => ({ call: callIndex, position: i, tier: tier[i], distance: Math.min(i, steps.length - 1 - i) }));
}

function byImportance(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || a.distance - b.distance || a.call - b.call || a.position - b.position;
}

function shortenValue(value: TraceValue, chars: number): TraceValue {
  return value.text.length <= chars ? value : { ...value, text: `${value.text.slice(0, Math.max(1, chars - 1))}…` };
}

function shortenVars(vars: TraceVars, chars: number): TraceVars {
  const out: Record<string, TraceValue> = {};
  for (const [name, value] of Object.entries(vars)) out[name] = shortenValue(value, chars);
  return out;
}

function buildCall(call: RawCall, keep: ReadonlySet<number>, valueChars: number): TraceCall {
  const steps: TraceStep[] = [];
  let previous = -1;
  call.steps.forEach((raw, position) => {
    if (!keep.has(position)) return;
    const skipped = raw.index - previous - 1;
    const vars = valueChars < Infinity ? shortenVars(raw.vars, valueChars) : raw.vars;
    steps.push(skipped > 0 ? { blockId: raw.blockId, iteration: raw.iteration, vars, skippedBefore: skipped } : { blockId: raw.blockId, iteration: raw.iteration, vars });
    previous = raw.index;
  });
  const skippedAfter = call.executedSteps - previous - 1;
  const shorten = (v: TraceValue | undefined) => (v && valueChars < Infinity ? shortenValue(v, valueChars) : v);
  return {
    args: valueChars < Infinity ? shortenVars(call.args, valueChars) : call.args,
    depth: call.depth,
    steps,
    executedSteps: call.executedSteps,
    ...(call.returned ? { returned: shorten(call.returned) } : {}),
    ...(call.threw ? { threw: shorten(call.threw) } : {}),
    ...(call.unfinished ? { unfinished: true } : {}),
    ...(skippedAfter > 0 ? { skippedAfter } : {}),
  };
}

function jsonBytes(value: unknown): number {
  // UTF-8 length without a TextEncoder dependency: count code units above ASCII generously.
  const text = JSON.stringify(value);
  let bytes = text.length;
  if (!/[^\x00-\x7f]/.test(text)) return bytes;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) bytes += text.charCodeAt(i) > 0x7ff ? 2 : 1;
  return bytes;
}

function endedEarlyMessage(raw: RawTrace, budget: TraceBudget, executed: number): string {
  switch (raw.stoppedBy) {
    case 'steps':
      return `the run ended early: the program was stopped after ${raw.executedSteps ?? executed} executed steps (endless loop?)`;
    case 'time':
      return `the run ended early: the program was stopped at the time limit (${budget.timeoutMs} ms)${raw.partial ? '; the trace is what the tracer had written by then' : ''}`;
    case 'exit':
      return `the run ended early: the program exited${raw.exitCode !== undefined ? ` with code ${raw.exitCode}` : ''} while the test ran (os._exit or process.exit)`;
    default:
      return raw.partial
        ? 'the run ended early: the test process was killed; the trace is what the tracer had written by then'
        : 'the run ended early: the test process was killed before it finished';
  }
}

/** The trace within `budget`: steps, calls and bytes; `truncated` says what was left out and why. */
export function applyTraceBudget(raw: RawTrace, target: TraceTarget, budget: TraceBudget, elapsedMs = raw.elapsedMs ?? 0): Trace {
  const notes: string[] = [];
  let droppedCalls = (raw.droppedCalls ?? 0) + (raw.droppedDeepCalls ?? 0);
  if (raw.droppedCalls) notes.push(`${raw.droppedCalls} call${raw.droppedCalls === 1 ? '' : 's'} in the middle of the run not recorded (kept the first and the last ones)`);
  if (raw.droppedDeepCalls) notes.push(`recursion deeper than ${budget.maxDepth} levels cut: ${raw.droppedDeepCalls} nested call${raw.droppedDeepCalls === 1 ? '' : 's'} not recorded`);

  let calls = raw.calls;
  if (calls.length > budget.maxCalls) {
    const head = Math.ceil(budget.maxCalls / 2);
    const tail = budget.maxCalls - head;
    const dropped = calls.length - budget.maxCalls;
    calls = [...calls.slice(0, head), ...calls.slice(calls.length - tail)];
    droppedCalls += dropped;
    notes.push(`${dropped} more call${dropped === 1 ? '' : 's'} left out by the call budget (kept the first ${head} and the last ${tail})`);
  }

  const endedEarly = raw.stoppedBy ? { by: endedEarlyBy[raw.stoppedBy], message: endedEarlyMessage(raw, budget, calls.reduce((sum, c) => sum + c.executedSteps, 0)) } : undefined;
  const ranked = calls.flatMap((call, i) => candidatesOf(call, i)).sort(byImportance);
  const executed = calls.reduce((sum, c) => sum + c.executedSteps, 0);
  let keepCount = Math.min(ranked.length, budget.maxSteps);
  let valueChars = Infinity;
  const assemble = (cutForBytes: boolean): Trace => {
    const keep = calls.map(() => new Set<number>());
    for (const c of ranked.slice(0, keepCount)) keep[c.call].add(c.position);
    const built = calls.map((call, i) => buildCall(call, keep[i], valueChars));
    const kept = built.reduce((sum, c) => sum + c.steps.length, 0);
    const droppedSteps = executed - kept;
    const allNotes = [...notes];
    if (endedEarly) allNotes.unshift(endedEarly.message);
    if (droppedSteps > 0) {
      allNotes.push(
        `${droppedSteps} of ${executed} executed steps left out: kept each call's first and last steps, each block's first and last visits, and visits where a variable took a new kind of value`,
      );
    }
    if (cutForBytes) allNotes.push(`trace cut to ${budget.maxBytes} bytes${valueChars < Infinity ? ` (values shortened to ${valueChars} characters)` : ''}`);
    allNotes.push(...(raw.notes ?? []));
    const stoppedBy = endedEarly?.by ?? (cutForBytes && droppedSteps > 0 ? 'bytes' : undefined);
    const truncated: false | Truncation =
      droppedSteps > 0 || droppedCalls > 0 || raw.stoppedBy || cutForBytes || calls.some((c) => c.unfinished)
        ? { droppedSteps, droppedCalls, ...(stoppedBy ? { stoppedBy } : {}), notes: allNotes }
        : false;
    const trace: Trace = {
      target,
      calls: built,
      truncated,
      stats: { steps: kept, bytes: 0, elapsedMs: Math.round(elapsedMs), executedSteps: raw.executedSteps ?? executed },
      ...(endedEarly ? { endedEarly } : {}),
    };
    // The stats count their own digits: `bytes` is the size of exactly this JSON. Measured once
    // with `bytes: 0` (one digit); the number's own digits are the only difference after that.
    const withZero = jsonBytes(trace);
    let bytes = withZero;
    for (let i = 0; i < 3; i++) bytes = withZero - 1 + String(bytes).length;
    return { ...trace, stats: { ...trace.stats, bytes } };
  };
  let trace = assemble(false);
  // Too big: drop the least important steps, then shorten values, then stop at nothing left to drop.
  while (trace.stats.bytes > budget.maxBytes && keepCount > 0) {
    const perStep = trace.stats.bytes / Math.max(1, keepCount);
    const over = Math.ceil((trace.stats.bytes - budget.maxBytes) / perStep);
    const floor = valueChars > 40 ? calls.length * 2 : 0;
    const next = Math.max(floor, keepCount - Math.max(over, Math.ceil(keepCount * 0.1)));
    if (next === keepCount) {
      if (valueChars > 40) valueChars = 40;
      else break;
    } else keepCount = next;
    trace = assemble(true);
  }
  return trace;
}
