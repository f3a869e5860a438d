// Positions as editors count them: 1-based lines and UTF-16 columns (VS Code's `character`).
// We derive them from string offsets and the text itself instead of trusting a parser's
// column units, so tabs, CRLF, and characters outside the BMP come out right.

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 0-based, in UTF-16 code units. */
  readonly character: number;
}

export interface SourceRange {
  readonly start: SourcePosition;
  /** Exclusive. */
  readonly end: SourcePosition;
}

/** Offsets of line starts in a text, for offset <-> position conversion in O(log lines). */
export class LineIndex {
  private readonly lineStarts: number[];

  constructor(private readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      // A lone '\r' is not a line break for tree-sitter or Python; '\r\n' breaks at the '\n'.
      if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): SourcePosition {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, character: clamped - this.lineStarts[lo] };
  }

  offsetAt(position: SourcePosition): number {
    const start = this.lineStarts[position.line - 1];
    if (start === undefined) return this.text.length;
    return Math.min(start + position.character, this.lineEnd(position.line));
  }

  rangeOf(startOffset: number, endOffset: number): SourceRange {
    return { start: this.positionAt(startOffset), end: this.positionAt(endOffset) };
  }

  /** Offset just past the last character of a 1-based line, before any '\r\n' or '\n'. */
  lineEnd(line: number): number {
    const next = this.lineStarts[line];
    if (next === undefined) return this.text.length;
    const beforeNewline = next - 1;
    return beforeNewline > 0 && this.text.charCodeAt(beforeNewline - 1) === 13 ? beforeNewline - 1 : beforeNewline;
  }
}

export function containsLine(range: SourceRange, line: number): boolean {
  return range.start.line <= line && line <= range.end.line;
}
