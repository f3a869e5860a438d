// Where the fix is in a model's answer, and what kind it is: SEARCH/REPLACE blocks, a unified
// diff, or the code block that defines the target function (the last one; models often show the
// buggy version first); or, in a JSON answer, the fix object or string. Reads and never applies:
// fixApplier.ts puts the fix into the file.

import type { Fix, SearchReplaceEdit } from './diagnosis';
import { familyOfLanguage, findDefinitions, guessFamily, isNameable, simpleNameOf, type CodeFamily } from './definitions';
import { hasSearchReplace, looksLikeDiff, parseSearchReplace, parseUnifiedDiff } from './editFormats';
import { codeFences, type Fence } from './replyText';

/** What the fix readers need to know about the target. */
export interface FixContext {
  /** The target function (qualified or simple name): picks the right code block among several. */
  readonly functionName?: string;
  /** The target's language (`python`, `typescript`, ...). */
  readonly language?: string;
}

/** The first non-blank string among `values`, trimmed. */
export function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim()) return v.trim();
  return undefined;
}

export const truncatedHint = '(the model probably hit its output token limit; ask again with a larger limit or a shorter answer)';

export type FixRead = { ok: true; fix: Fix | undefined } | { ok: false; error: string };

/** The fix of a JSON answer: `{ kind, code | diff | edits }`, or a string holding any kind of fix. */
export function readJsonFix(raw: unknown, context: FixContext): FixRead {
  if (typeof raw === 'string') return fixFromText(raw, context, true);
  if (typeof raw !== 'object' || raw === null) return { ok: true, fix: undefined };
  const o = raw as Record<string, unknown>;
  const kind = String(o.kind ?? o.type ?? o.format ?? '')
    .toLowerCase()
    .replace(/[-\s]/g, '_');
  const code = firstString(o.code, o.function, o.content, o.new_code, o.fixed_code, o.corrected_function);
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

export function requireFixFound(read: FixRead, what: string): FixRead {
  if (read.ok && !read.fix) return { ok: false, error: `The fix should hold ${what} but none could be read.` };
  return read;
}

export function normalize(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

/**
 * The fix inside free text: SEARCH/REPLACE blocks, else a unified diff, else the code block that
 * defines the target function. `bareCodeIsFix` treats text with no fence as code (a JSON "code"
 * field). An unclosed fence or SEARCH block means the reply was cut off.
 */
export function fixFromText(raw: string, context: FixContext, bareCodeIsFix: boolean, expect?: 'diff'): FixRead {
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
  if (bareCodeIsFix && !fences.length && text.trim()) return { ok: true, fix: { kind: 'function', code: trimBlankLines(text) } };
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
function pickCodeFence(fences: readonly Fence[], context: FixContext, family: CodeFamily | undefined): string | undefined {
  const candidates = fences.filter((f) => !notCode.test(f.lang) && f.content.trim());
  const wanted = context.functionName ? simpleNameOf(context.functionName) : undefined;
  const found = new Map<Fence, ReturnType<typeof findDefinitions>>();
  const defs = (f: Fence) => {
    let d = found.get(f);
    if (!d) found.set(f, (d = findDefinitions(f.content, family ?? familyOfLanguage(f.lang) ?? guessFamily(f.content))));
    return d;
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

/** The text without the line breaks before it and the whitespace after it. */
function trimBlankLines(text: string): string {
  let start = 0;
  while (text[start] === '\n') start++;
  return text.slice(start).trimEnd();
}

