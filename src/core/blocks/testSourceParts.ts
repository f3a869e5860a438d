// What the test-source extractors for JavaScript (jsTestSource.ts) and Python (pythonTestSource.ts)
// share: which test is meant (its identity, choosing among same-named candidates), a node's whole
// lines, the helpers and fixtures shown beside the test, and a suite's or class's members around
// the test with the others marked as left out.

import { leadingStartLine } from './sourceSpans';
import type { SyntaxNode } from './syntaxNode';

/** Which test: a `TestFailure` or `TestCaseResult` has these. */
export interface TestIdentity {
  /** The test's own name (pytest: with its `[params]`, which are ignored here). */
  readonly name: string;
  /** Enclosing `describe` blocks or classes, outermost first. */
  readonly suitePath?: readonly string[];
  /** 1-based line of the test's definition, or a line inside it (0 or absent when unknown). */
  readonly line?: number;
}

/** Another parsed file whose pytest fixtures the test may use (a conftest.py). */
export interface FixtureSource {
  readonly root: SyntaxNode;
  readonly source: string;
  /** How the prompt names it, e.g. `tests/conftest.py`. */
  readonly label: string;
}

export interface ExtractedTest {
  /** What the prompt shows: helpers and fixtures, then the test inside its suites, other code marked as left out. */
  readonly text: string;
  /** The test's own lines (decorators included), verbatim. */
  readonly testText: string;
  /** 1-based, inclusive: the test's own lines in its file. */
  readonly startLine: number;
  readonly endLine: number;
  /** Helpers, constants and fixtures shown, by name. */
  readonly helpers: readonly string[];
}

/** The options with their defaults filled in. */
export interface ExtractOptions {
  readonly maxHelperLines: number;
  readonly maxHelpers: number;
  readonly exclude: ReadonlySet<string>;
  readonly fixtureSources: readonly FixtureSource[];
}

/** A node's whole lines, verbatim: `first` and `last` are 0-based rows. */
export function rows(lines: readonly string[], first: number, last: number): string[] {
  return lines.slice(first, last + 1);
}

export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

export function containsLine(node: SyntaxNode, line: number | undefined): boolean {
  return !!line && node.startPosition.row + 1 <= line && line <= node.endPosition.row + 1;
}

export function choose<T extends { node: SyntaxNode; suites: readonly string[] }>(candidates: readonly T[], test: TestIdentity): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  const wanted = test.suitePath ?? [];
  const score = (c: T) => (containsLine(c.node, test.line) ? 4 : 0) + (sameSuffix(c.suites, wanted) ? 2 : 0) + (c.suites.length === wanted.length ? 1 : 0);
  return [...candidates].sort((a, b) => score(b) - score(a))[0];
}

function sameSuffix(have: readonly string[], wanted: readonly string[]): boolean {
  if (!wanted.length) return have.length === 0;
  const tail = have.slice(-wanted.length);
  return tail.length === wanted.length && tail.every((s, i) => s === wanted[i]);
}

/** A helper, fixture or hook shown beside the test. */
export interface Piece {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly label?: string;
  readonly lines?: readonly string[];
}

export function renderPieces(pieces: readonly Piece[], lines: readonly string[], comment: string): string[] {
  const out: string[] = [];
  for (const p of [...pieces].sort((a, b) => (a.label ?? '').localeCompare(b.label ?? '') || a.first - b.first)) {
    if (p.label) out.push(`${comment} from ${p.label}`);
    out.push(...rows(p.lines ?? lines, p.first, p.last), '');
  }
  return out;
}

/**
 * A suite's members around the one holding the test: those `keep` accepts verbatim, each run of
 * the others as one `… (what) left out` line.
 */
export function membersAround(
  members: readonly SyntaxNode[],
  inner: SyntaxNode | undefined,
  keep: (m: SyntaxNode) => boolean,
  lines: readonly string[],
  text: string,
  marker: string,
  describe: (skipped: readonly SyntaxNode[]) => string,
  gap: readonly string[] = [],
): { before: string[]; after: string[] } {
  const before: string[] = [];
  const after: string[] = [];
  let out = before;
  let skipped: SyntaxNode[] = [];
  const flush = () => {
    if (skipped.length) out.push(`${marker} … (${describe(skipped)})`, ...gap);
    skipped = [];
  };
  for (const m of members) {
    if (m === inner) {
      flush();
      out = after;
    } else if (keep(m)) {
      flush();
      out.push(...rows(lines, leadingStartLine(m, text) - 1, m.endPosition.row), ...gap);
    } else skipped.push(m);
  }
  flush();
  return { before, after };
}
