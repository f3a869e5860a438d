// Which recorded values the editor shows for one chosen call and loop iteration ("Trace Failing
// Test"): one step per block, formatted short for the line and in full for the hover. Pure data
// in, plain strings out, so the editor layer only draws.

import type { Trace, TraceCall, TraceStep, TraceValue, TraceVars } from './traceModel';

/** The call (0-based index into `trace.calls`) and the iteration (1-based) on screen. */
export interface TraceSelection {
  readonly call: number;
  readonly iteration: number;
}

/** The largest visit number among a call's steps: how many iterations its loops ran (1 without loops). */
export function iterationCount(call: TraceCall | undefined): number {
  let most = 1;
  for (const step of call?.steps ?? []) if (step.iteration > most) most = step.iteration;
  return most;
}

/** A selection moved inside the trace: the call and then the iteration clamped to what exists. */
export function clampSelection(trace: Trace, wanted: TraceSelection): TraceSelection {
  const calls = trace.calls.length;
  const call = calls === 0 ? 0 : Math.min(Math.max(0, Math.trunc(wanted.call) || 0), calls - 1);
  const iteration = Math.min(Math.max(1, Math.trunc(wanted.iteration) || 1), iterationCount(trace.calls[call]));
  return { call, iteration };
}

/** The first call, its first iteration. */
export function initialSelection(trace: Trace): TraceSelection {
  return clampSelection(trace, { call: 0, iteration: 1 });
}

/**
 * Moves by `delta` calls or iterations. A new call starts at its first iteration; an iteration
 * step stays in its call. Never leaves the trace; a step past either end changes nothing.
 */
export function stepSelection(trace: Trace, current: TraceSelection, what: 'call' | 'iteration', delta: number): TraceSelection {
  if (what === 'call') {
    const next = clampSelection(trace, { call: current.call + delta, iteration: 1 });
    // At the first or last call already: nothing moves, the iteration stays.
    return next.call === current.call ? clampSelection(trace, current) : next;
  }
  return clampSelection(trace, { call: current.call, iteration: current.iteration + delta });
}

/**
 * The step shown for each block of the selected call: its visit with the selected iteration, or
 * else its latest visit below it (a block outside the loop ran once, as iteration 1, and shows at
 * every iteration). Blocks without such a visit are absent.
 */
export function stepsForSelection(trace: Trace, selection: TraceSelection): Map<string, TraceStep> {
  const shown = new Map<string, TraceStep>();
  const call = trace.calls[selection.call];
  if (!call) return shown;
  for (const step of call.steps) {
    if (step.iteration > selection.iteration) continue;
    const best = shown.get(step.blockId);
    // `>=`: were a block's visit recorded twice, the later one describes the state after it.
    if (!best || step.iteration >= best.iteration) shown.set(step.blockId, step);
  }
  return shown;
}

/**
 * Blocks the selected call never ran (in the kept steps), given the function's blocks in order.
 * The entry block always runs with the call: without a step it is a docstring alone, which no
 * tracer sees run.
 */
export function blocksNotRun(trace: Trace, selection: TraceSelection, blockIds: readonly string[]): string[] {
  const call = trace.calls[selection.call];
  if (!call) return [];
  const ran = new Set(call.steps.map((s) => s.blockId));
  return blockIds.slice(1).filter((id) => !ran.has(id));
}

/** The variables just before `step` ran: the previous kept step of its call, or the call's arguments. */
export function varsBefore(call: TraceCall, step: TraceStep): TraceVars {
  const index = call.steps.indexOf(step);
  return index > 0 ? call.steps[index - 1]!.vars : call.args;
}

/** Cuts text to `max` characters with an ellipsis; newlines become visible `⏎`. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\r?\n/g, '⏎');
  if (flat.length <= max) return flat;
  return max <= 1 ? '…' : `${flat.slice(0, max - 1)}…`;
}

export interface InlineOptions {
  /** Characters of the whole line text (default 120). */
  readonly maxChars?: number;
  /** Characters of one value (default 40). */
  readonly maxValueChars?: number;
  /** Only the variables the block changed (needs `before`); the rest are left to the hover. */
  readonly changedOnly?: boolean;
}

/**
 * `total = 7, i = 3`: every variable, each value and the whole bounded. Those the block changed
 * (new, or another value than in `before`) come first, so a long unchanged list cannot push the
 * interesting value off the line; otherwise the tracer's order.
 */
export function inlineText(vars: TraceVars, options: InlineOptions = {}, before?: TraceVars): string {
  const maxChars = options.maxChars ?? 120;
  const maxValue = options.maxValueChars ?? 40;
  const entries = Object.entries(vars);
  const changed = (name: string, value: TraceValue) => before !== undefined && (before[name]?.text !== value.text || before[name]?.type !== value.type);
  const ordered = [...entries.filter(([n, v]) => changed(n, v)), ...(options.changedOnly && before !== undefined ? [] : entries.filter(([n, v]) => !changed(n, v)))];
  const text = ordered
    .map(([name, value]) => `${name} = ${clip(value.text, maxValue)}`)
    .join(', ');
  return clip(text, maxChars);
}

/** `apply_discount(price=80, percent=10) → 0.0`, or `… raised ValueError('x')`, bounded. */
export function callSummary(functionName: string, call: TraceCall, maxChars = 80): string {
  const simple = functionName.split('.').pop() ?? functionName;
  const args = Object.entries(call.args)
    .map(([name, value]) => `${name}=${clip(value.text, 24)}`)
    .join(', ');
  const outcome = call.threw ? ` raised ${clip(call.threw.text, 30)}` : call.returned ? ` → ${clip(call.returned.text, 30)}` : call.unfinished ? ' (unfinished)' : '';
  return clip(`${simple}(${args})${outcome}`, maxChars);
}

/** Markdown inline code that survives backticks inside the text. */
export function codeSpan(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = runs.length || text.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, '⏎')}${pad}${fence}`;
}

function valueLine(name: string, value: TraceValue): string {
  const length = value.length !== undefined ? `, length ${value.length}` : '';
  return `- ${codeSpan(name)} (${value.type}${length}): ${codeSpan(value.text)}`;
}

/**
 * The hover as Markdown: the block and which visit it is, every variable's type and full
 * rendering, then the call's arguments and what it returned or raised.
 */
export function hoverMarkdown(trace: Trace, selection: TraceSelection, step: TraceStep): string {
  const call = trace.calls[selection.call];
  const lines: string[] = [];
  const visit = step.iteration === selection.iteration ? `iteration ${step.iteration}` : `iteration ${step.iteration} (its latest visit up to iteration ${selection.iteration})`;
  lines.push(`**Ducktrace · after block ${step.blockId}** · call ${selection.call + 1} of ${trace.calls.length}, ${visit}`, '');
  if (step.skippedBefore) lines.push(`_${step.skippedBefore} earlier step${step.skippedBefore === 1 ? '' : 's'} not recorded (trace budget)_`, '');
  const vars = Object.entries(step.vars);
  lines.push(...(vars.length ? vars.map(([n, v]) => valueLine(n, v)) : ['_no variables_']));
  if (call) {
    lines.push('', `**Call ${selection.call + 1}**${call.depth ? ` (recursion depth ${call.depth})` : ''} with`);
    const args = Object.entries(call.args);
    lines.push(...(args.length ? args.map(([n, v]) => valueLine(n, v)) : ['_no arguments_']));
    if (call.threw) lines.push('', `raised ${codeSpan(call.threw.text)} (${call.threw.type})`);
    else if (call.returned) lines.push('', `returned ${codeSpan(call.returned.text)} (${call.returned.type})`);
    else if (call.unfinished) lines.push('', '_the call had not finished when the trace ended_');
  }
  if (trace.truncated) lines.push('', ...trace.truncated.notes.map((n) => `_${n}_`));
  return lines.join('\n');
}

/** One call of a trace as a table for the Ducktrace view: a row per kept step, a column per variable. */
export interface TraceTable {
  /** 0-based index of the call shown, and how many calls the trace holds. */
  readonly call: number;
  readonly calls: number;
  /** `apply_discount(price=80, percent=10) → 0.0` */
  readonly summary: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly blockId: string; readonly iteration: number; readonly cells: readonly string[]; readonly skippedBefore?: number }[];
  /** Rows past `maxRows` left out of the table (the prompt and the hover still have them). */
  readonly rowsLeftOut: number;
  /** The budget's notes on what the trace left out. */
  readonly notes: readonly string[];
}

/**
 * The selected call as rows in execution order. Columns are the variables in the order they first
 * appear (arguments first); a cell is empty where the variable was not yet bound. Values are
 * clipped to `maxValueChars`; the hover and the prompt keep them whole.
 */
export function traceTable(functionName: string, trace: Trace, callIndex: number, options: { maxRows?: number; maxValueChars?: number } = {}): TraceTable | undefined {
  const call = trace.calls[callIndex];
  if (!call) return undefined;
  const maxRows = options.maxRows ?? 200;
  const maxValue = options.maxValueChars ?? 60;
  const columns: string[] = [];
  const seen = new Set<string>();
  const add = (name: string) => {
    if (!seen.has(name)) {
      seen.add(name);
      columns.push(name);
    }
  };
  Object.keys(call.args).forEach(add);
  const kept = call.steps.slice(0, maxRows);
  for (const step of kept) Object.keys(step.vars).forEach(add);
  const rows = kept.map((step) => ({
    blockId: step.blockId,
    iteration: step.iteration,
    cells: columns.map((name) => (step.vars[name] ? clip(step.vars[name]!.text, maxValue) : '')),
    ...(step.skippedBefore ? { skippedBefore: step.skippedBefore } : {}),
  }));
  return {
    call: callIndex,
    calls: trace.calls.length,
    summary: callSummary(functionName, call, 160),
    columns,
    rows,
    rowsLeftOut: call.steps.length - kept.length,
    notes: trace.truncated ? trace.truncated.notes : [],
  };
}
