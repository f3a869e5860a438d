// The function under test as a reader (a model, an agent) should see it: every line exactly as in
// the file, a marker comment before each basic block (`# [b3] lines 8-11`), and right below a
// block's last line the values after it ran: per run, what the block changed and what it read,
// with unchanged variables left out after their first appearance and each variable's type given
// once. The value lines stay within a token budget whatever the loop length: suspicious blocks and
// first/last runs first (as LDB keeps the first and last iterations), and what was left out is said
// where it was left out. The duck's prompt and the agents' traceTest tool both render with this.

import type { Block } from '../blocks/basicBlocks';
import type { SourceRange } from '../blocks/positions';
import { estimateTokens } from '../duck/tokens';
import { namesRead } from '../localize/blockDataFlow';

export type ListedBlock = Pick<Block, 'id' | 'kind' | 'range' | 'text'>;

export interface ListedFunction {
  /** Qualified: `Cart.total`. */
  readonly name: string;
  /** How the reader knows the file: a path relative to the workspace. */
  readonly file?: string;
  /** `python`, `javascript`, `typescript`, `tsx`: the fence's tag and the comment syntax. */
  readonly language?: string;
  /** The whole file's text. */
  readonly source: string;
  readonly range: SourceRange;
  /** The first line to show: the decorators and the comment above the function (default: its first line). */
  readonly firstLine?: number;
  readonly blocks: readonly ListedBlock[];
}

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

export interface TracedFunctionOptions {
  /** Tokens for the call lines and the value lines together (the code itself is not counted here). */
  readonly maxTraceTokens: number;
  /** Tokens for the code; above it the least suspicious blocks' lines are left out (default: no limit). */
  readonly maxCodeTokens?: number;
  /** Block id -> suspicion (higher first): the budget goes to suspicious blocks first. */
  readonly suspicion?: ReadonlyMap<string, number>;
  /** Only the runs this accepts (an agent asking for one call or some iterations). */
  readonly includeStep?: (call: number, step: ListingTraceStep) => boolean;
  /** Only these variables in the value lines. */
  readonly variables?: readonly string[];
}

export interface TracedFunctionText {
  /** The call lines, the legend and the fenced listing. */
  readonly text: string;
  /** Runs shown / runs recorded (after `includeStep`). */
  readonly stepsShown: number;
  readonly stepsRecorded: number;
  /** Blocks whose code was left out to fit `maxCodeTokens`. */
  readonly blocksLeftOut: readonly string[];
  /** Something was left out: runs, calls, block code, or the tracer's own cuts. */
  readonly truncated: boolean;
}

interface Value {
  readonly text: string;
  readonly type?: string;
}

/** One run of a block: what it changed and what it read, before de-duplication. */
interface Run {
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
}

export function commentPrefix(language: string | undefined): string {
  return language === 'python' ? '#' : '//';
}

export function renderTracedFunction(fn: ListedFunction, trace: ListingTrace | undefined, options: TracedFunctionOptions): TracedFunctionText {
  const c = commentPrefix(fn.language);
  const lines = fn.source.replace(/\r\n/g, '\n').split('\n');
  const first = Math.max(1, Math.min(fn.firstLine ?? fn.range.start.line, fn.range.start.line));
  const last = Math.min(lines.length, fn.range.end.line);
  const blocks = [...fn.blocks].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const suspicion = options.suspicion ?? new Map<string, number>();
  const ranked = [...blocks].sort((a, b) => (suspicion.get(b.id) ?? 0) - (suspicion.get(a.id) ?? 0) || idNumber(a.id) - idNumber(b.id));

  // The code: every line, unless the function alone is over its budget.
  const leftOut = new Set<string>();
  if (options.maxCodeTokens !== undefined) {
    const cost = () => estimateTokens(codeLines(lines, first, last, blocks, leftOut, c).join('\n'));
    for (let i = ranked.length - 1; i > 0 && cost() > options.maxCodeTokens; i--) leftOut.add(ranked[i].id);
  }

  const runs = trace ? collectRuns(trace, blocks, options) : [];
  const variables = options.variables ? new Set(options.variables) : undefined;
  const budget = Math.max(0, options.maxTraceTokens);
  // A variable's type is said once, where the reader first meets it: the call lines, then top to bottom.
  const typed = new Map<string, string | undefined>();
  const calls = trace ? renderCalls(trace, fn.name, Math.min(400, Math.floor(budget / 4)), options.includeStep, typed) : { lines: [], shown: 0 };
  const callCost = estimateTokens(calls.lines.join('\n'));
  const depths = trace ? trace.calls.map((call) => call.depth ?? 0) : [];
  // Runs are priced high (every read, a type on every value, a "left out" line beside each); the
  // lines as rendered are shorter, so the slack is spent again until the rendering fills the budget.
  const valueCost = (set: ReadonlySet<Run>) => {
    const lines = renderValueLines(runs, set, blocks, trace, variables, new Map(typed));
    return estimateTokens([...lines.values()].flat().map((l) => `    ${c} ↳ ${l}`).join('\n')) + 1;
  };
  const valueBudget = budget - callCost;
  const priority = prioritizeRuns(runs, ranked, leftOut, depths, suspicion);
  const price = priceOf(c, variables);
  let pricing = valueBudget;
  let chosen = pickRuns(priority, price, pricing);
  // Lines no run pays for ("did not run", a last "… left out") can still tip it over: shrink until it fits.
  for (let over = valueCost(chosen) - valueBudget; over > 0 && chosen.size > 0; over = valueCost(chosen) - valueBudget) {
    pricing -= Math.max(over * 2, 10, Math.floor(pricing * 0.05));
    chosen = pickRuns(priority, price, pricing);
  }
  for (let round = 0; round < 4 && chosen.size < runs.length; round++) {
    const slack = valueBudget - valueCost(chosen);
    if (slack < 10) break;
    pricing += slack;
    const more = pickRuns(priority, price, pricing);
    if (valueCost(more) > valueBudget) break;
    chosen = more;
  }
  const valueLines = renderValueLines(runs, chosen, blocks, trace, variables, typed);

  const listing: string[] = [];
  const starts = groupBy(blocks, (b) => b.range.start.line);
  const ends = groupBy(blocks, (b) => b.range.end.line);
  let skippingBlock: string | undefined;
  for (let n = first; n <= last; n++) {
    const line = lines[n - 1] ?? '';
    for (const b of starts.get(n) ?? []) {
      const indent = indentOf(line);
      if (leftOut.has(b.id)) {
        listing.push(`${indent}${c} [${b.id}] ${lineSpan(b.range)}: code left out to fit the budget`);
        skippingBlock = b.id;
      } else listing.push(`${indent}${c} [${b.id}] ${lineSpan(b.range)}${fragment(b, line, (starts.get(n) ?? []).length > 1)}`);
    }
    // A line is hidden only when every block on it is left out: code of a kept block always shows.
    const onLine = blocks.filter((b) => b.range.start.line <= n && n <= b.range.end.line);
    const inSkipped = skippingBlock !== undefined && onLine.length > 0 && onLine.every((b) => leftOut.has(b.id));
    if (!inSkipped) listing.push(line);
    for (const b of ends.get(n) ?? []) {
      if (skippingBlock === b.id) skippingBlock = undefined;
      if (leftOut.has(b.id)) continue;
      const indent = indentOf(lines[b.range.start.line - 1] ?? line);
      for (const v of valueLines.get(b.id) ?? []) listing.push(`${indent}${c} ↳ ${v}`);
    }
  }

  const recorded = runs.length;
  const tracerCut = !!trace && (trace.truncated === true || (typeof trace.truncated === 'object' && trace.truncated !== null));
  const out: string[] = [];
  if (calls.lines.length) out.push(...calls.lines, '');
  const fence = fenceFor(listing.join('\n'));
  out.push(fence + (fn.language ?? ''), ...listing, fence);
  return {
    text: out.join('\n'),
    stepsShown: chosen.size,
    stepsRecorded: recorded,
    blocksLeftOut: [...leftOut],
    truncated: leftOut.size > 0 || chosen.size < recorded || tracerCut || calls.shown < (trace?.calls.length ?? 0),
  };
}

/** The legend the prompt puts before a listing with values. */
export function listingLegend(language: string | undefined): string {
  const c = commentPrefix(language);
  return [
    `\`${c} [bN]\` lines mark where basic block bN starts. \`${c} ↳ bN #k:\` lines show the values right after bN ran for the k-th time in its call:`,
    `the variables it changed, then (after \`· read\`) the ones it used. A variable's type is given where it first appears. Neither kind of line is in the file.`,
  ].join(' ');
}

/** A code fence longer than any run of backticks in the code (a docstring may hold a fence of its own). */
export function fenceFor(code: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function idNumber(id: string): number {
  const n = Number(/\d+/.exec(id)?.[0]);
  return Number.isFinite(n) ? n : 0;
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function lineSpan(range: SourceRange): string {
  return range.start.line === range.end.line ? `line ${range.start.line}` : `lines ${range.start.line}-${range.end.line}`;
}

/**
 * A block that starts after other code on its line, or shares its line with another block, names
 * its own start: `if (x)` of `} else if (x) {`.
 */
function fragment(block: ListedBlock, line: string, shared: boolean): string {
  if (!shared && block.range.start.character <= indentOf(line).length) return '';
  const first = block.text.split('\n')[0].trim();
  return `: ${first.length > 60 ? `${first.slice(0, 59)}…` : first}`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function codeLines(lines: readonly string[], first: number, last: number, blocks: readonly ListedBlock[], leftOut: ReadonlySet<string>, c: string): string[] {
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const onLine = blocks.filter((b) => b.range.start.line <= n && n <= b.range.end.line);
    for (const b of onLine) if (leftOut.has(b.id) && b.range.start.line === n) out.push(`${c} [${b.id}] ${lineSpan(b.range)}: code left out to fit the budget`);
    if (!(onLine.length > 0 && onLine.every((b) => leftOut.has(b.id)))) out.push(lines[n - 1] ?? '');
  }
  return out;
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

function collectRuns(trace: ListingTrace, blocks: readonly ListedBlock[], options: TracedFunctionOptions): Run[] {
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
      runs.push({ call: ci, index, step, blockId: step.blockId, iteration, changed, read, outcome: isLast ? outcomeOf(call) : undefined });
    });
  });
  return runs;
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
function prioritizeRuns(runs: readonly Run[], ranked: readonly ListedBlock[], leftOut: ReadonlySet<string>, depths: readonly number[], suspicion: ReadonlyMap<string, number>): Run[] {
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
function priceOf(c: string, variables: ReadonlySet<string> | undefined): (run: Run) => number {
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
function pickRuns(priority: readonly Run[], price: (run: Run) => number, budget: number): Set<Run> {
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
function renderValueLines(
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
      lines.push(`${runLabel(run, multipleCalls, perCall.get(run.call) ?? 1)}: ${body}${run.outcome ? ` → ${run.outcome}` : ''}`);
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
function renderCalls(trace: ListingTrace, name: string, budget: number, includeStep: TracedFunctionOptions['includeStep'], typed: Map<string, string | undefined>): { lines: string[]; shown: number } {
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
