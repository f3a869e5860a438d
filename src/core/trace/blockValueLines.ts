// The values shown below the blocks of a traced function (tracedFunction.ts draws the listing): each
// block run's changed and read variables, a variable's type said once, the call lines with their
// arguments and outcome, and which runs fit the token budget (suspicious blocks and first/last runs
// first), with what was left out said where it was left out.

import type { Block } from '../blocks/basicBlocks';
import { estimateTokens } from '../duck/tokens';
import { namesRead } from '../localize/blockDataFlow';

export type ListedBlock = Pick<Block, 'id' | 'kind' | 'range' | 'text'>;

// The part of a trace this reads. `Trace` (traceModel.ts) fits as is; hand-built ones may give
// values as plain strings.
export interface ListingTraceStep {
  readonly blockId: string;
  /** The block's run number within its call (1-based): the loop iteration for blocks in a loop. */
  readonly iteration?: number;
  /** Variable name -> value: a `TraceValue` ({ type, text }), a repr string, or any JSON-able value. */
  readonly vars: Readonly<Record<string, unknown>>;
}

export interface ListingTraceCall {
  readonly args?: Readonly<Record<string, unknown>>;
  /** 0 for a call from outside the function, 1 for a recursive call from within it, ... */
  readonly depth?: number;
  readonly steps: readonly ListingTraceStep[];
  readonly returned?: unknown;
  readonly threw?: unknown;
  readonly unfinished?: boolean;
}

export interface ListingTrace {
  readonly calls: readonly ListingTraceCall[];
  /** The tracer left steps or calls out (`Truncation.notes` say why), or `true`/`false`. */
  readonly truncated?: boolean | { readonly droppedCalls?: number; readonly notes?: readonly string[] };
}

/** Which runs to show: an agent asking for one call or some iterations. */
export type StepFilter = (call: number, step: ListingTraceStep) => boolean;

export interface Value {
  readonly text: string;
  readonly type?: string;
}

/** One run of a block: what it changed and what it read, before de-duplication. */
export interface Run {
  readonly call: number;
  /** Chronological position within the call. */
  readonly index: number;
  readonly step: ListingTraceStep;
  readonly blockId: string;
  readonly iteration: number;
  readonly changed: readonly (readonly [string, Value])[];
  readonly read: readonly (readonly [string, Value])[];
  /** Last run of its call: the call's outcome goes on its line. */
  readonly outcome?: string;
  /** A loop header's last check, after which the loop's body did not run again. */
  readonly loopEnds?: boolean;
}

/** A block that starts with a loop header: its last run is the check that ends the loop. */
const loopHeader = /^\s*(?:async\s+)?(?:for|while)\b/;

export function idNumber(id: string): number {
  const n = Number(/\d+/.exec(id)?.[0]);
  return Number.isFinite(n) ? n : 0;
}

// ---------------------------------------------------------------- values

export function valueOf(value: unknown): Value {
  if (typeof value === 'string') return { text: oneLine(value) };
  if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') {
    const v = value as { text: string; type?: unknown };
    return { text: oneLine(v.text), type: typeof v.type === 'string' ? v.type : undefined };
  }
  if (value === undefined) return { text: 'undefined' };
  try {
    return { text: oneLine(JSON.stringify(value) ?? String(value)) };
  } catch {
    return { text: String(value) };
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** Types that the value's text already says, or that say nothing. */
const silentTypes = new Set(['NoneType', 'None', 'undefined', 'null', 'str', 'string']);

export function collectRuns(trace: ListingTrace, blocks: readonly ListedBlock[], options: { readonly includeStep?: StepFilter }): Run[] {
  const reads = new Map(blocks.map((b) => [b.id, namesRead(b.text)]));
  const blockText = new Map(blocks.map((b) => [b.id, b.text]));
  const runs: Run[] = [];
  trace.calls.forEach((call, ci) => {
    let before = new Map(Object.entries(call.args ?? {}).map(([k, v]) => [k, valueOf(v).text]));
    const counts = new Map<string, number>();
    const kept = new Set(call.steps.flatMap((step, i) => (!options.includeStep || options.includeStep(ci, step) ? [i] : [])));
    call.steps.forEach((step, index) => {
      const iteration = step.iteration ?? (counts.get(step.blockId) ?? 0) + 1;
      counts.set(step.blockId, iteration);
      const vars = Object.entries(step.vars).map(([k, v]) => [k, valueOf(v)] as const);
      const used = reads.get(step.blockId) ?? new Set<string>();
      const text = blockText.get(step.blockId) ?? '';
      // A field (`self.items`, `this.lines`) first seen is state the call started with, not a change.
      const isRead = (k: string) => (k.includes('.') ? text.includes(k) : used.has(k));
      const firstSeenField = (k: string) => k.includes('.') && !before.has(k);
      const changed = vars.filter(([k, v]) => before.get(k) !== v.text && !firstSeenField(k));
      const read = vars.filter(([k, v]) => isRead(k) && (before.get(k) === v.text || firstSeenField(k)));
      before = new Map(vars.map(([k, v]) => [k, v.text]));
      if (!kept.has(index)) return;
      const isLast = index === call.steps.length - 1;
      const loopEnds = loopHeader.test(text) && iteration > 1 && endsLoop(call.steps, index);
      runs.push({ call: ci, index, step, blockId: step.blockId, iteration, changed, read, outcome: isLast ? outcomeOf(call) : undefined, ...(loopEnds ? { loopEnds } : {}) });
    });
  });
  return runs;
}

/**
 * The header's run at `index` is its last in the call, and what follows it is not what followed
 * its first run (the loop's body): the check found the loop done. A `break` leaves from the body,
 * so its header's last run is followed by the body and is not marked.
 */
function endsLoop(steps: readonly ListingTraceStep[], index: number): boolean {
  const id = steps[index].blockId;
  if (steps.slice(index + 1).some((s) => s.blockId === id)) return false;
  const first = steps.findIndex((s) => s.blockId === id);
  const body = steps[first + 1]?.blockId;
  return body !== undefined && body !== id && steps[index + 1]?.blockId !== body;
}

function outcomeOf(call: ListingTraceCall): string | undefined {
  if (call.threw !== undefined) return `raised ${valueOf(call.threw).text}`;
  if (call.returned !== undefined && !call.unfinished) return `returned ${valueOf(call.returned).text}`;
  if (call.unfinished) return 'the call did not finish';
  return undefined;
}

function runLabel(run: Run, multipleCalls: boolean, runsInCall: number): string {
  const where = runsInCall > 1 ? `${run.blockId} #${run.iteration}` : run.blockId;
  return multipleCalls ? `call ${run.call + 1}, ${where}` : where;
}

/** `name: type = value` where the reader first meets the variable or its type changed, else `name = value`. */
function assignment(name: string, value: Value, typed: Map<string, string | undefined>): string {
  const known = typed.has(name);
  const withType = value.type && !silentTypes.has(value.type) && (!known || typed.get(name) !== value.type);
  typed.set(name, value.type);
  return withType ? `${name}: ${value.type} = ${value.text}` : `${name} = ${value.text}`;
}

/**
 * The order runs earn their place in. The last top-level call most likely ran the failing path,
 * so its runs come first. Within a call: every block's first and last runs (the most suspicious
 * blocks first; how a loop starts and how it ends say the most), then the suspicious blocks'
 * other runs, one block after the other, from both ends inwards; then the rest, taking turns.
 */
export function prioritizeRuns(runs: readonly Run[], ranked: readonly ListedBlock[], leftOut: ReadonlySet<string>, depths: readonly number[], suspicion: ReadonlyMap<string, number>): Run[] {
  if (!runs.length) return [];
  const callIds = [...new Set(runs.map((r) => r.call))];
  const topLevel = callIds.filter((id) => (depths[id] ?? 0) === 0);
  const lastCall = topLevel.length ? topLevel[topLevel.length - 1] : callIds[callIds.length - 1];
  const order = [lastCall, ...callIds.filter((id) => id !== lastCall)];
  const byCallAndBlock = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.call}:${r.blockId}`;
    const list = byCallAndBlock.get(key);
    if (list) list.push(r);
    else byCallAndBlock.set(key, [r]);
  }
  const shown = ranked.filter((b) => !leftOut.has(b.id));
  const priority: Run[] = [];
  for (const call of order) {
    const queues = shown.map((b) => headsAndTails(byCallAndBlock.get(`${call}:${b.id}`) ?? []));
    for (const q of queues) priority.push(...q.slice(0, 2));
    shown.forEach((b, i) => {
      if ((suspicion.get(b.id) ?? 0) > 0) priority.push(...queues[i].splice(2));
    });
    for (let round = 2; queues.some((q) => round < q.length); round++) for (const q of queues) if (round < q.length) priority.push(q[round]);
  }
  return priority;
}

/** A run's price, worked out once: its line in full (every read, a type on every value) and a possible "… left out" line beside it. */
export function priceOf(c: string, variables: ReadonlySet<string> | undefined): (run: Run) => number {
  const cache = new Map<Run, number>();
  return (run) => {
    let p = cache.get(run);
    if (p === undefined) {
      const line = `${c} ↳ call 99, ${run.blockId} #${run.iteration}: ${lineBody(run.changed, run.read, new Map(), variables)}${run.outcome ? ` → ${run.outcome}` : ''}`;
      p = estimateTokens(line) + 1 + 14;
      cache.set(run, p);
    }
    return p;
  };
}

/** The runs that fit `budget` in priority order; a run too dear is passed over, and after many in a row the rest are too. */
export function pickRuns(priority: readonly Run[], price: (run: Run) => number, budget: number): Set<Run> {
  const chosen = new Set<Run>();
  let cost = 0;
  let passedOver = 0;
  for (const run of priority) {
    if (budget - cost < 8 || passedOver > 64) break;
    const p = price(run);
    if (cost + p > budget) {
      passedOver++;
      continue;
    }
    passedOver = 0;
    chosen.add(run);
    cost += p;
  }
  return chosen;
}

function lineBody(changed: readonly (readonly [string, Value])[], read: readonly (readonly [string, Value])[], typed: Map<string, string | undefined>, variables: ReadonlySet<string> | undefined): string {
  const keep = ([name]: readonly [string, Value]) => !variables || variables.has(name);
  const ch = changed.filter(keep).map(([k, v]) => assignment(k, v, typed));
  const rd = read.filter(keep).map(([k, v]) => assignment(k, v, typed));
  const parts = [ch.length ? ch.join(', ') : rd.length ? '' : 'no change', rd.length ? `${ch.length ? '· ' : ''}read ${rd.join(', ')}` : ''].filter(Boolean);
  return parts.join(' ');
}

function headsAndTails<T>(items: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0, j = items.length - 1; i <= j; i++, j--) {
    out.push(items[i]);
    if (j !== i) out.push(items[j]);
  }
  return out;
}

/** Block id -> the lines to show after its last line (without the comment prefix and arrow). */
export function renderValueLines(
  runs: readonly Run[],
  chosen: ReadonlySet<Run>,
  blocks: readonly ListedBlock[],
  trace: ListingTrace | undefined,
  variables: ReadonlySet<string> | undefined,
  typed: Map<string, string | undefined>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!trace || !trace.calls.length) return out;
  const reads = readsToShow(runs, chosen, trace);
  const multipleCalls = new Set(runs.map((r) => r.call)).size > 1 || trace.calls.length > 1;
  const droppedCalls = typeof trace.truncated === 'object' && trace.truncated ? (trace.truncated.droppedCalls ?? 0) : 0;
  // Top to bottom, as the reader meets them: a variable's type goes on its first appearance.
  for (const block of [...blocks].sort((a, b) => a.range.end.line - b.range.end.line || idNumber(a.id) - idNumber(b.id))) {
    const mine = runs.filter((r) => r.blockId === block.id);
    const lines: string[] = [];
    if (!mine.length) {
      // The entry block runs with every call, and a docstring alone gives the tracer nothing to
      // see: no runs there is not news. Elsewhere it says which path was not taken.
      if (idNumber(block.id) !== 1 && !isOnlyAString(block.text)) out.set(block.id, [`${block.id}: ${droppedCalls ? 'did not run in the recorded calls' : 'did not run'}`]);
      continue;
    }
    const perCall = new Map<number, number>();
    for (const r of mine) perCall.set(r.call, (perCall.get(r.call) ?? 0) + 1);
    let skipped: Run[] = [];
    let previous: Run | undefined;
    const flush = () => {
      if (skipped.length) lines.push(`${block.id}: … ${leftOutText(skipped)}`);
      skipped = [];
    };
    for (const run of mine) {
      if (!chosen.has(run)) {
        skipped.push(run);
        continue;
      }
      // Runs the tracer itself did not keep show as gaps in the run numbers.
      if (!skipped.length && previous && previous.call === run.call && run.iteration - previous.iteration > 1) {
        lines.push(`${block.id}: … runs #${previous.iteration + 1}-#${run.iteration - 1} not recorded`);
      }
      flush();
      const body = lineBody(run.changed, reads.get(run) ?? [], typed, variables);
      lines.push(`${runLabel(run, multipleCalls, perCall.get(run.call) ?? 1)}: ${body}${run.loopEnds ? ' (the loop ends)' : ''}${run.outcome ? ` → ${run.outcome}` : ''}`);
      previous = run;
    }
    flush();
    out.set(block.id, lines);
  }
  return out;
}

/**
 * Which values each shown run's line repeats from what it read, decided in the order the program
 * ran: a value the same block showed last time is left out, and so is a long value (a list, an
 * object) already shown anywhere in the call, the arguments included. Short values a block reads
 * (a loop counter) stay beside what it changed, where they explain it.
 */
function readsToShow(runs: readonly Run[], chosen: ReadonlySet<Run>, trace: ListingTrace): Map<Run, (readonly [string, Value])[]> {
  const out = new Map<Run, (readonly [string, Value])[]>();
  const anywhere = new Map<number, Map<string, string>>();
  const inBlock = new Map<string, Map<string, string>>();
  const ordered = runs.filter((r) => chosen.has(r)).sort((a, b) => a.call - b.call || a.index - b.index);
  for (const run of ordered) {
    let seen = anywhere.get(run.call);
    if (!seen) {
      seen = new Map(Object.entries(trace.calls[run.call]?.args ?? {}).map(([k, v]) => [k, valueOf(v).text]));
      anywhere.set(run.call, seen);
    }
    const key = `${run.call}:${run.blockId}`;
    let mine = inBlock.get(key);
    if (!mine) inBlock.set(key, (mine = new Map()));
    const shown = run.read.filter(([k, v]) => mine!.get(k) !== v.text && !(v.text.length > 24 && seen!.get(k) === v.text));
    for (const [k, v] of run.read) mine.set(k, v.text);
    for (const [k, v] of [...run.changed, ...shown]) seen.set(k, v.text);
    out.set(run, shown);
  }
  return out;
}

function isOnlyAString(text: string): boolean {
  return /^\s*(?:[rRbBuUfF]{0,2}(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'))\s*;?\s*$/.test(text);
}

function leftOutText(skipped: readonly Run[]): string {
  const n = skipped.length;
  const calls = [...new Set(skipped.map((r) => r.call + 1))];
  const where =
    calls.length === 1
      ? n === 1
        ? `#${skipped[0].iteration}`
        : `#${skipped[0].iteration}-#${skipped[n - 1].iteration}`
      : `in calls ${calls[0]}-${calls[calls.length - 1]}`;
  return `${n} more run${n === 1 ? '' : 's'} left out (${where})`;
}

/** One line per call: its arguments and outcome, within `budget` tokens. */
export function renderCalls(trace: ListingTrace, name: string, budget: number, includeStep: StepFilter | undefined, typed: Map<string, string | undefined>): { lines: string[]; shown: number } {
  const short = name.split('.').pop() ?? name;
  const rows: string[] = [];
  let cost = 0;
  let shown = 0;
  const n = trace.calls.length;
  trace.calls.forEach((call, i) => {
    if (includeStep && !call.steps.some((s) => includeStep(i, s)) && call.steps.length) return;
    const args = Object.entries(call.args ?? {})
      .map(([k, v]) => assignment(k, valueOf(v), typed))
      .join(', ');
    const depth = call.depth ? ` (recursive, depth ${call.depth})` : '';
    const outcome = outcomeOf(call) ?? 'no outcome recorded';
    const row = `- call ${i + 1}${depth}: ${short}(${args}) → ${outcome}`;
    const price = estimateTokens(row) + 1;
    if (cost + price > budget) return;
    rows.push(row);
    cost += price;
    shown++;
  });
  const dropped = typeof trace.truncated === 'object' && trace.truncated ? (trace.truncated.droppedCalls ?? 0) : 0;
  const header = `Recorded while the test ran: ${n} call${n === 1 ? '' : 's'} of ${short}${dropped ? ` (${dropped} more not recorded)` : ''}.`;
  if (shown < n && rows.length) rows.push(`- … ${n - shown} more call${n - shown === 1 ? '' : 's'} left out`);
  return { lines: [header, ...rows], shown };
}
