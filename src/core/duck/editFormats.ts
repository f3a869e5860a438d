// The two line-edit formats models write, read into plain "these old lines become these new lines"
// edits: unified diffs (whose @@ numbers are often wrong, so they are only hints) and aider-style
// SEARCH/REPLACE blocks. Both readers work on LF text and never throw.

export interface LineEdit {
  readonly oldLines: readonly string[];
  readonly newLines: readonly string[];
  /** 1-based line the model claimed the old lines start at (a hint; often wrong). */
  readonly hintLine?: number;
}

export type EditsResult = { ok: true; edits: LineEdit[]; files: string[] } | { ok: false; error: string };

const searchMarker = /^\s*<{5,9}\s*SEARCH\b.*$/;
const dividerMarker = /^\s*={5,9}\s*$/;
const replaceMarker = /^\s*>{5,9}\s*REPLACE\b.*$/;

export function hasSearchReplace(text: string): boolean {
  return text.split('\n').some((l) => searchMarker.test(l));
}

/** SEARCH/REPLACE blocks in `text`; lines around them (file names, fences, prose) are ignored. */
export function parseSearchReplace(text: string): EditsResult {
  const lines = text.split('\n');
  const edits: LineEdit[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!searchMarker.test(lines[i])) continue;
    const start = i + 1;
    let divider = -1;
    let end = -1;
    for (let j = start; j < lines.length; j++) {
      if (divider < 0 && dividerMarker.test(lines[j])) divider = j;
      else if (divider >= 0 && replaceMarker.test(lines[j])) {
        end = j;
        break;
      } else if (searchMarker.test(lines[j])) break;
    }
    const n = edits.length + 1;
    if (divider < 0) return { ok: false, error: `The reply is truncated or malformed: SEARCH block ${n} has no '=======' line.` };
    if (end < 0) return { ok: false, error: `The reply is truncated or malformed: SEARCH block ${n} has no '>>>>>>> REPLACE' line.` };
    const oldLines = lines.slice(start, divider);
    if (oldLines.every((l) => l.trim() === '')) return { ok: false, error: `SEARCH block ${n} is empty: it does not say which lines to replace.` };
    edits.push({ oldLines, newLines: lines.slice(divider + 1, end) });
    i = end;
  }
  if (!edits.length) return { ok: false, error: 'no SEARCH/REPLACE block found' };
  return { ok: true, edits, files: [] };
}

const hunkHeader = /^@@\s*(?:-(\d+)(?:,\d+)?\s*\+(\d+)(?:,\d+)?\s*)?@@/;

/** Text that reads as a unified diff: an @@ line followed by +/- lines. */
export function looksLikeDiff(text: string): boolean {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => hunkHeader.test(l) || /^@@/.test(l));
  if (at < 0) return false;
  return lines.slice(at + 1).some((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
}

/**
 * The hunks of a unified diff. Context lines may have lost their leading space (models do that),
 * and @@ headers may be bare (`@@ ... @@`) or carry wrong numbers: hunks are placed by context.
 */
export function parseUnifiedDiff(text: string): EditsResult {
  const lines = text.split('\n');
  const edits: LineEdit[] = [];
  const files: string[] = [];
  let current: { oldLines: string[]; newLines: string[]; hintLine?: number } | undefined;
  const flush = () => {
    if (!current) return;
    // Trailing blank "context" is usually the fence's or the reply's own line break.
    while (current.oldLines.length && current.newLines.length && current.oldLines[current.oldLines.length - 1] === '' && current.newLines[current.newLines.length - 1] === '') {
      current.oldLines.pop();
      current.newLines.pop();
    }
    if (current.oldLines.length || current.newLines.length) edits.push(current);
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^diff --git /.test(line) || /^index [0-9a-f]+\.\.[0-9a-f]+/.test(line)) {
      flush();
      continue;
    }
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      flush();
      const name = lines[i + 1].slice(4).trim().replace(/^b\//, '').split('\t')[0];
      if (name && name !== '/dev/null') files.push(name);
      i++;
      continue;
    }
    if (line.startsWith('@@')) {
      flush();
      const m = hunkHeader.exec(line);
      current = { oldLines: [], newLines: [], hintLine: m?.[1] ? Number(m[1]) : undefined };
      continue;
    }
    if (!current) continue;
    if (line.startsWith('\\')) continue; // "\ No newline at end of file"
    if (line.startsWith('-')) current.oldLines.push(line.slice(1));
    else if (line.startsWith('+')) current.newLines.push(line.slice(1));
    else {
      const context = line.startsWith(' ') ? line.slice(1) : line;
      current.oldLines.push(context);
      current.newLines.push(context);
    }
  }
  flush();
  if (!edits.length) return { ok: false, error: 'no diff hunk (@@ ... @@) found' };
  const empty = edits.findIndex((e) => e.oldLines.every((l) => l.trim() === ''));
  if (empty >= 0) return { ok: false, error: `diff hunk ${empty + 1} has no context or removed lines, so there is nowhere to put it` };
  return { ok: true, edits, files };
}
