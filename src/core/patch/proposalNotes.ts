// How a pending hunk reads in the editor without entering the buffer and without a zone between
// the lines: its old lines are struck through, and the proposed code is written after them, line
// by line (old line i -> new line i; what is left over joins the last old line), or after the line
// above an insertion. The whole proposed code is in the hover and the side-by-side diff.

export interface ProposalNote {
  /** 0-based, relative to the hunk's first old line; -1 is the line above (an insertion). */
  readonly line: number;
  readonly text: string;
}

const joiner = '  ⏎  ';

/** The notes for one hunk, each at most `maxChars` long. */
export function proposalNotes(oldText: string, newText: string, maxChars = 160): ProposalNote[] {
  const oldLines = splitLines(oldText);
  const newLines = splitLines(newText).map((l) => l.trim());
  if (newLines.length === 0) return [];
  if (oldLines.length === 0) return [{ line: -1, text: clip(`＋ ${newLines.join(joiner)}`, maxChars) }];
  const notes: ProposalNote[] = [];
  const last = oldLines.length - 1;
  for (let i = 0; i < Math.min(last, newLines.length); i++) notes.push({ line: i, text: clip(`→ ${newLines[i]}`, maxChars) });
  if (newLines.length > last) notes.push({ line: last, text: clip(`→ ${newLines.slice(last).join(joiner)}`, maxChars) });
  return notes;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\r?\n$/, '').split(/\r?\n/);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
