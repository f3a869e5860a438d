// Reads a model's answer back into a Diagnosis, however it came: the schema's JSON (bare, fenced,
// wrapped in prose, followed by more text, or as a tool call's arguments string), the plain-text
// fallback format, or prose with code. Never throws: a reply we cannot use gets a clear error that
// can be shown to the user or sent back to the model.

import type { BlockVerdict, Diagnosis, Fix, SearchReplaceEdit } from './diagnosis';
import { familyOfLanguage, findDefinitions, isNameable, simpleNameOf, type CodeFamily } from './definitions';
import { hasSearchReplace, looksLikeDiff, parseSearchReplace, parseUnifiedDiff } from './editFormats';

export interface ReplyContext {
  /** The target function (qualified or simple name): picks the right code block among several. */
  readonly functionName?: string;
  /** The target's language (`python`, `typescript`, ...). */
  readonly language?: string;
  /** A reply without a fix (and without a claim that the test is wrong) is an error. */
  readonly requireFix?: boolean;
  /** The API said the output hit its token limit (`finish_reason: "length"`). */
  readonly cutOff?: boolean;
}

export type ReplyFormat = 'json' | 'text' | 'prose';

export type ParseResult =
  | { readonly ok: true; readonly diagnosis: Diagnosis; readonly format: ReplyFormat; readonly notes: readonly string[] }
  | { readonly ok: false; readonly error: string };

const truncatedHint = '(the model probably hit its output token limit; ask again with a larger limit or a shorter answer)';

export function parseReply(reply: unknown, context: ReplyContext = {}): ParseResult {
  try {
    if (typeof reply !== 'string') return fail('The reply is not text.');
    const text = reply.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '');
    if (!text.trim()) return fail('The reply is empty.');
    if (context.cutOff) return fail(`The reply was cut off at the model's output limit ${truncatedHint}.`);
    const json = findJson(text);
    if (json.kind === 'found') return finish(fromJson(json.value, context), 'json', context);
    if (json.kind === 'truncated') return fail(`The reply is truncated: its JSON object never closes ${truncatedHint}.`);
    if (json.kind === 'invalid') return fail(`The reply's JSON does not parse: ${json.error}.`);
    return finish(fromText(text, context), looksStructured(text) ? 'text' : 'prose', context);
  } catch (error) {
    // A parser bug must not take the caller down; report it like any unusable reply.
    return fail(`The reply could not be read: ${error instanceof Error ? error.message : String(error)}.`);
  }
}

/** The model checked blocks and found every one correct: nothing to fix in this function. */
export function everyBlockCorrect(d: Diagnosis): boolean {
  return d.verdicts.length > 0 && d.verdicts.every((v) => v.correct);
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

type Partial = { ok: true; diagnosis: Diagnosis; notes: string[] } | { ok: false; error: string };

function finish(result: Partial, format: ReplyFormat, context: ReplyContext): ParseResult {
  if (!result.ok) return result;
  const d = result.diagnosis;
  // "Every block is correct" is an answer: the bug is not in this function (a callee, another
  // function the test reaches). Only a reply that finds something wrong and fixes nothing is unusable.
  if (context.requireFix && !d.fix && !d.testIsWrong && !everyBlockCorrect(d)) {
    const what = context.functionName ? `no code block defining '${simpleNameOf(context.functionName)}'` : 'no code block with a function';
    return fail(`The reply explains the problem but contains no fix: ${what}, no diff and no SEARCH/REPLACE block.`);
  }
  return { ok: true, diagnosis: d, format, notes: result.notes };
}

// ---- JSON ----

type JsonSearch = { kind: 'found'; value: Record<string, unknown> } | { kind: 'truncated' } | { kind: 'invalid'; error: string } | { kind: 'none' };

const diagnosisKeys = ['summary', 'verdicts', 'fix', 'test_is_wrong', 'testIsWrong', 'diagnosis', 'explanation'];

/**
 * The diagnosis object in the reply: in a ```json fence, the whole reply, or the first balanced
 * object that has a diagnosis key (other code fences are masked, so JavaScript braces never count).
 */
function findJson(text: string): JsonSearch {
  const candidates: string[] = [];
  for (const fence of codeFences(text)) {
    if (/^(json|jsonc|json5)?$/i.test(fence.lang) && /^\s*[{"[]/.test(fence.content)) {
      if (!fence.closed) return looksLikeDiagnosisJson(fence.content) ? { kind: 'truncated' } : { kind: 'none' };
      candidates.push(fence.content);
    }
  }
  const masked = maskFences(text);
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
  if (/^\s*"/.test(text)) candidates.unshift(text.trim());
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
  return /^\s*\{/.test(text) && diagnosisKeys.some((k) => text.includes(`"${k}"`));
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

function parseJsonLenient(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // Models add trailing commas and put raw line breaks and tabs inside strings; repair both once.
    const repaired = escapeControlsInStrings(text).replace(/,(\s*[}\]])/g, '$1');
    try {
      return { ok: true, value: JSON.parse(repaired) };
    } catch {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

function escapeControlsInStrings(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString && c === '\\') {
      out += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (inString && c === '\n') out += '\\n';
    else if (inString && c === '\t') out += '\\t';
    else if (inString && c === '\r') continue;
    else out += c;
  }
  return out;
}

/** The diagnosis object inside tool calls, chat completions and double-encoded strings. */
function unwrap(value: unknown, depth: number): Record<string, unknown> | undefined {
  if (depth > 6) return undefined;
  if (typeof value === 'string') {
    const inner = parseJsonLenient(value);
    return inner.ok ? unwrap(inner.value, depth + 1) : undefined;
  }
  if (Array.isArray(value)) return value.length ? unwrap(value[0], depth + 1) : undefined;
  if (!value || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  const isToolCall = typeof obj.function === 'object' && obj.function !== null && 'arguments' in obj.function;
  if (diagnosisKeys.some((k) => k in obj) && !isToolCall) {
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
    const found = findJson(obj.content);
    if (found.kind === 'found') return found.value;
  }
  return undefined;
}

function fromJson(obj: Record<string, unknown>, context: ReplyContext): Partial {
  const notes: string[] = [];
  const summary = firstString(obj.summary, obj.explanation, obj.diagnosis) ?? '';
  const verdicts = readVerdicts(obj.verdicts ?? obj.blocks, notes);
  const testIsWrong = readTestIsWrong(obj.test_is_wrong ?? obj.testIsWrong ?? obj.test_wrong);
  const rawFix = obj.fix ?? obj.patch;
  let fix: Fix | undefined;
  if (rawFix !== undefined && rawFix !== null && rawFix !== false) {
    const read = readJsonFix(rawFix, context);
    if (!read.ok) return read;
    fix = read.fix;
  }
  if (!summary && !verdicts.length && !fix && !testIsWrong) return { ok: false, error: 'The reply\'s JSON has no summary, verdicts or fix.' };
  return { ok: true, diagnosis: diagnosis(summary, verdicts, fix, testIsWrong), notes };
}

function diagnosis(summary: string, verdicts: BlockVerdict[], fix: Fix | undefined, testIsWrong: { claim: string } | undefined): Diagnosis {
  return { summary, verdicts, ...(fix ? { fix } : {}), ...(testIsWrong ? { testIsWrong } : {}) };
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim()) return v.trim();
  return undefined;
}

function readVerdicts(raw: unknown, notes: string[]): BlockVerdict[] {
  const entries: [string | undefined, unknown][] = Array.isArray(raw)
    ? raw.map((v) => [undefined, v])
    : raw && typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>)
      : [];
  const out: BlockVerdict[] = [];
  for (const [key, value] of entries) {
    const v = (value && typeof value === 'object' ? value : { correct: value }) as Record<string, unknown>;
    const blockId = normalizeBlockId(firstString(v.block, v.blockId, v.block_id, v.id, key) ?? (typeof v.block === 'number' ? `b${v.block}` : undefined));
    const correct = readCorrect(v.correct ?? v.verdict ?? v.ok ?? v.status);
    if (!blockId || correct === undefined) {
      notes.push(`ignored a verdict it could not read: ${JSON.stringify(value).slice(0, 80)}`);
      continue;
    }
    out.push({ blockId, correct, why: firstString(v.why, v.reason, v.explanation, v.comment) ?? '' });
  }
  return out;
}

function normalizeBlockId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = /^\s*(?:block\s*|\[)?\s*b?(\d+)\]?\s*$/i.exec(id);
  return m ? `b${m[1]}` : id.trim();
}

function readCorrect(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (/^(true|yes|correct|ok|right|pass|passes|fine)\b/.test(v)) return true;
  if (/^(false|no|wrong|incorrect|buggy|bug|fail|fails|error|suspicious)\b/.test(v)) return false;
  return undefined;
}

function readTestIsWrong(raw: unknown): { claim: string } | undefined {
  if (!raw) return undefined;
  if (typeof raw === 'string') return raw.trim() && !/^(no|false|null|none)$/i.test(raw.trim()) ? { claim: raw.trim() } : undefined;
  if (typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if (o.is_wrong === false || o.wrong === false || o.value === false) return undefined;
    const claim = firstString(o.claim, o.reason, o.why, o.explanation);
    return claim ? { claim } : undefined;
  }
  return raw === true ? { claim: 'The model says the test is wrong (no reason given).' } : undefined;
}

type FixRead = { ok: true; fix: Fix | undefined } | { ok: false; error: string };

function readJsonFix(raw: unknown, context: ReplyContext): FixRead {
  if (typeof raw === 'string') return fixFromText(raw, context, true);
  if (typeof raw !== 'object' || raw === null) return { ok: true, fix: undefined };
  const o = raw as Record<string, unknown>;
  const kind = String(o.kind ?? o.type ?? o.format ?? '')
    .toLowerCase()
    .replace(/[-\s]/g, '_');
  const code = firstString(o.code, o.function, o.content, o.new_code);
  const diffText = firstString(o.diff, o.patch);
  const edits = o.edits ?? o.search_replace ?? o.replacements;
  if (/search|replace|edit/.test(kind) || (!kind && edits)) {
    if (typeof edits === 'string' || (!edits && code)) return requireFixFound(fixFromText(String(edits ?? code), context, false), 'SEARCH/REPLACE blocks');
    if (!Array.isArray(edits) || !edits.length) return { ok: false, error: 'The fix is of kind search_replace but has no edits.' };
    const list: SearchReplaceEdit[] = [];
    for (const e of edits) {
      const item = (e ?? {}) as Record<string, unknown>;
      const search = [item.search, item.old, item.find, item.before].find((v) => typeof v === 'string') as string | undefined;
      const replace = [item.replace, item.new, item.after].find((v) => typeof v === 'string') as string | undefined;
      if (search === undefined || replace === undefined) return { ok: false, error: 'A search_replace edit lacks its "search" or "replace" text.' };
      if (!search.trim()) return { ok: false, error: 'A search_replace edit has an empty "search": it does not say which lines to replace.' };
      list.push({ search: normalize(search), replace: normalize(replace) });
    }
    return { ok: true, fix: { kind: 'search-replace', edits: list } };
  }
  if (/diff|patch/.test(kind) || (!kind && diffText)) {
    const d = diffText ?? code;
    if (!d) return { ok: false, error: 'The fix is of kind diff but has no diff text.' };
    return requireFixFound(fixFromText(d, context, false, 'diff'), 'a diff');
  }
  if (code) return fixFromText(code, context, true);
  return { ok: false, error: `The fix has no code${kind ? ` (kind '${kind}')` : ''}.` };
}

function requireFixFound(read: FixRead, what: string): FixRead {
  if (read.ok && !read.fix) return { ok: false, error: `The fix should hold ${what} but none could be read.` };
  return read;
}

function normalize(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

// ---- text ----

interface Fence {
  readonly lang: string;
  readonly content: string;
  readonly closed: boolean;
  /** 0-based line of the opening fence. */
  readonly line: number;
}

/** Code fences (``` or ~~~, three or more), with their language tag. */
export function codeFences(text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$/.exec(lines[i]);
    if (!open) continue;
    const marker = open[2];
    const body: string[] = [];
    let j = i + 1;
    let closed = false;
    for (; j < lines.length; j++) {
      if (new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`).test(lines[j])) {
        closed = true;
        break;
      }
      body.push(lines[j]);
    }
    fences.push({ lang: open[3].toLowerCase(), content: dedentFence(body, open[1]).join('\n'), closed, line: i });
    i = j;
  }
  return fences;
}

/** Fences inside list items are indented as a whole; drop that indentation. */
function dedentFence(body: string[], indent: string): string[] {
  if (!indent) return body;
  return body.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
}

function maskFences(text: string): string {
  const lines = text.split('\n');
  for (const f of codeFences(text)) {
    if (/^(json|jsonc|json5)?$/.test(f.lang) && /^\s*[{"[]/.test(f.content)) continue;
    const last = f.closed ? f.line + f.content.split('\n').length + 1 : lines.length - 1;
    for (let k = f.line; k <= last && k < lines.length; k++) lines[k] = ' '.repeat(lines[k].length);
  }
  return lines.join('\n');
}

const summaryLine = /^\s*(?:\*\*|#+\s*)?SUMMARY(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$/i;
const verdictLine = /^\s*(?:[-*]\s*)?(?:\*\*)?(?:VERDICT\s+)?(?:block\s+)?\[?(b\d+)\]?(?:\*\*)?\s*[:\-—–|]?\s*(?:\*\*)?\s*(correct|incorrect|wrong|ok|buggy|bug|right|suspicious)\b(?:\*\*)?\s*[:\-—–|,.]?\s*(.*)$/i;
const testWrongLine = /^\s*(?:\*\*)?TEST[ _]IS[ _]WRONG(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$/i;
const fixLine = /^\s*(?:\*\*|#+\s*)?FIX(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$/i;

function looksStructured(text: string): boolean {
  return text.split('\n').some((l) => summaryLine.test(l) || /^\s*(?:[-*]\s*)?(?:\*\*)?VERDICT\s+b\d+/i.test(l));
}

function fromText(text: string, context: ReplyContext): Partial {
  const notes: string[] = [];
  const masked = maskFences(text);
  const lines = masked.split('\n');
  const verdicts: BlockVerdict[] = [];
  let summary: string | undefined;
  let testIsWrong: { claim: string } | undefined;
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const s = summaryLine.exec(line);
    if (s && /summary/i.test(line.slice(0, 20))) {
      // The summary runs until the next marker or blank line.
      const parts = [s[1]];
      while (i + 1 < lines.length && lines[i + 1].trim() && !isMarker(lines[i + 1])) parts.push(lines[++i].trim());
      summary = parts.join(' ').trim();
      continue;
    }
    const v = verdictLine.exec(line);
    if (v) {
      verdicts.push({ blockId: v[1].toLowerCase(), correct: /^(correct|ok|right)$/i.test(v[2]), why: v[3].replace(/\*\*/g, '').trim() });
      continue;
    }
    const t = testWrongLine.exec(line);
    if (t) {
      if (t[1].trim() && !/^(no|none|n\/a|false)\.?$/i.test(t[1].trim())) testIsWrong = { claim: t[1].trim() };
      continue;
    }
    if (fixLine.test(line)) continue;
    if (line.trim()) prose.push(line.trim());
    else if (prose.length && prose[prose.length - 1] !== '') prose.push('');
  }
  const fixRead = fixFromText(text, context, false);
  if (!fixRead.ok) return fixRead;
  const fix = fixRead.fix;
  summary ??= proseSummary(prose);
  if (!summary && !verdicts.length && !fix && !testIsWrong) return { ok: false, error: 'The reply has no explanation, no verdicts and no fix.' };
  if (!summary && fix) notes.push('the reply has a fix but no explanation');
  return { ok: true, diagnosis: diagnosis(summary ?? '', verdicts, fix, testIsWrong), notes };
}

function isMarker(line: string): boolean {
  return summaryLine.test(line) || verdictLine.test(line) || testWrongLine.test(line) || fixLine.test(line);
}

/** The prose around the code, as the summary: its first paragraphs, at most ~1200 characters. */
function proseSummary(prose: string[]): string | undefined {
  const text = prose
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (!text) return undefined;
  if (text.length <= 1200) return text;
  const cut = text.lastIndexOf('\n\n', 1200);
  return `${text.slice(0, cut > 200 ? cut : 1200).trim()}…`;
}

/**
 * The fix inside free text: SEARCH/REPLACE blocks, else a unified diff, else the code block that
 * defines the target function. `bareCodeIsFix` treats text with no fence as code (a JSON "code"
 * field). An unclosed fence or SEARCH block means the reply was cut off.
 */
function fixFromText(raw: string, context: ReplyContext, bareCodeIsFix: boolean, expect?: 'diff'): FixRead {
  const text = normalize(raw);
  if (hasSearchReplace(text)) {
    const parsed = parseSearchReplace(text);
    if (!parsed.ok) return parsed;
    return { ok: true, fix: { kind: 'search-replace', edits: parsed.edits.map((e) => ({ search: e.oldLines.join('\n'), replace: e.newLines.join('\n') })) } };
  }
  const fences = codeFences(text);
  const open = fences.find((f) => !f.closed && f.content.trim());
  if (open) return { ok: false, error: `The reply is truncated: the code block opened at line ${open.line + 1} is never closed ${truncatedHint}.` };

  const diffFence = fences.find((f) => /^(diff|patch|udiff)$/.test(f.lang) || (looksLikeDiff(f.content) && !f.lang));
  const diffText = diffFence?.content ?? (expect === 'diff' || (!fences.length && looksLikeDiff(text)) ? text : undefined);
  if (diffText !== undefined) {
    const parsed = parseUnifiedDiff(diffText);
    if (!parsed.ok) return { ok: false, error: `The reply's diff cannot be read: ${parsed.error}.` };
    return { ok: true, fix: { kind: 'diff', diff: diffText } };
  }

  const family = familyOfLanguage(context.language);
  const code = pickCodeFence(fences, context, family);
  if (code !== undefined) return { ok: true, fix: { kind: 'function', code } };
  if (bareCodeIsFix && !fences.length && text.trim()) return { ok: true, fix: { kind: 'function', code: text.replace(/^\n+|\s+$/g, '') } };
  if (bareCodeIsFix && fences.length === 1) return { ok: true, fix: { kind: 'function', code: fences[0].content } };
  return { ok: true, fix: undefined };
}

const notCode = /^(json|jsonc|json5|text|txt|console|output|shell|sh|bash|zsh|log|plaintext|markdown|md|diff|patch|yaml|yml|toml|ini)$/;

/**
 * The code block that is the fix: the last one defining the target function (models often show
 * the buggy version first). Without a target name, the last block that starts with a definition.
 * Test code (`test_*`, `describe(`) is never the fix. When no block defines the target but one
 * defines a single other function, it is returned so the applier can report the rename.
 */
function pickCodeFence(fences: readonly Fence[], context: ReplyContext, family: CodeFamily | undefined): string | undefined {
  const candidates = fences.filter((f) => !notCode.test(f.lang) && f.content.trim());
  const wanted = context.functionName ? simpleNameOf(context.functionName) : undefined;
  const defs = (f: Fence) => {
    const fam = family ?? familyOfLanguage(f.lang) ?? guessFamily(f.content);
    return findDefinitions(f.content, fam);
  };
  if (wanted && isNameable(wanted)) {
    const defining = candidates.filter((f) => defs(f).some((d) => d.name === wanted));
    if (defining.length) return defining[defining.length - 1].content;
  }
  const isTest = (name: string) => /^test/i.test(name) && !(wanted && /^test/i.test(wanted));
  const functionFences = candidates.filter((f) => {
    const found = defs(f).filter((d) => d.kind === 'function');
    const top = found.filter((d) => d.indent === found[0]?.indent);
    return top.length > 0 && !top.some((d) => isTest(d.name)) && !/\b(describe|it|test)\s*\(/.test(f.content);
  });
  return functionFences.length ? functionFences[functionFences.length - 1].content : undefined;
}

function guessFamily(code: string): CodeFamily {
  return /^\s*(?:async\s+)?def\s+\w+\s*\(/m.test(code) ? 'python' : 'javascript';
}
