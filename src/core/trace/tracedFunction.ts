// The function under test as a reader (a model, an agent) should see it: every line exactly as in
// the file, a marker comment before each basic block (`# [b3] lines 8-11`), and right below a
// block's last line the values after it ran: per run, what the block changed and what it read,
// with unchanged variables left out after their first appearance and each variable's type given
// once. The value lines stay within a token budget whatever the loop length: suspicious blocks and
// first/last runs first (as LDB keeps the first and last iterations), and what was left out is said
// where it was left out. The duck's prompt and the agents' traceTest tool both render with this.
//
// This file draws the listing (the lines, the block markers, the code budget) and decides the
// value budget's rounds; blockValueLines.ts makes the value lines and the call lines.

import type { SourceRange } from '../blocks/positions';
import { estimateTokens } from '../duck/tokens';
import { collectRuns, idNumber, pickRuns, priceOf, prioritizeRuns, renderCalls, renderValueLines, type ListedBlock, type ListingTrace, type ListingTraceStep, type Run } from './blockValueLines';

export { valueOf, type ListedBlock, type ListingTrace, type ListingTraceCall, type ListingTraceStep } from './blockValueLines';

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
