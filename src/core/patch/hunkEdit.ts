// The edit that applies one hunk in the editor, chosen so that the text it replaces is never
// empty: the editor keeps a CodeLens on the range it spans and drops it the moment an edit
// replaces that range. An insertion replaces the line it is inserted before (with the new lines
// and that same line), so its Accept CodeLens, which spans that line, goes with the edit too.
import type { Hunk } from './proposal';

export interface HunkEdit {
  /** Offsets in the document's text. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export function hunkEdit(text: string, hunk: Pick<Hunk, 'start' | 'end' | 'newText'>): HunkEdit {
  if (hunk.end > hunk.start || hunk.start >= text.length) return { start: hunk.start, end: hunk.end, text: hunk.newText };
  const lineEnd = text.indexOf('\n', hunk.start);
  const end = lineEnd < 0 ? text.length : lineEnd + 1;
  return { start: hunk.start, end, text: hunk.newText + text.slice(hunk.start, end) };
}
