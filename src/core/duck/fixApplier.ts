// Applies a model's fix to the file text, or says precisely why it cannot. Whole-function fixes
// replace exactly the target function's range, re-indented to the file's indentation. Diff and
// SEARCH/REPLACE edits are placed by their text (exact, then ignoring trailing whitespace, then
// ignoring indentation), never by the line numbers models get wrong. Edits that land outside the
// target function are allowed in the same file and reported, so the editor can flag them.

import { diffArrays } from 'diff';
import type { SourceRange } from '../blocks/positions';
import { eolOf, withEol } from '../patch/proposal';
import type { Fix } from './diagnosis';
import { familyOfLanguage, findDefinitions, guessFamily, isNameable, simpleNameOf, type CodeFamily, type Definition } from './definitions';
import { parseSearchReplace, parseUnifiedDiff, type LineEdit } from './editFormats';
import { defaultUnit, describeUnit, indentUnit, makeIndent, reindent, snippetUnit, unitWidth, visualWidth } from './indentation';

export interface FixTarget {
  /** Qualified (`Cart.total`) or simple name of the target function. */
  readonly name: string;
  /** The function's range in the file, as the function finder gives it (1-based lines). */
  readonly range: SourceRange;
  readonly language?: string;
  /** The file's path: a diff naming another file is refused. */
  readonly file?: string;
}

/** 1-based, inclusive lines of the file as it was before the fix. */
export interface LineRange {
  readonly startLine: number;
  readonly endLine: number;
}

export type ApplyResult =
  | {
      readonly ok: true;
      readonly text: string;
      /** Some edit changed lines outside the target function (same file only). */
      readonly outsideTarget: boolean;
      readonly outsideRanges: readonly LineRange[];
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

export function applyFix(fileText: string, target: FixTarget, fix: Fix): ApplyResult {
  try {
    const eol = eolOf(fileText);
    const lines = fileText.replace(/\r\n/g, '\n').split('\n');
    const family = familyOfLanguage(target.language) ?? guessFamily(fileText);
    if (target.range.start.line < 1 || target.range.end.line > lines.length || target.range.end.line < target.range.start.line) {
      return { ok: false, error: `The target range (lines ${target.range.start.line}-${target.range.end.line}) is not inside the file (${lines.length} lines).` };
    }
    const result = fix.kind === 'function' ? replaceFunction(lines, target, fix.code, family) : applyLineEdits(lines, target, fix, family);
    if (!result.ok) return result;
    return { ...result, text: withEol(result.lines.join('\n'), eol) };
  } catch (error) {
    return { ok: false, error: `The fix could not be applied: ${error instanceof Error ? error.message : String(error)}.` };
  }
}

type LinesResult = { ok: true; lines: string[]; outsideTarget: boolean; outsideRanges: LineRange[]; notes: string[] } | { ok: false; error: string };

// ---- whole function ----

function replaceFunction(lines: string[], target: FixTarget, rawCode: string, family: CodeFamily): LinesResult {
  const notes: string[] = [];
  const codeLines = stripFence(rawCode.replace(/\r\n?/g, '\n')).split('\n');
  const code = codeLines.join('\n');
  const defs = findDefinitions(code, family);
  const wanted = simpleNameOf(target.name);
  const functions = defs.filter((d) => d.kind === 'function');
  let def: Definition | undefined;
  if (isNameable(wanted)) {
    def = outermost(functions.filter((d) => d.name === wanted));
    if (!def) {
      const other = outermost(functions);
      if (other) return { ok: false, error: `The fix renames the function: its code defines '${other.name}', but the function to fix is '${wanted}'. Callers and tests use '${wanted}'.` };
      return { ok: false, error: `The fix's code does not define a function (expected a definition of '${wanted}'):\n${quote(codeLines)}` };
    }
  } else {
    def = outermost(functions);
  }
  // Without a recognisable definition (an anonymous target), the whole code is the function.
  const start = def ? firstNonCommentLine(codeLines, def) : 0;
  const end = def ? def.end : codeLines.length - 1;
  let replacement = codeLines.slice(start, end + 1);

  // New helper functions written next to the target come along; ones the file already has do not.
  const fileDefs = new Set(findDefinitions(lines.join('\n'), family).map((d) => d.name));
  const helpers = def ? defs.filter((d) => d !== def && d.indent === def!.indent && (d.end < def!.start || d.start > def!.end) && !fileDefs.has(d.name)) : [];
  for (const h of helpers) notes.push(`adds ${h.kind} '${h.name}' next to '${wanted}'`);
  const blank = family === 'python' && def?.indent === '' ? ['', ''] : [''];
  const helperLines = (list: Definition[]) => list.flatMap((h) => [...codeLines.slice(h.start, h.end + 1), ...blank]);
  const targetIndent = /^[ \t]*/.exec(lines[target.range.start.line - 1])![0];
  // A method written at top level with top-level helpers: those helpers are module functions,
  // so they go above the class, which is outside the target and reported as such.
  const moduleHelpers = def && def.indent === '' && targetIndent !== '' && family === 'python' ? helpers : [];
  if (def && !moduleHelpers.length) {
    const before = helperLines(helpers.filter((h) => h.end < def!.start));
    const after = helperLines(helpers.filter((h) => h.start > def!.end));
    replacement = [...before, ...replacement, ...(after.length ? ['', ...after.slice(0, -blank.length)] : [])];
  }

  let startLine = target.range.start.line - 1;
  const endLine = target.range.end.line - 1;
  const firstLine = lines[startLine];
  const prefix = firstLine.slice(0, target.range.start.character);
  const indentation = /^[ \t]*/.exec(firstLine)![0];
  const prefixCode = prefix.trim();
  const suffix = lines[endLine].slice(target.range.end.character);

  // Decorators: the reply's replace the file's when it has any; otherwise the file's stay.
  const replyHasDecorators = replacement.length > 0 && replacement[0].trim().startsWith('@') && family === 'python';
  if (replyHasDecorators) {
    while (startLine > 0 && lines[startLine - 1].trim().startsWith('@') && lines[startLine - 1].startsWith(indentation)) startLine--;
  }

  const fromBase = def?.indent ?? /^[ \t]*/.exec(replacement.find((l) => l.trim()) ?? '')![0];
  const fromUnit = indentUnit(replacement, fromBase) ?? indentUnit(lines.slice(startLine, endLine + 1), indentation) ?? defaultUnit(family);
  const toUnit = indentUnit(lines.slice(startLine, endLine + 1), indentation) ?? fromUnit;
  if (fromUnit !== toUnit) notes.push(`re-indented the fix from ${describeUnit(fromUnit)} to ${describeUnit(toUnit)}`);
  let newLines = reindent(replacement, fromBase, indentation, fromUnit, toUnit);
  while (newLines.length && !newLines[newLines.length - 1].trim()) newLines.pop();
  if (!newLines.length) return { ok: false, error: 'The fix\'s code is empty.' };

  // The function may start mid-line (`export function f`, `const f = (x) => {`): keep what
  // precedes it unless the reply wrote that too.
  if (prefixCode) newLines[0] = joinPrefix(prefix, newLines[0]);
  const tail = suffix.trim();
  if (tail && !newLines[newLines.length - 1].trimEnd().endsWith(tail)) newLines[newLines.length - 1] += suffix;

  const out = [...lines.slice(0, startLine), ...newLines, ...lines.slice(endLine + 1)];
  if (moduleHelpers.length) {
    let top = startLine;
    while (top > 0 && (/^[ \t]/.test(lines[top]) || !lines[top].trim())) top--;
    while (top > 0 && lines[top - 1].startsWith('@')) top--;
    out.splice(top, 0, ...helperLines(moduleHelpers));
    return { ok: true, lines: out, outsideTarget: true, outsideRanges: [{ startLine: top + 1, endLine: top + 1 }], notes };
  }
  return { ok: true, lines: out, outsideTarget: false, outsideRanges: [], notes };
}

/**
 * The first line of the new function after the file's text before it. The reply may repeat all of
 * that text (`export const f = ...`), part of it (`const f = ...`), or none (`(x) => ...`).
 */
function joinPrefix(prefix: string, first: string): string {
  const indentation = /^[ \t]*/.exec(prefix)![0];
  const code = prefix.slice(indentation.length);
  const reply = first.trimStart();
  for (let k = 0; k < code.length; k++) {
    if (k > 0 && !/\s/.test(code[k - 1])) continue;
    const rest = code.slice(k).trimEnd();
    if (rest && reply.startsWith(rest)) return indentation + code.slice(0, k) + reply;
  }
  return prefix + reply;
}

function outermost(defs: readonly Definition[]): Definition | undefined {
  let best: Definition | undefined;
  for (const d of defs) if (!best || d.indent.length < best.indent.length) best = d;
  return best;
}

/** Leading comments above the definition are the model's remarks ("# fixed"), not code. */
function firstNonCommentLine(lines: readonly string[], def: Definition): number {
  let start = def.start;
  while (start < def.line && !lines[start].trim().startsWith('@')) start++;
  return start;
}

/** Code whose first and last lines are fence markers (a JSON "code" field holding a fenced block). */
function stripFence(code: string): string {
  let start = 0;
  while (code[start] === '\n') start++;
  const lines = code.slice(start).trimEnd().split('\n');
  if (lines.length >= 2 && /^\s*(`{3,}|~{3,})[\w+#.-]*\s*$/.test(lines[0]) && /^\s*(`{3,}|~{3,})\s*$/.test(lines[lines.length - 1])) return lines.slice(1, -1).join('\n');
  return lines.join('\n');
}

// ---- diff and SEARCH/REPLACE ----

interface Placed {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly newLines: readonly string[];
  readonly index: number;
}

function applyLineEdits(lines: string[], target: FixTarget, fix: Exclude<Fix, { kind: 'function' }>, family: CodeFamily): LinesResult {
  const notes: string[] = [];
  let edits: LineEdit[];
  const what = fix.kind === 'diff' ? 'diff hunk' : 'SEARCH block';
  if (fix.kind === 'diff') {
    const parsed = parseUnifiedDiff(fix.diff.replace(/\r\n?/g, '\n'));
    if (!parsed.ok) return { ok: false, error: `The diff cannot be read: ${parsed.error}.` };
    const other = target.file ? parsed.files.find((f) => baseName(f) !== baseName(target.file!)) : undefined;
    if (other) return { ok: false, error: `The diff changes '${other}', not '${baseName(target.file!)}': fixes may only edit the target's own file.` };
    edits = parsed.edits;
  } else {
    edits = fix.edits.map((e) => ({ oldLines: e.search.replace(/\r\n?/g, '\n').split('\n'), newLines: e.replace.replace(/\r\n?/g, '\n').split('\n') }));
    if (!edits.length) {
      const parsed = parseSearchReplace('');
      return { ok: false, error: parsed.ok ? 'no edits' : parsed.error };
    }
  }

  // The target, with decorators and comments right above it, counts as inside.
  let targetStart = target.range.start.line - 1;
  while (targetStart > 0 && /^\s*(@|#|\/\/|\/\*|\*)/.test(lines[targetStart - 1])) targetStart--;
  const targetEnd = target.range.end.line - 1;
  const fileUnit = indentUnit(lines.slice(targetStart, targetEnd + 1), /^[ \t]*/.exec(lines[target.range.start.line - 1])![0]) ?? defaultUnit(family);

  const placed: Placed[] = [];
  for (let i = 0; i < edits.length; i++) {
    const found = locate(lines, trimBlankEnds(edits[i]), targetStart, targetEnd, fileUnit);
    if (!found.ok) return { ok: false, error: `Could not apply ${what} ${i + 1} of ${edits.length}: ${found.error}` };
    if (found.note) notes.push(`${what} ${i + 1}: ${found.note}`);
    placed.push({ ...found.placed, index: i });
  }
  const ordered = [...placed].sort((a, b) => a.start - b.start);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].start < ordered[i - 1].end) return { ok: false, error: `${what}s ${ordered[i - 1].index + 1} and ${ordered[i].index + 1} change the same lines (${ordered[i].start + 1}-${ordered[i - 1].end}).` };
  }
  const outsideRanges: LineRange[] = [];
  for (const p of ordered) {
    const changed = changedSpan(lines, p);
    if (changed && (changed.start < targetStart || changed.end - 1 > targetEnd)) outsideRanges.push({ startLine: changed.start + 1, endLine: Math.max(changed.start + 1, changed.end) });
  }
  const out = [...lines];
  for (const p of [...ordered].reverse()) out.splice(p.start, p.end - p.start, ...p.newLines);

  // A fix that renames the target breaks every caller: refuse it like a whole-function rename.
  const wanted = simpleNameOf(target.name);
  if (isNameable(wanted)) {
    const before = findDefinitions(lines.join('\n'), family).some((d) => d.name === wanted);
    const after = findDefinitions(out.join('\n'), family).some((d) => d.name === wanted);
    if (before && !after) return { ok: false, error: `The fix renames the function: after it, nothing defines '${wanted}' any more. Callers and tests use '${wanted}'.` };
  }
  return { ok: true, lines: out, outsideTarget: outsideRanges.length > 0, outsideRanges, notes };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Blank lines at both ends of the old text are padding, not content to match. */
function trimBlankEnds(edit: LineEdit): LineEdit {
  const old = edit.oldLines;
  const next = edit.newLines;
  let oldStart = 0;
  let oldEnd = old.length;
  let newStart = 0;
  let newEnd = next.length;
  while (oldEnd - oldStart > 1 && !old[oldEnd - 1].trim()) {
    oldEnd--;
    if (newEnd > newStart && !next[newEnd - 1].trim()) newEnd--;
  }
  while (oldEnd - oldStart > 1 && !old[oldStart].trim()) {
    oldStart++;
    if (newStart < newEnd && !next[newStart].trim()) newStart++;
  }
  return { ...edit, oldLines: old.slice(oldStart, oldEnd), newLines: next.slice(newStart, newEnd) };
}

/** The lines a placed edit really changes, ignoring the context lines it keeps at both ends. */
function changedSpan(lines: readonly string[], p: Placed): { start: number; end: number } | undefined {
  let start = p.start;
  let k = 0;
  while (start < p.end && k < p.newLines.length && lines[start] === p.newLines[k]) {
    start++;
    k++;
  }
  let end = p.end;
  let m = p.newLines.length;
  while (end > start && m > k && lines[end - 1] === p.newLines[m - 1]) {
    end--;
    m--;
  }
  if (start === end && k === m) return undefined;
  return { start, end: Math.max(end, start + 1) };
}

type Located = { ok: true; placed: Omit<Placed, 'index'>; note?: string } | { ok: false; error: string };

const levels: readonly { name: string; same: (a: string, b: string) => boolean }[] = [
  { name: 'exact', same: (a, b) => a === b },
  { name: 'ignoring trailing whitespace', same: (a, b) => a.trimEnd() === b.trimEnd() },
  { name: 'ignoring indentation', same: (a, b) => a.trim() === b.trim() },
  // Models collapse or expand runs of spaces inside a line (`x=1` stays different from `x = 1`).
  { name: 'ignoring whitespace', same: (a, b) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim() },
];

function locate(lines: readonly string[], edit: LineEdit, targetStart: number, targetEnd: number, fileUnit: string): Located {
  const old = edit.oldLines;
  for (const level of levels) {
    const hits: number[] = [];
    for (let p = 0; p + old.length <= lines.length; p++) {
      let k = 0;
      while (k < old.length && level.same(lines[p + k], old[k])) k++;
      if (k === old.length) hits.push(p);
    }
    if (!hits.length) continue;
    const hint = edit.hintLine !== undefined ? edit.hintLine - 1 : undefined;
    const inside = (p: number) => p >= targetStart && p + old.length - 1 <= targetEnd;
    hits.sort((a, b) => Number(inside(b)) - Number(inside(a)) || (hint !== undefined ? Math.abs(a - hint) - Math.abs(b - hint) : 0) || a - b);
    const p = hits[0];
    let newLines = [...edit.newLines];
    if (level.name !== 'exact' && level.name !== 'ignoring trailing whitespace') newLines = matchIndentation(lines.slice(p, p + old.length), old, newLines, fileUnit);
    const notes = [level.name === 'exact' ? '' : `matched ${level.name}`, hits.length > 1 ? `${hits.length} places match; used line ${p + 1}` : ''].filter(Boolean);
    return { ok: true, placed: { start: p, end: p + old.length, newLines }, note: notes.join('; ') || undefined };
  }
  return { ok: false, error: describeMiss(lines, old) };
}

/**
 * New lines for old lines that matched only ignoring indentation: the model's indentation is off
 * (or in another style), so each new line takes the file's indentation of the old line it
 * corresponds to, plus whatever indentation change the model made relative to that old line.
 */
function matchIndentation(fileLines: readonly string[], oldLines: readonly string[], newLines: readonly string[], fileUnit: string): string[] {
  const fromUnit = snippetUnit([...oldLines, ...newLines]) ?? fileUnit;
  const step = unitWidth(fromUnit);
  const ws = (l: string) => /^[ \t]*/.exec(l)![0];
  const shifted = (k: number, newLine: string) => {
    const levels = Math.round((visualWidth(ws(newLine), fromUnit) - visualWidth(ws(oldLines[k]), fromUnit)) / step);
    if (levels === 0) return ws(fileLines[k]) + newLine.trim();
    return makeIndent(visualWidth(ws(fileLines[k]), fileUnit) + levels * unitWidth(fileUnit), fileUnit) + newLine.trim();
  };
  const out: string[] = [];
  let anchor = oldLines.findIndex((l) => l.trim());
  for (const pair of alignLines(oldLines, newLines)) {
    if (pair.old !== undefined) anchor = pair.old;
    if (pair.new === undefined) continue;
    const line = newLines[pair.new];
    if (!line.trim()) out.push('');
    else if (pair.old !== undefined && ws(line) === ws(oldLines[pair.old])) out.push(fileLines[pair.old]);
    else out.push(anchor >= 0 ? shifted(anchor, line) : line);
  }
  return out;
}

/**
 * Which old line each new line corresponds to (compared trimmed), in order; removals before
 * additions. `diffArrays` (Myers' algorithm, from the `diff` package the proposals already use)
 * instead of a hand-written n×m LCS table.
 */
function alignLines(a: readonly string[], b: readonly string[]): { old?: number; new?: number }[] {
  const out: { old?: number; new?: number }[] = [];
  let i = 0;
  let j = 0;
  for (const change of diffArrays(a.map((l) => l.trim()), b.map((l) => l.trim()))) {
    const count = change.value.length;
    for (let k = 0; k < count; k++) {
      if (change.removed) out.push({ old: i++ });
      else if (change.added) out.push({ new: j++ });
      else out.push({ old: i++, new: j++ });
    }
  }
  return out;
}

/** The lines that were not found, and where the closest match parts from them. */
function describeMiss(lines: readonly string[], old: readonly string[]): string {
  let bestAt = -1;
  let bestLen = 0;
  for (let p = 0; p < lines.length; p++) {
    let k = 0;
    while (k < old.length && p + k < lines.length && lines[p + k].trim() === old[k].trim()) k++;
    if (k > bestLen) {
      bestLen = k;
      bestAt = p;
    }
  }
  const head = `these lines are not in the file:\n${quote(old)}`;
  if (bestAt < 0) return head;
  return `${head}\nThe closest match starts at line ${bestAt + 1}; its line ${bestAt + bestLen + 1} reads ${JSON.stringify(lines[bestAt + bestLen] ?? '<end of file>')} where the reply has ${JSON.stringify(old[bestLen])}.`;
}

function quote(lines: readonly string[]): string {
  const shown = lines.slice(0, 12).map((l) => `    | ${l}`);
  if (lines.length > 12) shown.push(`    | … (${lines.length - 12} more lines)`);
  return shown.join('\n');
}
