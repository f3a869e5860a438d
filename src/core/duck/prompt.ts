// The duck's prompt: the failing test as written, how it fails, and the function under test as
// written with its blocks marked and the values after each block, then the answer format, all
// inside a token budget. Pure: the caller gathers the failure, the test's source, the blocks and
// the trace; this only decides what fits and how it reads. The pieces live beside it: the test's
// source (core/blocks/testSource.ts), the failure (failureText.ts), the function with its values
// (core/trace/tracedFunction.ts) and the answer format (answerFormat.ts).

import type { SourceRange } from '../blocks/positions';
import type { TestFailure } from '../failures/testFailure';
import { fenceFor, renderTracedFunction, listingLegend, type ListedBlock, type ListedFunction, type ListingTrace, type ListingTraceCall, type ListingTraceStep } from '../trace/tracedFunction';
import { diagnosisJsonSchema, jsonFormat, systemIntro, textFormatInstructions } from './answerFormat';
import { cleanFailure, renderFailure, type CleanFailure } from './failureText';
import { redactSecrets, type RedactionOptions } from './redaction';
import { estimateTokens, truncateToTokens } from './tokens';

export { diagnosisJsonSchema, diagnosisToolName, textFormatInstructions } from './answerFormat';

/** What the test expects: the test itself and how it failed. */
export interface PromptIntent {
  readonly testName: string;
  /** Enclosing `describe` blocks or classes, outermost first. */
  readonly suitePath?: readonly string[];
  /** The test's file as the reader knows it (relative to the workspace) and the test's first line. */
  readonly testFile?: string;
  readonly testLine?: number;
  /** The test's source: the test with its suites and helpers (testSource.ts), or lines around it. */
  readonly testSource?: string;
  /** How it failed, cleaned (failureText.ts); without it `message`, `expected` and `actual` are shown. */
  readonly failure?: CleanFailure;
  /** The failing assertion's message, or the exception. */
  readonly message?: string;
  readonly expected?: string;
  readonly actual?: string;
  /** The target function's documentation, when it is not in the function's own lines. */
  readonly docstring?: string;
}

/** The intent of a failing test as the runners report it, plus the sources they do not carry. */
export function intentFromFailure(failure: TestFailure, sources: { testSource?: string; docstring?: string } = {}): PromptIntent {
  return { testName: failure.name, message: failure.message, expected: failure.expected, actual: failure.actual, failure: cleanFailure(failure), ...sources };
}

export type PromptBlock = ListedBlock;

export interface PromptFunction {
  /** Qualified: `Cart.total`. */
  readonly name: string;
  /** As the reader knows it: relative to the workspace. */
  readonly file?: string;
  /** `python`, `javascript`, `typescript`, `tsx`: the code fence's tag and the comment syntax. */
  readonly language?: string;
  readonly range: SourceRange;
  /** The whole file's text: the function is shown from it, line for line. */
  readonly source?: string;
  /** The first line to show: decorators and the comment right above the function. */
  readonly firstLine?: number;
  /** Without `source`: the lines before the first block (decorators, signature), as in the file. */
  readonly header?: string;
  readonly blocks: readonly PromptBlock[];
}

export type PromptTraceStep = ListingTraceStep;
export type PromptTraceCall = ListingTraceCall;
/** A `Trace` (traceModel.ts) fits as is. */
export type PromptTrace = ListingTrace;

export interface PromptInput {
  readonly intent: PromptIntent;
  readonly fn: PromptFunction;
  readonly trace?: PromptTrace;
  /** Block id -> suspicion score (higher = more suspicious): budget goes to suspicious blocks first. */
  readonly suspicion?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
}

export interface PromptOptions {
  /** The whole prompt (default 6000 tokens). */
  readonly maxTokens?: number;
  /** The trace's share (default 2000 tokens). */
  readonly maxTraceTokens?: number;
  /** 'json' (default) asks for the schema's JSON; 'text' for the plain-text fallback format. */
  readonly answerFormat?: 'json' | 'text';
  readonly redaction?: RedactionOptions;
}

export interface PromptMessage {
  readonly role: 'system' | 'user';
  readonly content: string;
}

export interface PromptStats {
  readonly estimatedTokens: number;
  readonly blocksIncluded: number;
  readonly traceStepsIncluded: number;
  /** Something (test source, block code, trace steps) was left out to fit the budget. */
  readonly truncated: boolean;
  readonly redactions: number;
}

export interface BuiltPrompt {
  readonly messages: PromptMessage[];
  readonly schema: typeof diagnosisJsonSchema;
  readonly stats: PromptStats;
}

export const DEFAULT_MAX_TOKENS = 6000;
export const DEFAULT_MAX_TRACE_TOKENS = 2000;

export function buildPrompt(input: PromptInput, options: PromptOptions = {}): BuiltPrompt {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const maxTraceTokens = options.maxTraceTokens ?? DEFAULT_MAX_TRACE_TOKENS;
  const format = options.answerFormat ?? 'json';
  const system = [...systemIntro, '', ...(format === 'json' ? jsonFormat : textFormatInstructions)].join('\n');
  const { fn, trace } = input;
  let truncated = false;

  // The test and its failure first: the test's source may take a quarter of the budget.
  const test = renderTest(input.intent, Math.max(100, Math.floor(maxTokens / 4)), fn.language);
  truncated ||= test.truncated;
  const failureText = renderFailure(input.intent.failure ?? cleanFailure({ message: input.intent.message, expected: input.intent.expected, actual: input.intent.actual }));
  const shortFailure = truncateToTokens(failureText, Math.max(80, Math.floor(maxTokens / 8)));
  truncated ||= shortFailure.truncated;
  const failure = shortFailure.text;
  const closing = `Check every block (${fn.blocks.map((b) => b.id).join(', ')}) against the intent, then answer in the format above.`;
  const hasValues = !!trace && trace.calls.some((c) => c.steps.length > 0);
  const heading = `## The function under test: ${fn.name}${fn.file ? ` (${fn.file}, ${lineSpan(fn.range)})` : ''}`;
  const docs = input.intent.docstring ? `The function's documentation:\n${input.intent.docstring.trim()}` : '';
  const legend = hasValues ? listingLegend(fn.language) : `\`${fn.language === 'python' ? '#' : '//'} [bN]\` lines mark where basic block bN starts; they are not in the file.`;
  const fixed = [system, test.text, failure, heading, docs, legend, closing].reduce((sum, part) => sum + estimateTokens(part) + 2, 0) + 40;

  // The function's code always goes in whole when it fits what is left after a reserve for values;
  // else its least suspicious blocks' lines are left out, marked. The values get what remains.
  const listed = listedFunction(fn);
  const suspicion = suspicionOf(input.suspicion);
  const remaining = Math.max(0, maxTokens - fixed);
  const reserve = hasValues ? Math.min(maxTraceTokens, Math.floor(remaining * 0.4)) : 0;
  const maxCodeTokens = Math.max(0, remaining - reserve);
  const bare = renderTracedFunction(listed, undefined, { maxTraceTokens: 0, maxCodeTokens, suspicion });
  const traceTokens = Math.max(0, Math.min(maxTraceTokens, remaining - estimateTokens(bare.text) - 8));
  const shown = renderTracedFunction(listed, trace, { maxTraceTokens: traceTokens, maxCodeTokens, suspicion });
  truncated ||= shown.blocksLeftOut.length > 0 || shown.stepsShown < shown.stepsRecorded;

  const notes: string[] = [];
  if (!trace) notes.push('No runtime values were recorded for this run.');
  else if (!trace.calls.length) notes.push(`The tracer recorded no call of ${fn.name} while the test ran, so there are no values.`);
  else {
    if (shown.stepsShown < shown.stepsRecorded) {
      notes.push(`Values of ${shown.stepsRecorded - shown.stepsShown} of the ${shown.stepsRecorded} recorded block runs are left out to fit the budget (each block's first and last runs and the most suspicious blocks kept first).`);
    }
    const tracerNotes = typeof trace.truncated === 'object' && trace.truncated ? (trace.truncated.notes ?? []) : [];
    if (tracerNotes.length) notes.push(`The tracer: ${tracerNotes.join('; ')}.`);
    else if (trace.truncated === true) notes.push('The tracer left some runs out.');
  }
  if (shown.blocksLeftOut.length) notes.push(`The code of ${shown.blocksLeftOut.join(', ')} is left out to fit the budget.`);

  const user = [test.text, '## How it fails', failure, [heading, docs].filter(Boolean).join('\n\n'), legend, shown.text, notes.join('\n'), closing]
    .filter((s) => s !== '')
    .join('\n\n');

  const redactedSystem = redactSecrets(system, options.redaction);
  const redactedUser = redactSecrets(user, options.redaction);
  const messages: PromptMessage[] = [
    { role: 'system', content: redactedSystem.text },
    { role: 'user', content: redactedUser.text },
  ];
  return {
    messages,
    schema: diagnosisJsonSchema,
    stats: {
      // A few tokens of framing per message, as chat APIs count them.
      estimatedTokens: messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0),
      blocksIncluded: fn.blocks.length - shown.blocksLeftOut.length,
      traceStepsIncluded: shown.stepsShown,
      truncated,
      redactions: redactedSystem.count + redactedUser.count,
    },
  };
}

function renderTest(intent: PromptIntent, budget: number, language: string | undefined): { text: string; truncated: boolean } {
  const title = [...(intent.suitePath ?? []), intent.testName].join(' › ');
  const where = intent.testFile ? ` (${intent.testFile}${intent.testLine ? `, line ${intent.testLine}` : ''})` : '';
  const lines = [`## The failing test: ${title}${where}`];
  if (!intent.testSource) return { text: lines.join('\n'), truncated: false };
  const source = truncateToTokens(intent.testSource.replace(/\r\n/g, '\n').trimEnd(), budget);
  const fence = fenceFor(source.text);
  lines.push('', fence + (language ?? ''), source.text, fence);
  return { text: lines.join('\n'), truncated: source.truncated };
}

function lineSpan(range: SourceRange): string {
  return range.start.line === range.end.line ? `line ${range.start.line}` : `lines ${range.start.line}-${range.end.line}`;
}

function suspicionOf(map: PromptInput['suspicion']): Map<string, number> {
  if (!map) return new Map();
  return map instanceof Map ? new Map(map) : new Map(Object.entries(map));
}

/**
 * The function as `renderTracedFunction` reads it. Without the file's text (older callers), the
 * lines are rebuilt from the header and the blocks' own text; lines between blocks stay empty.
 */
function listedFunction(fn: PromptFunction): ListedFunction {
  if (fn.source !== undefined) return { name: fn.name, file: fn.file, language: fn.language, source: fn.source, range: fn.range, firstLine: fn.firstLine, blocks: fn.blocks };
  const lines: string[] = [];
  const put = (line: number, text: string) => {
    while (lines.length < line) lines.push('');
    lines[line - 1] = text;
  };
  (fn.header ?? '').split('\n').forEach((l, i) => put(fn.range.start.line + i, l));
  for (const b of fn.blocks) {
    b.text.replace(/\r\n/g, '\n').split('\n').forEach((l, i) => {
      const at = b.range.start.line + i;
      const existing = lines[at - 1] ?? '';
      put(at, i === 0 ? `${existing}${' '.repeat(Math.max(0, b.range.start.character - existing.length))}${l}` : l);
    });
  }
  return { name: fn.name, file: fn.file, language: fn.language, source: lines.join('\n'), range: fn.range, blocks: fn.blocks };
}

/**
 * The lines of a function before its first block (decorators, signature), from the file's text.
 * Kept for callers that still pass `header`; `source` shows the whole function instead.
 */
export function functionHeader(source: string, range: SourceRange, blocks: readonly PromptBlock[]): string {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const firstBlockLine = blocks.length ? Math.min(...blocks.map((b) => b.range.start.line)) : range.end.line + 1;
  const last = Math.max(range.start.line, firstBlockLine - 1);
  return lines.slice(range.start.line - 1, last).join('\n');
}
