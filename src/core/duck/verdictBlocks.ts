// Which block a model's verdict is about. Models name blocks as the prompt does (`b3`, `[b3]`), by
// number (`block 3`, `Block 3:`, counted from 0 or from 1), or by the lines they cite (`line 12`,
// `lines 10-12`). This module reads those references by scanning characters (no regular
// expressions on model text) and maps them to the prompt's block ids, deciding the numbering from
// the block count and the lines the verdicts cite.

import type { BlockVerdict } from './diagnosis';

/** A block as the prompt showed it: its id and its lines in the file (1-based, inclusive). */
export interface BlockSpan {
  readonly id: string;
  readonly startLine: number;
  readonly endLine: number;
}

export type BlockRef =
  /** `b3`, `[b3]`, `block b3`: the prompt's own id. */
  | { readonly kind: 'id'; readonly n: number }
  /** `block 3`, `Block 3:`, `3`: a number whose base (0 or 1) the reply decides. */
  | { readonly kind: 'number'; readonly n: number }
  /** `line 12`, `lines 10-12`. */
  | { readonly kind: 'lines'; readonly from: number; readonly to: number };

export interface RawVerdict {
  readonly ref: BlockRef;
  /** Lines the verdict cites next to its block reference (`Block 2 (lines 10-12)`). */
  readonly cited?: { readonly from: number; readonly to: number };
  readonly correct: boolean;
  readonly why: string;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined) => c === ' ' || c === '\t';
const isWordChar = (c: string | undefined) => c !== undefined && /^[\w$]$/.test(c);

/** Index after the spaces and tabs from `i`. */
export function skipSpaces(s: string, i: number): number {
  while (isSpace(s[i])) i++;
  return i;
}

/** The number written at `i` (at most 6 digits), and the index after it. */
function readNumber(s: string, i: number): { n: number; end: number } | undefined {
  let end = i;
  while (isDigit(s[end]) && end - i < 6) end++;
  if (end === i || isDigit(s[end])) return undefined;
  return { n: Number(s.slice(i, end)), end };
}

/** `12`, `10-12`, `10–12`, `10 to 12`, `10:12` at `i`. */
function readLineRange(s: string, i: number): { from: number; to: number; end: number } | undefined {
  const first = readNumber(s, i);
  if (!first) return undefined;
  let j = skipSpaces(s, first.end);
  let sep = -1;
  if (s[j] === '-' || s[j] === '–' || s[j] === '—' || s[j] === ':') sep = j + 1;
  else if (s.startsWith('to ', j)) sep = j + 3;
  if (sep >= 0) {
    const second = readNumber(s, skipSpaces(s, sep));
    if (second && second.n >= first.n) return { from: first.n, to: second.n, end: second.end };
  }
  j = first.end;
  return { from: first.n, to: first.n, end: j };
}

function startsWithWord(s: string, i: number, word: string): boolean {
  return s.slice(i, i + word.length).toLowerCase() === word && !isWordChar(s[i + word.length]);
}

/**
 * The block reference at `i` of a line already stripped of markdown: `b3`, `[b3]`, `(b3)`,
 * `block 3`, `block #3`, `block b3`, `line 12`, `lines 10-12`, `L12`. Undefined when there is none.
 */
export function readBlockRef(s: string, i: number): { ref: BlockRef; end: number } | undefined {
  const bracket = s[i] === '[' || s[i] === '(' ? s[i] : undefined;
  let j = bracket ? skipSpaces(s, i + 1) : i;
  const close = (ref: BlockRef, end: number) => {
    if (!bracket) return { ref, end };
    const k = skipSpaces(s, end);
    return s[k] === (bracket === '[' ? ']' : ')') ? { ref, end: k + 1 } : undefined;
  };
  const lower = (k: number) => (s[k] ?? '').toLowerCase();
  if (lower(j) === 'b' && isDigit(s[j + 1])) {
    const num = readNumber(s, j + 1);
    return num && !isWordChar(s[num.end]) ? close({ kind: 'id', n: num.n }, num.end) : undefined;
  }
  if (startsWithWord(s, j, 'block')) {
    j = skipSpaces(s, j + 5);
    if (s[j] === '#') j++;
    const id = lower(j) === 'b';
    const num = readNumber(s, id ? j + 1 : j);
    if (!num || isWordChar(s[num.end])) return undefined;
    return close(id ? { kind: 'id', n: num.n } : { kind: 'number', n: num.n }, num.end);
  }
  for (const word of ['lines', 'line', 'l']) {
    if (!s.slice(j, j + word.length).toLowerCase().startsWith(word)) continue;
    const after = j + word.length;
    if (word === 'l' && !isDigit(s[after])) continue;
    if (word !== 'l' && isWordChar(s[after])) continue;
    const range = readLineRange(s, skipSpaces(s, after));
    if (!range || isWordChar(s[range.end])) return undefined;
    return close({ kind: 'lines', from: range.from, to: range.to }, range.end);
  }
  return undefined;
}

/** A block reference written as a whole string (a JSON `block` field or key). */
export function blockRefOf(value: unknown): BlockRef | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { kind: 'number', n: value };
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  const num = readNumber(s, 0);
  if (num && num.end === s.length) return { kind: 'number', n: num.n };
  const ref = readBlockRef(s, 0);
  return ref && skipSpaces(s, ref.end) === s.length ? ref.ref : undefined;
}

/** Lines cited in parentheses or brackets at `i`: `(lines 10-12)`, `[line 3]`, `(L3-5)`. */
export function readCitedLines(s: string, i: number): { from: number; to: number; end: number } | undefined {
  const ref = readBlockRef(s, i);
  if (!ref || ref.ref.kind !== 'lines' || (s[i] !== '(' && s[i] !== '[')) return undefined;
  return { from: ref.ref.from, to: ref.ref.to, end: ref.end };
}

/**
 * The verdicts on the prompt's blocks. Numbers count from 0 when the lines the verdicts cite fit the
 * blocks better that way, or (citing none) when a verdict is about block 0; otherwise from 1, as
 * the prompt does. A reference to no block is left out with a note; a second verdict on one block too.
 */
export function resolveVerdicts(raw: readonly RawVerdict[], blocks: readonly BlockSpan[] | undefined, notes: string[]): BlockVerdict[] {
  const base = numberingBase(raw, blocks);
  const out: BlockVerdict[] = [];
  const seen = new Set<string>();
  for (const v of raw) {
    const id = blockIdOf(v.ref, base, blocks);
    if (!id) {
      notes.push(`ignored a verdict about ${describeRef(v.ref)}: the function has no such block`);
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ blockId: id, correct: v.correct, why: v.why });
  }
  return out;
}

function describeRef(ref: BlockRef): string {
  if (ref.kind === 'id') return `b${ref.n}`;
  if (ref.kind === 'number') return `block ${ref.n}`;
  return ref.from === ref.to ? `line ${ref.from}` : `lines ${ref.from}-${ref.to}`;
}

function numberingBase(raw: readonly RawVerdict[], blocks: readonly BlockSpan[] | undefined): 0 | 1 {
  const numbered = raw.filter((v) => v.ref.kind === 'number');
  if (!numbered.length) return 1;
  if (blocks?.length) {
    // The lines cited next to the numbers decide, when there are any.
    let votes = 0;
    for (const v of numbered) {
      if (!v.cited) continue;
      const n = (v.ref as { n: number }).n;
      const fits = (base: 0 | 1) => {
        const b = blocks[n - base];
        return !!b && b.startLine <= v.cited!.to && v.cited!.from <= b.endLine;
      };
      votes += Number(fits(0)) - Number(fits(1));
    }
    if (votes !== 0) return votes > 0 ? 0 : 1;
  }
  // Otherwise a block 0 means counting from 0; anything else is read as the prompt counts, from 1.
  return numbered.some((v) => (v.ref as { n: number }).n === 0) ? 0 : 1;
}

function blockIdOf(ref: BlockRef, base: 0 | 1, blocks: readonly BlockSpan[] | undefined): string | undefined {
  if (ref.kind === 'id') {
    const id = `b${ref.n}`;
    return !blocks?.length || blocks.some((b) => b.id === id) ? id : undefined;
  }
  if (ref.kind === 'number') {
    if (!blocks?.length) return `b${ref.n - base + 1}`;
    return blocks[ref.n - base]?.id;
  }
  if (!blocks?.length) return undefined;
  // The block that holds most of the cited lines (the first one on a tie).
  let best: BlockSpan | undefined;
  let bestOverlap = 0;
  for (const b of blocks) {
    const overlap = Math.min(b.endLine, ref.to) - Math.max(b.startLine, ref.from) + 1;
    if (overlap > bestOverlap) {
      best = b;
      bestOverlap = overlap;
    }
  }
  return best?.id;
}
