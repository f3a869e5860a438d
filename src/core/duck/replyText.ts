// The text around a model's code: code fences, and the plain-text answer format (SUMMARY, VERDICT,
// TEST IS WRONG, FIX) as well as what models write instead of it (markdown headings and lists,
// "Block 2: INCORRECT — ...", "✅ b1 ...", "Line 12: wrong"). Everything here scans line by line
// and character by character: no regular expression runs over model text, so a reply of any shape
// is read in time proportional to its length.

import { readBlockRef, readCitedLines, skipSpaces, type BlockRef, type RawVerdict } from './verdictBlocks';

export interface Fence {
  readonly lang: string;
  readonly content: string;
  readonly closed: boolean;
  /** 0-based line of the opening fence. */
  readonly line: number;
  /** 0-based line of the closing fence (the last line of the text when unclosed). */
  readonly endLine: number;
}

/** The opening of a fence (three or more ` or ~) on `line`, with its indentation and language tag. */
function fenceOpening(line: string): { indent: string; char: string; length: number; lang: string } | undefined {
  const i = skipSpaces(line, 0);
  const char = line[i];
  if (char !== '`' && char !== '~') return undefined;
  let j = i;
  while (line[j] === char) j++;
  if (j - i < 3) return undefined;
  // A backtick fence's info string holds no backtick (CommonMark): "```x```" is inline code.
  if (char === '`' && line.indexOf('`', j) >= 0) return undefined;
  let k = skipSpaces(line, j);
  const start = k;
  while (k < line.length && isLangChar(line[k])) k++;
  return { indent: line.slice(0, i), char, length: j - i, lang: line.slice(start, k).toLowerCase() };
}

function isLangChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '+' || c === '#' || c === '.' || c === '-';
}

/** A line that closes a fence opened with `length` times `char`: only that character, at least as many. */
function closesFence(line: string, char: string, length: number): boolean {
  const t = line.trim();
  if (t.length < length) return false;
  for (let i = 0; i < t.length; i++) if (t[i] !== char) return false;
  return true;
}

/** Code fences (``` or ~~~, three or more), with their language tag. */
export function codeFences(text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fenceOpening(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !closesFence(lines[j], open.char, open.length)) j++;
    const closed = j < lines.length;
    const body = lines.slice(i + 1, j);
    fences.push({ lang: open.lang, content: dedentFence(body, open.indent).join('\n'), closed, line: i, endLine: closed ? j : lines.length - 1 });
    i = j;
  }
  return fences;
}

/** Fences inside list items are indented as a whole; drop that indentation. */
function dedentFence(body: string[], indent: string): string[] {
  if (!indent) return body;
  return body.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
}

export function isJsonFence(f: Fence): boolean {
  if (f.lang !== '' && f.lang !== 'json' && f.lang !== 'jsonc' && f.lang !== 'json5') return false;
  const c = f.content.trimStart()[0];
  return c === '{' || c === '"' || c === '[';
}

/** The text with every code fence but JSON ones blanked out (same lines, same lengths). */
export function maskFences(text: string, fences: readonly Fence[] = codeFences(text)): string {
  const lines = text.split('\n');
  for (const f of fences) {
    if (isJsonFence(f)) continue;
    for (let k = f.line; k <= f.endLine && k < lines.length; k++) lines[k] = ' '.repeat(lines[k].length);
  }
  return lines.join('\n');
}

// ---- lines without their markdown ----

/**
 * A line without its markdown decoration: quote marks, table pipes, heading hashes, list bullets and
 * numbers at the start, `**` anywhere. `heading` says whether it was a heading.
 */
export function plainLine(line: string): { text: string; heading: boolean } {
  let i = 0;
  let heading = false;
  for (let guard = 0; guard < 8; guard++) {
    i = skipSpaces(line, i);
    const c = line[i];
    if (c === '>' || c === '|') i++;
    else if (c === '#') {
      while (line[i] === '#') i++;
      heading = true;
    } else if ((c === '-' || c === '*' || c === '+') && (line[i + 1] === ' ' || line[i + 1] === '\t')) i += 2;
    else if (c >= '0' && c <= '9') {
      let j = i;
      while (line[j] >= '0' && line[j] <= '9' && j - i < 3) j++;
      if ((line[j] === '.' || line[j] === ')') && (line[j + 1] === ' ' || line[j + 1] === '\t')) i = j + 2;
      else break;
    } else break;
  }
  return { text: line.slice(i).split('**').join('').trim(), heading };
}

function startsWithWord(s: string, i: number, word: string): boolean {
  if (s.slice(i, i + word.length).toLowerCase() !== word) return false;
  const next = s[i + word.length];
  return next === undefined || !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next === '_');
}

/** Index after separators (`:`, dashes, `|`, `=`, `,`, `.`, arrows) and spaces. */
function skipSeparators(s: string, i: number): number {
  while (i < s.length && ' \t:-—–|=,.→>'.includes(s[i])) i++;
  return i;
}

/** `SUMMARY:`, `Summary -`, `## Summary` at the start of a plain line: the text after the label. */
function labelled(p: { text: string; heading: boolean }, labels: readonly string[]): string | undefined {
  for (const label of labels) {
    if (!startsWithWord(p.text, 0, label)) continue;
    const i = skipSpaces(p.text, label.length);
    const c = p.text[i];
    if (c === ':' || c === '-' || c === '—' || c === '–') return p.text.slice(skipSpaces(p.text, i + 1)).trim();
    if (c === undefined || p.heading) return p.text.slice(i).trim();
  }
  return undefined;
}

const summaryLabels = ['summary'];
const testWrongLabels = ['test is wrong', 'test_is_wrong', 'test wrong'];
const fixLabels = ['fix'];

const correctWords = ['correct', 'ok', 'okay', 'right', 'fine', 'passes', 'pass', 'good'];
const wrongWords = ['not correct', 'incorrect', 'wrong', 'buggy', 'bug', 'suspicious', 'faulty', 'broken', 'fails', 'fail'];
const correctMarks = ['✅', '✔️', '✔', '✓', '☑'];
const wrongMarks = ['❌', '✗', '✘', '✖️', '✖', '⚠️', '⚠'];

/** A correctness word or mark at `i` (`correct`, `INCORRECT`, `✅`, `✗ wrong`), and the index after it. */
export function readCorrectness(s: string, i: number, words = true): { correct: boolean; end: number } | undefined {
  for (const [marks, correct] of [
    [correctMarks, true],
    [wrongMarks, false],
  ] as const) {
    const mark = marks.find((m) => s.startsWith(m, i));
    if (mark === undefined) continue;
    // "✅ Correct", "❌ INCORRECT": the word after the mark is part of it.
    const word = readCorrectWord(s, skipSpaces(s, i + mark.length));
    return { correct, end: word ? word.end : i + mark.length };
  }
  return words ? readCorrectWord(s, i) : undefined;
}

function readCorrectWord(s: string, i: number): { correct: boolean; end: number } | undefined {
  for (const [list, correct] of [
    [wrongWords, false],
    [correctWords, true],
  ] as const) {
    const word = list.find((w) => startsWithWord(s, i, w));
    if (word !== undefined) return { correct, end: i + word.length };
  }
  return undefined;
}

/** The reason after a verdict, without the separators and table pipes around it. */
function reasonFrom(s: string, i: number): string {
  let end = s.length;
  while (end > i && (s[end - 1] === '|' || s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(skipSeparators(s, i), end).trim();
}

interface VerdictLine {
  readonly ref: BlockRef;
  readonly cited?: { from: number; to: number };
  /** Undefined for a line that only names a block (a heading): its verdict follows below. */
  readonly correct?: boolean;
  readonly why: string;
}

/** `VERDICT b1: correct | why`, `Block 2 (lines 8-9): INCORRECT — why`, `✅ b1 why`, `Line 12: wrong`. */
function readVerdictLine(p: string): VerdictLine | undefined {
  let i = 0;
  const mark = readCorrectness(p, i, false);
  if (mark) i = skipSpaces(p, mark.end);
  if (startsWithWord(p, i, 'verdict')) {
    i = skipSpaces(p, i + 7);
    if (p[i] === ':') i = skipSpaces(p, i + 1);
  }
  if (p[i] === '`') i++;
  const ref = readBlockRef(p, i);
  if (!ref) return undefined;
  i = ref.end;
  if (p[i] === '`') i++;
  i = skipSpaces(p, i);
  const cited = readCitedLines(p, i);
  if (cited) i = skipSpaces(p, cited.end);
  const lines = cited ? { from: cited.from, to: cited.to } : undefined;
  i = skipSeparators(p, i);
  for (let k = 0; k < 3; k++) {
    const word = ['verdict', 'status', 'is', 'looks', 'seems', 'appears'].find((w) => startsWithWord(p, i, w));
    if (word === undefined) break;
    i = skipSeparators(p, i + word.length);
  }
  const said = readCorrectness(p, i);
  if (said) return { ref: ref.ref, cited: lines, correct: said.correct, why: reasonFrom(p, said.end) };
  if (mark) return { ref: ref.ref, cited: lines, correct: mark.correct, why: reasonFrom(p, i) };
  if (reasonFrom(p, i) === '') return { ref: ref.ref, cited: lines, why: '' };
  return undefined;
}

/** A line under a block heading that gives its verdict: `**Verdict:** Correct — ...`, `❌ Incorrect: ...`. */
function readVerdictBelow(p: string): { correct: boolean; why: string } | undefined {
  let i = 0;
  const label = ['verdict', 'status', 'assessment', 'result'].find((w) => startsWithWord(p, i, w));
  if (label !== undefined) i = skipSeparators(p, i + label.length);
  const said = readCorrectness(p, i);
  if (!said) return undefined;
  // Without a label, only a "Correct." / "Incorrect: why" opening counts, not a sentence.
  if (label === undefined && said.end < p.length && skipSeparators(p, said.end) === said.end) return undefined;
  return { correct: said.correct, why: reasonFrom(p, said.end) };
}

export interface TextAnswer {
  readonly summary?: string;
  readonly verdicts: readonly RawVerdict[];
  readonly testIsWrong?: { claim: string };
  /** The lines that are none of the above, trimmed, with '' between paragraphs. */
  readonly prose: readonly string[];
  /** The reply uses the plain-text format's labels (SUMMARY, VERDICT). */
  readonly structured: boolean;
}

/** Reads the answer's labelled lines and verdicts out of `masked` (the reply with code fences blanked). */
export function readTextAnswer(masked: string): TextAnswer {
  const lines = masked.split('\n');
  const plain = lines.map(plainLine);
  const verdicts: RawVerdict[] = [];
  const prose: string[] = [];
  let summary: string | undefined;
  let testIsWrong: { claim: string } | undefined;
  let structured = false;
  const isMarker = (k: number) => labelled(plain[k], summaryLabels) !== undefined || readVerdictLine(plain[k].text) !== undefined || labelled(plain[k], testWrongLabels) !== undefined || isFixLabel(plain[k]);
  /** The paragraph below line `k` (up to a blank line or a marker), joined. */
  const paragraphBelow = (k: number): { text: string; end: number } => {
    const parts: string[] = [];
    let j = k;
    while (j + 1 < lines.length && plain[j + 1].text && !isMarker(j + 1) && parts.length < 20) parts.push(plain[++j].text);
    return { text: parts.join(' ').trim(), end: j };
  };
  for (let i = 0; i < lines.length; i++) {
    const p = plain[i];
    const s = labelled(p, summaryLabels);
    if (s !== undefined) {
      structured = true;
      const more = paragraphBelow(i);
      summary = [s, more.text].filter(Boolean).join(' ').trim();
      i = more.end;
      continue;
    }
    const v = readVerdictLine(p.text);
    if (v) {
      if (startsWithWord(p.text, 0, 'verdict')) structured = true;
      let { correct, why } = v;
      if (correct === undefined) {
        // A heading naming the block: its verdict is on one of the next few lines.
        for (let j = i + 1; j < lines.length && j <= i + 4; j++) {
          if (!plain[j].text) continue;
          if (readVerdictLine(plain[j].text) || plain[j].heading) break;
          const below = readVerdictBelow(plain[j].text);
          if (!below) continue;
          ({ correct, why } = below);
          i = j;
          break;
        }
        if (correct === undefined) {
          if (p.text) prose.push(p.text);
          continue;
        }
      }
      if (!why) {
        const more = paragraphBelow(i);
        why = more.text || (correct ? 'looks correct' : 'looks wrong');
      }
      verdicts.push({ ref: v.ref, cited: v.cited, correct, why });
      continue;
    }
    const t = labelled(p, testWrongLabels);
    if (t !== undefined) {
      if (t && !['no', 'no.', 'none', 'none.', 'n/a', 'false'].includes(t.toLowerCase())) testIsWrong = { claim: t };
      continue;
    }
    if (isFixLabel(p)) continue;
    if (p.text) prose.push(lines[i].trim());
    else if (prose.length && prose[prose.length - 1] !== '') prose.push('');
  }
  return { summary, verdicts, testIsWrong, prose, structured };
}

/** `FIX:`, `**Fix**`, `## Fix` alone on its line. */
function isFixLabel(p: { text: string; heading: boolean }): boolean {
  return labelled(p, fixLabels) === '';
}
