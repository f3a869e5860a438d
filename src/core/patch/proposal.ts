// A proposed change to one file, split into hunks the user settles one by one, and the pure
// bookkeeping that keeps it honest while the document changes underneath it: hunks shift with
// edits elsewhere, become stale when the user edits inside them, and are applied only onto the
// exact text they were made for.
import { diffLines } from 'diff';

export type HunkState = 'pending' | 'accepted' | 'rejected' | 'stale';

/** One hunk, addressed by character offsets into the document text (UTF-16, as VS Code counts). */
export interface Hunk {
  readonly id: string;
  /** Offset where the replaced text starts. For whole-line hunks, the start of a line. */
  start: number;
  /** Offset just past the replaced text (for whole-line hunks, past its last line break). */
  end: number;
  readonly oldText: string;
  readonly newText: string;
  state: HunkState;
}

export interface Proposal {
  readonly id: string;
  /** The file the proposal is for (a URI or path string; opaque to the core). */
  readonly file: string;
  /** The document version the hunks were computed against. */
  readonly baseVersion: number;
  readonly hunks: Hunk[];
}

/** A change to a document as editors report it: `length` characters at `offset` replaced by `text`. */
export interface TextChange {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

export interface ProposalOptions {
  /** Hunks separated by at most this many unchanged lines become one hunk (default 0: never). */
  readonly mergeGapLines?: number;
  /**
   * The document's line break. Editors know it even for a text with no line break yet; without
   * it, the old text's first line break decides ('\n' when it has none).
   */
  readonly eol?: '\r\n' | '\n';
}

/** The line break a document uses; '\n' when it has none. */
export function eolOf(text: string): '\r\n' | '\n' {
  const lf = text.indexOf('\n');
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}

/** Rewrites all line breaks of `text` to `eol`. */
export function withEol(text: string, eol: '\r\n' | '\n'): string {
  return text.replace(/\r?\n/g, eol);
}

let proposalCounter = 0;

/**
 * Builds a proposal that turns `oldText` (the document as it is now, at `baseVersion`) into
 * `newText`. Line breaks of `newText` are normalised to the document's, so a model answering with
 * LF never rewrites a CRLF file. Returns a proposal with no hunks when nothing changes.
 */
export function createProposal(file: string, baseVersion: number, oldText: string, newText: string, options: ProposalOptions = {}): Proposal {
  const eol = options.eol ?? eolOf(oldText);
  const target = withEol(newText, eol);
  const id = `p${++proposalCounter}`;
  const raw: { start: number; end: number; newText: string; endLine: number; startLine: number }[] = [];
  let offset = 0;
  let line = 0;
  for (const part of diffLines(oldText, target)) {
    const lines = part.count ?? 0;
    if (part.added) {
      const last = raw[raw.length - 1];
      if (last && last.end === offset) last.newText += part.value;
      else raw.push({ start: offset, end: offset, newText: part.value, startLine: line, endLine: line });
    } else if (part.removed) {
      const last = raw[raw.length - 1];
      if (last && last.end === offset) {
        last.end += part.value.length;
        last.endLine += lines;
      } else raw.push({ start: offset, end: offset + part.value.length, newText: '', startLine: line, endLine: line + lines });
      offset += part.value.length;
      line += lines;
    } else {
      offset += part.value.length;
      line += lines;
    }
  }
  const gap = options.mergeGapLines ?? 0;
  const merged: typeof raw = [];
  for (const h of raw) {
    const last = merged[merged.length - 1];
    if (last && h.startLine - last.endLine <= gap) {
      // Absorb the unchanged lines between the two hunks into one replacement.
      last.newText += oldText.slice(last.end, h.start) + h.newText;
      last.end = h.end;
      last.endLine = h.endLine;
    } else merged.push({ ...h });
  }
  const hunks = merged.map((h, i) => ({
    id: `${id}.h${i + 1}`,
    start: h.start,
    end: h.end,
    oldText: oldText.slice(h.start, h.end),
    newText: h.newText,
    state: 'pending' as HunkState,
  }));
  return { id, file, baseVersion, hunks };
}

/**
 * Updates the hunks for edits made to the document (in the order the editor reports them, each
 * against the text left by the previous one). An edit wholly before a hunk shifts it; wholly after
 * leaves it; touching its text marks it stale. Returns the ids of hunks that just became stale.
 */
export function applyDocumentChanges(proposal: Proposal, changes: readonly TextChange[]): string[] {
  const becameStale: string[] = [];
  for (const change of changes) {
    const changeEnd = change.offset + change.length;
    const delta = change.text.length - change.length;
    for (const hunk of proposal.hunks) {
      if (hunk.state === 'accepted' || hunk.state === 'rejected') continue;
      const where = hunk.start < hunk.end ? placeAgainstRange(change.offset, changeEnd, hunk) : placeAgainstPoint(change.offset, changeEnd, hunk.start);
      if (where === 'before') {
        hunk.start += delta;
        hunk.end += delta;
      } else if (where === 'inside') {
        // Its extent is no longer exact; keep a best guess for display only.
        hunk.end = Math.max(hunk.start, hunk.end + delta);
        if (hunk.state !== 'stale') {
          hunk.state = 'stale';
          becameStale.push(hunk.id);
        }
      }
    }
  }
  return becameStale;
}

type Place = 'before' | 'after' | 'inside';

// A change ending where a hunk starts is before it; one starting where it ends is after it.
function placeAgainstRange(from: number, to: number, hunk: Hunk): Place {
  if (to <= hunk.start) return 'before';
  if (from >= hunk.end) return 'after';
  return 'inside';
}

// A pure insertion hunk sits at a point; any change touching that point from the right makes its
// place ambiguous, so it goes stale rather than guessing.
function placeAgainstPoint(from: number, to: number, point: number): Place {
  if (to < point || (to === point && from < point)) return 'before';
  if (from > point) return 'after';
  return 'inside';
}

/** Why a hunk cannot be applied to `text` now, or undefined when it can. */
export function checkHunk(text: string, hunk: Hunk): string | undefined {
  if (hunk.state === 'stale') return 'the code under this hunk was edited after the proposal was made';
  if (hunk.state !== 'pending') return `the hunk is already ${hunk.state}`;
  if (hunk.end > text.length || text.slice(hunk.start, hunk.end) !== hunk.oldText) {
    return 'the code under this hunk no longer matches what the proposal was made for';
  }
  return undefined;
}

/** Marks hunks whose text no longer matches `text` (for example after a reload from disk) stale. */
export function revalidate(proposal: Proposal, text: string): string[] {
  const stale: string[] = [];
  for (const hunk of pendingHunks(proposal)) {
    if (checkHunk(text, hunk)) {
      hunk.state = 'stale';
      stale.push(hunk.id);
    }
  }
  return stale;
}

export function pendingHunks(proposal: Proposal): Hunk[] {
  return proposal.hunks.filter((h) => h.state === 'pending');
}

/** Hunks still waiting for a decision: pending or stale. */
export function openHunks(proposal: Proposal): Hunk[] {
  return proposal.hunks.filter((h) => h.state === 'pending' || h.state === 'stale');
}

export function isSettled(proposal: Proposal): boolean {
  return openHunks(proposal).length === 0;
}

export class StaleHunkError extends Error {
  constructor(
    readonly hunkId: string,
    reason: string,
  ) {
    super(`Cannot apply hunk ${hunkId}: ${reason}.`);
    this.name = 'StaleHunkError';
  }
}

/**
 * The text with the given pending hunks applied; throws StaleHunkError when any of them does not
 * match `text` exactly. Does not change the proposal.
 */
export function applyHunks(text: string, hunks: readonly Hunk[]): string {
  for (const h of hunks) {
    const problem = checkHunk(text, h);
    if (problem) throw new StaleHunkError(h.id, problem);
  }
  const ordered = [...hunks].sort((a, b) => b.start - a.start);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.end > ordered[i - 1]!.start) throw new StaleHunkError(ordered[i]!.id, 'it overlaps another hunk');
  }
  let out = text;
  for (const h of ordered) out = out.slice(0, h.start) + h.newText + out.slice(h.end);
  return out;
}

/** The whole document as it would read with every pending hunk accepted (for a side-by-side diff). */
export function proposedText(text: string, proposal: Proposal): string {
  return applyHunks(text, pendingHunks(proposal).filter((h) => !checkHunk(text, h)));
}

/**
 * Records that a hunk was accepted and its edit applied: the hunk's old text was replaced by its
 * new text. The caller applies the edit and then passes it through `applyDocumentChanges` as usual;
 * marking the hunk accepted first keeps that edit from making it stale.
 */
export function markSettled(proposal: Proposal, hunkId: string, state: 'accepted' | 'rejected'): Hunk {
  const hunk = proposal.hunks.find((h) => h.id === hunkId);
  if (!hunk) throw new Error(`No hunk ${hunkId} in proposal ${proposal.id}.`);
  hunk.state = state;
  return hunk;
}

/** 0-based line numbers of a hunk in `text`: the first replaced line and the count of lines replaced. */
export function hunkLines(text: string, hunk: Hunk): { startLine: number; oldLineCount: number; newLineCount: number } {
  const startLine = countLineBreaks(text, 0, hunk.start);
  return { startLine, oldLineCount: lineCount(hunk.oldText), newLineCount: lineCount(hunk.newText) };
}

function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function lineCount(s: string): number {
  if (s.length === 0) return 0;
  const breaks = countLineBreaks(s, 0, s.length);
  return s.endsWith('\n') ? breaks : breaks + 1;
}
