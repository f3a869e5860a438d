// Indentation of code: its unit (tabs, or the step in spaces), and moving code from one base and
// unit to another. The fix applier uses it to fit a model's code to the file's style.
import type { CodeFamily } from './definitions';

export function defaultUnit(family: CodeFamily): string {
  return family === 'python' ? '    ' : '  ';
}

export function describeUnit(unit: string): string {
  return unit === '\t' ? 'tabs' : `${unit.length} spaces`;
}

/** The indentation step of a block of code: the smallest indentation deeper than `base`. */
export function indentUnit(lines: readonly string[], base: string): string | undefined {
  let best: string | undefined;
  for (const line of lines) {
    if (!line.trim()) continue;
    const ws = /^[ \t]*/.exec(line)![0];
    if (!ws.startsWith(base) || ws.length === base.length) continue;
    const extra = ws.slice(base.length);
    if (extra.startsWith('\t')) return '\t';
    const spaces = /^ */.exec(extra)![0];
    if (spaces.length >= 2 && (!best || spaces.length < best.length)) best = spaces;
  }
  return best;
}

export function unitWidth(unit: string): number {
  return unit === '\t' ? 4 : unit.length;
}

/** Moves code from base indentation `fromBase` to `toBase`, converting each level of `fromUnit` into `toUnit`. */
export function reindent(lines: readonly string[], fromBase: string, toBase: string, fromUnit: string, toUnit: string): string[] {
  const baseWidth = visualWidth(fromBase, fromUnit);
  return lines.map((line) => {
    if (!line.trim()) return '';
    const ws = /^[ \t]*/.exec(line)![0];
    const rest = line.slice(ws.length);
    const width = visualWidth(ws, fromUnit);
    // Shallower than the definition itself: the inside of a multi-line string; leave it alone.
    if (width < baseWidth) return line;
    // Same style: keep the exact characters (alignment spaces included).
    if (fromUnit === toUnit && ws.startsWith(fromBase)) return toBase + ws.slice(fromBase.length) + rest;
    const extra = width - baseWidth;
    const step = unitWidth(fromUnit);
    return toBase + toUnit.repeat(Math.floor(extra / step)) + ' '.repeat(extra % step) + rest;
  });
}

/** Columns of leading whitespace, a tab counting as one level of `unit`. */
export function visualWidth(ws: string, unit: string): number {
  let w = 0;
  for (const c of ws) w += c === '\t' ? unitWidth(unit) : 1;
  return w;
}

export function makeIndent(width: number, unit: string): string {
  if (width <= 0) return '';
  return unit === '\t' ? '\t'.repeat(Math.floor(width / 4)) + ' '.repeat(width % 4) : ' '.repeat(width);
}

/** The indentation step of a snippet with no known base: tabs, or the smallest step between depths. */
export function snippetUnit(lines: readonly string[]): string | undefined {
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0]);
  if (indents.some((ws) => ws.includes('\t'))) return '\t';
  const widths = [...new Set(indents.map((ws) => ws.length))].sort((a, b) => a - b);
  let best: number | undefined;
  for (let i = 1; i < widths.length; i++) {
    const d = widths[i] - widths[i - 1];
    if (d >= 2 && (best === undefined || d < best)) best = d;
  }
  return best === undefined ? undefined : ' '.repeat(best);
}
