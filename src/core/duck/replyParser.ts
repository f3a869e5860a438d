// Reads a model's answer back into a Diagnosis, however it came: the schema's JSON (bare, fenced,
// wrapped in prose, followed by more text, or as a tool call's arguments string), the plain-text
// fallback format, or prose with code. Never throws: a reply we cannot use gets a clear error that
// can be shown to the user or sent back to the model. Time is linear in the reply's length (no
// backtracking regular expression runs over it), and replies over a size cap are refused unread.

import { jsonrepair } from 'jsonrepair';
import { DEFAULT_MAX_REPLY_BYTES, formatBytes } from '../modelBudget';
import type { BlockVerdict, Diagnosis, Fix } from './diagnosis';
import { simpleNameOf } from './definitions';
import { firstString, fixFromText, normalize, readJsonFix, requireFixFound, truncatedHint, type FixContext } from './replyFix';
import { codeFences, isJsonFence, maskFences, readTextAnswer, type Fence } from './replyText';
import { blockRefOf, resolveVerdicts, type BlockSpan, type RawVerdict } from './verdictBlocks';

export interface ReplyContext extends FixContext {
  /** A reply without a fix (and without a claim that the test is wrong) is an error. */
  readonly requireFix?: boolean;
  /** The API said the output hit its token limit (`finish_reason: "length"`). */
  readonly cutOff?: boolean;
  /** The blocks the prompt showed: verdicts by number or by line are mapped onto them. */
  readonly blocks?: readonly BlockSpan[];
  /** Replies above this many UTF-8 bytes are refused (`ducktrace.model.maxReplyBytes`, default 1 MB). */
  readonly maxReplyBytes?: number;
}

export type ReplyFormat = 'json' | 'text' | 'prose';

export type ParseResult =
  | { readonly ok: true; readonly diagnosis: Diagnosis; readonly format: ReplyFormat; readonly notes: readonly string[] }
  | { readonly ok: false; readonly error: string };

export function parseReply(reply: unknown, context: ReplyContext = {}): ParseResult {
  try {
    if (typeof reply !== 'string') return fail('The reply is not text.');
    const tooLong = sizeProblem(reply, context.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES);
    if (tooLong) return fail(tooLong);
    const text = normalize(reply).replace(/^\uFEFF/, '');
    if (!text.trim()) return fail('The reply is empty.');
    if (context.cutOff) return fail(`The reply was cut off at the model's output limit ${truncatedHint}.`);
    const fences = codeFences(text);
    const json = findJson(text, fences);
    if (json.kind === 'found') return finish(fromJson(json.value, context), 'json', context);
    if (json.kind === 'truncated') return fail(`The reply is truncated: its JSON object never closes ${truncatedHint}.`);
    if (json.kind === 'invalid') return fail(`The reply's JSON does not parse: ${json.error}.`);
    const answer = readTextAnswer(maskFences(text, fences));
    return finish(fromText(text, answer, context), answer.structured ? 'text' : 'prose', context);
  } catch (error) {
    // A parser bug must not take the caller down; report it like any unusable reply.
    return fail(`The reply could not be read: ${error instanceof Error ? error.message : String(error)}.`);
  }
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

/** Why a reply is too long to read, or undefined. Counts UTF-8 bytes without encoding the text. */
function sizeProblem(reply: string, maxBytes: number): string | undefined {
  if (reply.length * 3 <= maxBytes) return undefined;
  let bytes = 0;
  for (let i = 0; i < reply.length; i++) {
    const c = reply.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  if (bytes <= maxBytes) return undefined;
  return `The reply is ${formatBytes(bytes)}, over the ${formatBytes(maxBytes)} limit for model replies (ducktrace.model.maxReplyBytes), so it was not read and nothing was changed. Ask again for a shorter answer (the whole function only), or raise the limit.`;
}

type Partial = { ok: true; diagnosis: Diagnosis; notes: string[] } | { ok: false; error: string };

function finish(result: Partial, format: ReplyFormat, context: ReplyContext): ParseResult {
  if (!result.ok) return result;
  const d = result.diagnosis;
  if (context.requireFix && !d.fix && !d.testIsWrong) {
    const what = context.functionName ? `no code block defining '${simpleNameOf(context.functionName)}'` : 'no code block with a function';
    return fail(`The reply explains the problem but contains no fix: ${what}, no diff and no SEARCH/REPLACE block.`);
  }
  return { ok: true, diagnosis: d, format, notes: result.notes };
}

// ---- JSON ----

type JsonSearch = { kind: 'found'; value: Record<string, unknown> } | { kind: 'truncated' } | { kind: 'invalid'; error: string } | { kind: 'none' };

/** Keys that make an object the diagnosis: the schema's, and what models write instead. */
const diagnosisKeys = ['summary', 'verdicts', 'fix', 'test_is_wrong', 'testIsWrong', 'diagnosis', 'explanation', 'fixed_code', 'fixedCode', 'corrected_function', 'corrected_code', 'fixed_function', 'patch'];
/** Keys whose string value is the fix, in the order they are tried. */
const fixKeys = ['fix', 'patch', 'fixed_code', 'fixedCode', 'corrected_function', 'corrected_code', 'fixed_function', 'code', 'diff'];

/**
 * The diagnosis object in the reply: in a ```json fence, the whole reply, or the first balanced
 * object that has a diagnosis key (other code fences are masked, so JavaScript braces never count).
 */
function findJson(text: string, fences: readonly Fence[] = codeFences(text)): JsonSearch {
  const candidates: string[] = [];
  for (const fence of fences) {
    if (isJsonFence(fence)) {
      if (!fence.closed) return looksLikeDiagnosisJson(fence.content) ? { kind: 'truncated' } : { kind: 'none' };
      candidates.push(fence.content);
    }
  }
  const masked = maskFences(text, fences);
  let truncated = false;
  let invalid: string | undefined;
  for (let i = masked.indexOf('{'); i >= 0; i = masked.indexOf('{', i + 1)) {
    let end = balancedEnd(masked, i, false);
    if (end < 0) {
      // An unterminated string that a line break would end is malformed JSON, not a cut-off one.
      end = balancedEnd(masked, i, true);
      if (end < 0) {
        if (looksLikeDiagnosisJson(masked.slice(i))) truncated = true;
        break;
      }
    }
    candidates.push(text.slice(i, end + 1));
    i = end;
  }
  // A tool call's arguments may arrive as a JSON string holding the JSON.
  if (text.trimStart().startsWith('"')) candidates.unshift(text.trim());
  for (const candidate of candidates) {
    const parsed = parseJsonLenient(candidate);
    if (!parsed.ok) {
      if (looksLikeDiagnosisJson(candidate)) invalid ??= parsed.error;
      continue;
    }
    const value = unwrap(parsed.value, 0);
    if (value) return { kind: 'found', value };
  }
  if (truncated) return { kind: 'truncated' };
  if (invalid) return { kind: 'invalid', error: invalid };
  return { kind: 'none' };
}

function looksLikeDiagnosisJson(text: string): boolean {
  return text.trimStart().startsWith('{') && diagnosisKeys.some((k) => text.includes(`"${k}"`));
}

/** Index of the `}` closing the object opened at `start`, or -1 when the text ends first. */
function balancedEnd(text: string, start: number, lineEndsString: boolean): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"' || (lineEndsString && c === '\n')) inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return c === '}' ? i : -1;
    }
  }
  return -1;
}

/**
 * JSON as models write it: strict first, then repaired by jsonrepair (trailing commas, raw line
 * breaks in strings, single quotes, comments), which, unlike text substitutions, never edits inside
 * a string.
 */
function parseJsonLenient(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    try {
      return { ok: true, value: JSON.parse(jsonrepair(text)) };
    } catch {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** The diagnosis object inside tool calls, chat completions and double-encoded strings. */
function unwrap(value: unknown, depth: number): Record<string, unknown> | undefined {
  if (depth > 6) return undefined;
  if (typeof value === 'string') {
    const first = value.trimStart()[0];
    if (first !== '{' && first !== '[' && first !== '"') return undefined;
    const inner = parseJsonLenient(value);
    return inner.ok ? unwrap(inner.value, depth + 1) : undefined;
  }
  if (Array.isArray(value)) return value.length ? unwrap(value[0], depth + 1) : undefined;
  if (!value || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  const isToolCall = typeof obj.function === 'object' && obj.function !== null && 'arguments' in obj.function;
  const isDiagnosis = diagnosisKeys.some((k) => k in obj) || ((typeof obj.code === 'string' || typeof obj.diff === 'string') && !('choices' in obj) && !('message' in obj));
  if (isDiagnosis && !isToolCall) {
    // `{ "diagnosis": { ... } }` wraps the real object.
    if (obj.diagnosis && typeof obj.diagnosis === 'object' && !('summary' in obj)) return unwrap(obj.diagnosis, depth + 1);
    return obj;
  }
  for (const key of ['arguments', 'function', 'tool_calls', 'choices', 'message', 'input', 'parameters']) {
    if (key in obj) {
      const inner = unwrap(obj[key], depth + 1);
      if (inner) return inner;
    }
  }
  // A chat completion whose content is itself the answer.
  if (typeof obj.content === 'string') {
    const found = findJson(normalize(obj.content));
    if (found.kind === 'found') return found.value;
  }
  return undefined;
}

function fromJson(obj: Record<string, unknown>, context: ReplyContext): Partial {
  const notes: string[] = [];
  const summary = firstString(obj.summary, obj.explanation, obj.diagnosis, obj.analysis, obj.reason) ?? '';
  const verdicts = readVerdicts(obj.verdicts ?? obj.blocks, context, notes);
  const testIsWrong = readTestIsWrong(obj.test_is_wrong ?? obj.testIsWrong ?? obj.test_wrong);
  const key = fixKeys.find((k) => obj[k] !== undefined && obj[k] !== null && obj[k] !== false && !(k === 'code' && typeof obj[k] !== 'string'));
  let fix: Fix | undefined;
  if (key !== undefined) {
    // `"diff": "..."` is a diff; the other keys hold whatever the model wrote (code, diff or edits).
    const read = key === 'diff' && typeof obj.diff === 'string' ? requireFixFound(fixFromText(obj.diff, context, false, 'diff'), 'a diff') : readJsonFix(obj[key], context);
    if (!read.ok) return read;
    fix = read.fix;
  }
  if (!summary && !verdicts.length && !fix && !testIsWrong) return { ok: false, error: 'The reply\'s JSON has no summary, verdicts or fix.' };
  return { ok: true, diagnosis: diagnosis(summary, verdicts, fix, testIsWrong), notes };
}

function diagnosis(summary: string, verdicts: BlockVerdict[], fix: Fix | undefined, testIsWrong: { claim: string } | undefined): Diagnosis {
  return { summary, verdicts, ...(fix ? { fix } : {}), ...(testIsWrong ? { testIsWrong } : {}) };
}

function readVerdicts(raw: unknown, context: ReplyContext, notes: string[]): BlockVerdict[] {
  const entries: [string | undefined, unknown][] = Array.isArray(raw)
    ? raw.map((v) => [undefined, v])
    : raw && typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>)
      : [];
  const found: RawVerdict[] = [];
  for (const [key, value] of entries) {
    const v = (value && typeof value === 'object' ? value : { correct: value }) as Record<string, unknown>;
    const named = [v.block, v.blockId, v.block_id, v.id].find((x) => (typeof x === 'string' && x.trim()) || typeof x === 'number');
    const ref = named !== undefined ? blockRefOf(named) : (lineRefOf(v.lines ?? v.line) ?? blockRefOf(key));
    const correct = readCorrect(v.correct ?? v.verdict ?? v.ok ?? v.status ?? v.is_correct);
    if (!ref || correct === undefined) {
      notes.push(`ignored a verdict it could not read: ${JSON.stringify(value).slice(0, 80)}`);
      continue;
    }
    const cited = lineRefOf(v.lines ?? v.line);
    found.push({ ref, cited: cited?.kind === 'lines' ? { from: cited.from, to: cited.to } : undefined, correct, why: firstString(v.why, v.reason, v.explanation, v.comment) ?? '' });
  }
  return resolveVerdicts(found, context.blocks, notes);
}

/** `"lines": "10-12"`, `"line": 12`, `"lines": [10, 12]`. */
function lineRefOf(value: unknown): { kind: 'lines'; from: number; to: number } | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return { kind: 'lines', from: value, to: value };
  if (Array.isArray(value) && value.length && value.every((n) => typeof n === 'number')) return { kind: 'lines', from: Math.min(...value), to: Math.max(...value) };
  if (typeof value !== 'string') return undefined;
  const ref = blockRefOf(`lines ${value.trim().replace(/^lines?\s*/i, '')}`);
  return ref?.kind === 'lines' ? ref : undefined;
}

function readCorrect(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  const first = v.split(/[\s,.:;!—–-]/, 1)[0];
  if (v.startsWith('not ')) return false;
  if (['true', 'yes', 'correct', 'ok', 'okay', 'right', 'pass', 'passes', 'fine', '✅', '✓', '✔'].includes(first)) return true;
  if (['false', 'no', 'wrong', 'incorrect', 'buggy', 'bug', 'fail', 'fails', 'error', 'suspicious', '❌', '✗', '✘'].includes(first)) return false;
  return undefined;
}

function readTestIsWrong(raw: unknown): { claim: string } | undefined {
  if (!raw) return undefined;
  if (typeof raw === 'string') return raw.trim() && !['no', 'false', 'null', 'none'].includes(raw.trim().toLowerCase()) ? { claim: raw.trim() } : undefined;
  if (typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if (o.is_wrong === false || o.wrong === false || o.value === false) return undefined;
    const claim = firstString(o.claim, o.reason, o.why, o.explanation);
    return claim ? { claim } : undefined;
  }
  return raw === true ? { claim: 'The model says the test is wrong (no reason given).' } : undefined;
}

// ---- text ----

function fromText(text: string, answer: ReturnType<typeof readTextAnswer>, context: ReplyContext): Partial {
  const notes: string[] = [];
  const verdicts = resolveVerdicts(answer.verdicts, context.blocks, notes);
  const { testIsWrong } = answer;
  const fixRead = fixFromText(text, context, false);
  if (!fixRead.ok) return fixRead;
  const fix = fixRead.fix;
  let summary = answer.summary ?? proseSummary(answer.prose);
  // Prose without a summary often only leads into its verdicts ("Here's what happens:"): the
  // reasons given for the wrong blocks are then the explanation.
  const wrong = verdicts.filter((v) => !v.correct);
  if (answer.summary === undefined && wrong.length && (summary ?? '').length < 300) summary = [summary, ...wrong.map((v) => `${v.blockId}: ${v.why}`)].filter(Boolean).join('\n');
  if (!summary && !verdicts.length && !fix && !testIsWrong) return { ok: false, error: 'The reply has no explanation, no verdicts and no fix.' };
  if (!summary && fix) notes.push('the reply has a fix but no explanation');
  return { ok: true, diagnosis: diagnosis(summary ?? '', verdicts, fix, testIsWrong), notes };
}

/** The prose around the code, as the summary: its first paragraphs, at most ~1200 characters. */
function proseSummary(prose: readonly string[]): string | undefined {
  const text = prose
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (!text) return undefined;
  if (text.length <= 1200) return text;
  const cut = text.lastIndexOf('\n\n', 1200);
  return `${text.slice(0, cut > 200 ? cut : 1200).trim()}…`;
}
