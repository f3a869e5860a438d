// The duck's prompt: what the test wants, the target function cut into basic blocks with the
// values seen after each block, and the answer format, all inside a token budget. Pure: the caller
// gathers the failure, the blocks and the trace; this only decides what fits and how it reads.

import type { Block } from '../blocks/basicBlocks';
import type { SourceRange } from '../blocks/positions';
import type { TestFailure } from '../failures/testFailure';
import { redactSecrets, type RedactionOptions } from './redaction';
import { estimateTokens, truncateToTokens } from './tokens';

/** What the test expects: the failure and the words around the function that state its intent. */
export interface PromptIntent {
  readonly testName: string;
  /** The test's source code (the test function, or its file when short). */
  readonly testSource?: string;
  /** The failing assertion's message, or the exception. */
  readonly message?: string;
  readonly expected?: string;
  readonly actual?: string;
  /** The target function's docstring and leading comments. */
  readonly docstring?: string;
}

/** The intent of a failing test as the runners report it, plus the sources they do not carry. */
export function intentFromFailure(failure: TestFailure, sources: { testSource?: string; docstring?: string } = {}): PromptIntent {
  return { testName: failure.name, message: failure.message, expected: failure.expected, actual: failure.actual, ...sources };
}

export type PromptBlock = Pick<Block, 'id' | 'kind' | 'range' | 'text'>;

export interface PromptFunction {
  /** Qualified: `Cart.total`. */
  readonly name: string;
  readonly file?: string;
  /** Used as the code fence's language tag. */
  readonly language?: string;
  readonly range: SourceRange;
  /** The function's lines before its first block (decorators, signature), as in the file. */
  readonly header?: string;
  readonly blocks: readonly PromptBlock[];
}

// The part of a trace the prompt reads. `Trace` from src/core/trace/traceModel.ts fits it as is
// (values as `{ type, text }`, `returned`/`threw`); plain values and `result`/`error` work too, so
// tests and other producers can hand-build one.
export interface PromptTraceStep {
  readonly blockId: string;
  readonly iteration?: number;
  /** Variable name -> value: a `TraceValue` ({ type, text }), a repr string, or any JSON-able value. */
  readonly vars: Readonly<Record<string, unknown>>;
}

export interface PromptTraceCall {
  readonly args?: unknown;
  readonly steps: readonly PromptTraceStep[];
  readonly returned?: unknown;
  readonly threw?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly unfinished?: boolean;
}

export interface PromptTrace {
  readonly calls: readonly PromptTraceCall[];
  /** The tracer itself left steps or calls out (a `Truncation` says why in `notes`). */
  readonly truncated?: boolean | { readonly notes?: readonly string[] };
}

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
  /** Something (test source, block text, trace steps) was left out to fit the budget. */
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

/**
 * The answer's JSON schema, usable as OpenAI `response_format: { type: 'json_schema', strict: true }`
 * or as a tool's parameters: every property required, optional ones nullable, no extra keys.
 */
export const diagnosisJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'verdicts', 'fix', 'test_is_wrong'],
  properties: {
    summary: { type: 'string', description: 'What is wrong, in plain words, for the programmer.' },
    verdicts: {
      type: 'array',
      description: 'One entry per block shown, in order.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['block', 'correct', 'why'],
        properties: {
          block: { type: 'string', description: 'Block id, e.g. "b3".' },
          correct: { type: 'boolean', description: 'Does this block do what the intent needs, given the values seen?' },
          why: { type: 'string' },
        },
      },
    },
    fix: {
      description: 'The fix, or null when no code change is needed (for example when the test is wrong).',
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'code', 'diff', 'edits'],
          properties: {
            kind: { type: 'string', enum: ['function', 'diff', 'search_replace'] },
            code: { type: ['string', 'null'], description: 'kind "function": the whole corrected function, same name and signature.' },
            diff: { type: ['string', 'null'], description: 'kind "diff": a unified diff of the file.' },
            edits: {
              type: ['array', 'null'],
              description: 'kind "search_replace": exact snippets of the current code and their replacements.',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['search', 'replace'],
                properties: { search: { type: 'string' }, replace: { type: 'string' } },
              },
            },
          },
        },
      ],
    },
    test_is_wrong: {
      description: 'Only when the test itself contradicts the documented intent: the claim, else null.',
      anyOf: [
        { type: 'null' },
        { type: 'object', additionalProperties: false, required: ['claim'], properties: { claim: { type: 'string' } } },
      ],
    },
  },
} as const;

/** The name to give the schema as a tool or a `json_schema` response format. */
export const diagnosisToolName = 'report_diagnosis';

const systemIntro = [
  'You are a careful rubber-duck debugger. A test fails. You are shown what the test expects, the',
  'function under test cut into basic blocks (b1, b2, ...) with line numbers, and, when recorded,',
  'the values of its variables after each block ran.',
  '',
  'Work like a careful colleague:',
  '1. State the intent: what must this function do for the test to pass? Use the test, the',
  '   assertion, expected vs actual, and the docstring.',
  '2. Check every block in order against that intent and against the recorded values. A block is',
  '   correct when its code does what the intent needs at that point and the values after it are the',
  '   ones it should produce. Say why in one or two sentences; cite values.',
  '3. Suspect the implementation before the test. Claim the test is wrong only when the test',
  '   contradicts the documented intent, and then propose no fix.',
  '4. Fix the first wrong block with the smallest change. Keep the function name, signature and',
  '   style; do not touch other functions or the tests.',
];

const jsonFormat = [
  'Answer with one JSON object and nothing else:',
  '{"summary": "...", "verdicts": [{"block": "b1", "correct": true, "why": "..."}],',
  ' "fix": {"kind": "function", "code": "<the whole corrected function>", "diff": null, "edits": null} or null,',
  ' "test_is_wrong": {"claim": "..."} or null}',
  'Prefer kind "function" with the whole corrected function. Alternatively kind "search_replace" with',
  '"edits": [{"search": "<exact lines of the current code>", "replace": "<new lines>"}], or kind "diff" with a unified diff.',
];

/**
 * The plain-text fallback, for models without structured output. `parseReply` reads it (and the
 * JSON form) back:
 *
 *     SUMMARY: <what is wrong, in plain words>
 *     VERDICT b1: correct | <why>
 *     VERDICT b2: wrong | <why>
 *     TEST IS WRONG: <claim>            (only when the test itself is wrong; then no FIX)
 *     FIX:
 *     ```<language>
 *     <the whole corrected function>
 *     ```
 */
export const textFormatInstructions = [
  'Answer in exactly this format:',
  'SUMMARY: <what is wrong, in plain words>',
  'VERDICT b1: correct | <why>',
  'VERDICT b2: wrong | <why>',
  '(one VERDICT line per block, in order)',
  'TEST IS WRONG: <claim>   (only when the test itself is wrong; then leave out FIX)',
  'FIX:',
  '```<language>',
  '<the whole corrected function, same name and signature>',
  '```',
];

export function buildPrompt(input: PromptInput, options: PromptOptions = {}): BuiltPrompt {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const maxTraceTokens = options.maxTraceTokens ?? DEFAULT_MAX_TRACE_TOKENS;
  const format = options.answerFormat ?? 'json';
  const system = [...systemIntro, '', ...(format === 'json' ? jsonFormat : textFormatInstructions)].join('\n');
  const { fn, trace } = input;
  const fence = fenceTag(fn.language);
  let truncated = false;

  // Fixed parts first: the system message and the intent. The test source may take at most a
  // quarter of the budget; the failure itself is short and always goes in.
  const intent = renderIntent(input.intent, Math.floor(maxTokens / 4), fence);
  truncated ||= intent.truncated;
  const closing = `Check every block (${fn.blocks.map((b) => b.id).join(', ')}) against the intent, then answer in the format above.`;
  const fixedTokens = estimateTokens(system) + estimateTokens(intent.text) + estimateTokens(closing) + 24;

  const steps = trace ? collectSteps(trace) : [];
  const remaining = Math.max(0, maxTokens - fixedTokens);
  const traceReserve = steps.length ? Math.min(maxTraceTokens, Math.floor(remaining * 0.4)) : 0;
  const suspicion = suspicionOf(input.suspicion);
  const ranked = rankBlocks(fn.blocks, suspicion);

  // Block code: every block when it fits, else the least suspicious blocks lose their text first.
  const included = new Set(fn.blocks.map((b) => b.id));
  const blockText = new Map(fn.blocks.map((b) => [b.id, renderBlockCode(b)]));
  const functionBudget = remaining - traceReserve;
  const functionCost = () => estimateTokens(renderFunction(fn, included, blockText, suspicion, new Map(), fence));
  for (let i = ranked.length - 1; i > 0 && functionCost() > functionBudget; i--) {
    included.delete(ranked[i].id);
    truncated = true;
  }

  // The trace gets what is left, up to its own budget, spent on suspicious blocks first.
  const withoutTrace = renderFunction(fn, included, blockText, suspicion, new Map(), fence);
  const traceBudget = Math.min(maxTraceTokens, maxTokens - fixedTokens - estimateTokens(withoutTrace));
  // Each call's arguments and outcome first: they frame every step.
  const calls = trace ? renderCalls(trace, Math.min(400, Math.floor(traceBudget / 4))) : '';
  const stepBudget = traceBudget - estimateTokens(calls);
  const chosen = steps.length ? chooseSteps(steps, ranked, included, stepBudget) : { byBlock: new Map<string, string[]>(), count: 0, omitted: 0 };
  if (chosen.omitted > 0) truncated = true;
  const functionText = renderFunction(fn, included, blockText, suspicion, chosen.byBlock, fence);

  const tracerNotes = trace && typeof trace.truncated === 'object' ? (trace.truncated.notes ?? []) : [];
  const traceNote = !trace
    ? 'No runtime values were recorded for this run.'
    : [`Values are shown after each block ran${trace.truncated || chosen.omitted ? '; some steps were left out' : ''}.`, ...tracerNotes].join(' ');
  const user = [intent.text, '', calls ? `${calls}\n` : '', functionText, '', traceNote, '', closing].filter((s, i, all) => s !== '' || all[i - 1] !== '').join('\n');

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
      blocksIncluded: included.size,
      traceStepsIncluded: chosen.count,
      truncated,
      redactions: redactedSystem.count + redactedUser.count,
    },
  };
}

function fenceTag(language: string | undefined): string {
  if (!language) return '';
  return language === 'tsx' ? 'tsx' : language;
}

function renderIntent(intent: PromptIntent, testSourceBudget: number, fence: string): { text: string; truncated: boolean } {
  const lines = [`## The failing test: ${intent.testName}`];
  if (intent.message) lines.push('', 'Failure:', indent(clip(intent.message, 1500)));
  if (intent.expected !== undefined) lines.push('', `Expected: ${clip(intent.expected, 600)}`);
  if (intent.actual !== undefined) lines.push(`Actual:   ${clip(intent.actual, 600)}`);
  let truncated = false;
  if (intent.testSource) {
    const source = truncateToTokens(intent.testSource.replace(/\r\n/g, '\n').trimEnd(), testSourceBudget);
    truncated = source.truncated;
    lines.push('', 'Test code:', '```' + fence, source.text, '```');
  }
  if (intent.docstring) lines.push('', "The function's documentation:", indent(clip(intent.docstring.trim(), 2000)));
  return { text: lines.join('\n'), truncated };
}

function indent(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => `    ${l}`.trimEnd())
    .join('\n');
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}

function suspicionOf(map: PromptInput['suspicion']): Map<string, number> {
  if (!map) return new Map();
  return map instanceof Map ? new Map(map) : new Map(Object.entries(map));
}

/** Most suspicious first; without scores, source order (the entry block first). */
function rankBlocks(blocks: readonly PromptBlock[], suspicion: Map<string, number>): PromptBlock[] {
  return blocks
    .map((b, i) => ({ b, i }))
    .sort((x, y) => (suspicion.get(y.b.id) ?? 0) - (suspicion.get(x.b.id) ?? 0) || x.i - y.i)
    .map((x) => x.b);
}

/** A block's lines, numbered as in the file. Its first line starts mid-line: restore the indentation. */
function renderBlockCode(block: PromptBlock): string {
  const lines = block.text.replace(/\r\n/g, '\n').split('\n');
  const width = String(block.range.end.line).length;
  return lines
    .map((line, i) => {
      const text = i === 0 ? ' '.repeat(Math.min(block.range.start.character, 40)) + line : line;
      return `${String(block.range.start.line + i).padStart(width)} | ${text}`.trimEnd();
    })
    .join('\n');
}

function lineSpan(range: SourceRange): string {
  return range.start.line === range.end.line ? `line ${range.start.line}` : `lines ${range.start.line}-${range.end.line}`;
}

function renderFunction(
  fn: PromptFunction,
  included: ReadonlySet<string>,
  blockText: ReadonlyMap<string, string>,
  suspicion: ReadonlyMap<string, number>,
  values: ReadonlyMap<string, readonly string[]>,
  fence: string,
): string {
  const lines = [`## The function under test: ${fn.name}${fn.file ? ` (${fn.file}, ${lineSpan(fn.range)})` : ''}`, ''];
  if (fn.header) {
    const width = String(fn.range.end.line).length;
    const header = fn.header.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
    lines.push('```' + fence, ...header.map((l, i) => `${String(fn.range.start.line + i).padStart(width)} | ${l}`.trimEnd()), '```', '');
  }
  for (const block of fn.blocks) {
    const score = suspicion.get(block.id);
    const title = `### ${block.id} (${block.kind}, ${lineSpan(block.range)}${score !== undefined ? `, suspicion ${score.toFixed(2)}` : ''})`;
    if (!included.has(block.id)) {
      lines.push(`${title}: code left out to fit the budget`, '');
      continue;
    }
    lines.push(title, '```' + fence, blockText.get(block.id) ?? '', '```');
    const seen = values.get(block.id);
    if (seen?.length) lines.push('Values after this block:', ...seen);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

interface Step {
  readonly call: number;
  /** Position in the whole run, for chronological order. */
  readonly order: number;
  readonly blockId: string;
  readonly line: string;
}

function collectSteps(trace: PromptTrace): Step[] {
  const steps: Step[] = [];
  const multipleCalls = trace.calls.length > 1;
  trace.calls.forEach((call, c) => {
    for (const step of call.steps) {
      const where = [multipleCalls ? `call ${c + 1}` : '', step.iteration !== undefined ? `iteration ${step.iteration}` : ''].filter(Boolean).join(', ');
      const vars = Object.entries(step.vars)
        .map(([name, value]) => `${name} = ${formatValue(value)}`)
        .join(', ');
      steps.push({ call: c, order: steps.length, blockId: step.blockId, line: `  - ${where ? `${where}: ` : ''}${vars || '(no variables)'}` });
    }
  });
  return steps;
}

function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (isTraceValue(value)) text = value.text;
  else if (isVarRecord(value)) {
    text = Object.entries(value)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ');
  }
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

function isTraceValue(value: unknown): value is { text: string } {
  return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string' && typeof (value as { type?: unknown }).type === 'string';
}

/** Arguments as a tracer records them: name -> TraceValue. */
function isVarRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).length > 0 && Object.values(value).every(isTraceValue);
}

/**
 * Steps worth showing, within `budget`. The last call most likely ran the failing path, so its
 * steps come first. Within a call, blocks take turns (most suspicious first), and each block's
 * steps are taken from both ends inwards: how a loop starts and how it ends say the most.
 */
function chooseSteps(
  steps: readonly Step[],
  ranked: readonly PromptBlock[],
  included: ReadonlySet<string>,
  budget: number,
): { byBlock: Map<string, string[]>; count: number; omitted: number } {
  const lastCall = Math.max(...steps.map((s) => s.call));
  const priority: Step[] = [];
  const callOrder = [lastCall, ...[...new Set(steps.map((s) => s.call))].filter((c) => c !== lastCall)];
  for (const call of callOrder) {
    const queues = ranked.map((b) => headsAndTails(steps.filter((s) => s.call === call && s.blockId === b.id && included.has(s.blockId))));
    for (let round = 0; queues.some((q) => round < q.length); round++) for (const q of queues) if (round < q.length) priority.push(q[round]);
  }
  const chosen = new Set<Step>();
  let cost = 0;
  for (const s of priority) {
    const c = estimateTokens(s.line) + 1;
    if (cost + c > budget) continue;
    chosen.add(s);
    cost += c;
  }
  const byBlock = new Map<string, string[]>();
  for (const block of ranked) {
    const mine = steps.filter((s) => s.blockId === block.id);
    const lines: string[] = [];
    let skipped = 0;
    for (const s of mine) {
      if (chosen.has(s)) {
        if (skipped) lines.push(omittedLine(skipped));
        skipped = 0;
        lines.push(s.line);
      } else skipped++;
    }
    if (skipped && lines.length) lines.push(omittedLine(skipped));
    if (lines.length) byBlock.set(block.id, lines);
  }
  return { byBlock, count: chosen.size, omitted: steps.filter((s) => included.has(s.blockId)).length - chosen.size };
}

function omittedLine(n: number): string {
  return `  - … ${n} more step${n === 1 ? '' : 's'} left out`;
}

/** first, last, second, second to last, ... */
function headsAndTails<T>(items: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0, j = items.length - 1; i <= j; i++, j--) {
    out.push(items[i]);
    if (j !== i) out.push(items[j]);
  }
  return out;
}

/** Each call's arguments and outcome, as far as the remaining budget allows. */
function renderCalls(trace: PromptTrace, budget: number): string {
  const lines: string[] = [];
  let cost = 0;
  trace.calls.forEach((call, i) => {
    const threw = call.threw ?? call.error;
    const returned = call.returned ?? call.result;
    const outcome = threw !== undefined ? `raised ${formatValue(threw)}` : returned !== undefined && !call.unfinished ? `returned ${formatValue(returned)}` : 'did not finish';
    const line = `- call ${i + 1}${call.args !== undefined ? ` with ${formatValue(call.args)}` : ''}: ${outcome}`;
    const c = estimateTokens(line) + 1;
    if (cost + c > budget) return;
    lines.push(line);
    cost += c;
  });
  return lines.length ? ['## Calls recorded', ...lines].join('\n') : '';
}

/**
 * The lines of a function before its first block (decorators, signature), from the file's text:
 * what `PromptFunction.header` wants.
 */
export function functionHeader(source: string, range: SourceRange, blocks: readonly PromptBlock[]): string {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const firstBlockLine = blocks.length ? Math.min(...blocks.map((b) => b.range.start.line)) : range.end.line + 1;
  const last = Math.max(range.start.line, firstBlockLine - 1);
  return lines.slice(range.start.line - 1, last).join('\n');
}
