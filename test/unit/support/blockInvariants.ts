// The invariants every segmentation must keep, checked against the syntax tree it came from.
// Returns problems as readable strings so a failing test says what broke and where.

import type { Block, FunctionSyntax } from '../../../src/core/blocks/basicBlocks';
import { LineIndex } from '../../../src/core/blocks/positions';
import { childrenOf, isComment, type SyntaxNode } from '../../../src/core/blocks/syntaxNode';

/** Tokens that execute nothing and may sit outside every block: braces, `else`, `try:`, `finally`. */
function isStructural(token: SyntaxNode): boolean {
  const parent = token.parent;
  if (!parent || token.isNamed) return false;
  switch (parent.type) {
    case 'statement_block':
    case 'switch_body':
    case 'block':
    case 'else_clause':
    case 'finally_clause':
    case 'try_statement':
    case 'do_statement':
    case 'labeled_statement':
      return true;
    default:
      return false;
  }
}

function leavesOf(node: SyntaxNode, out: SyntaxNode[] = []): SyntaxNode[] {
  const children = childrenOf(node);
  if (children.length === 0) {
    if (node.endIndex > node.startIndex && !isComment(node)) out.push(node);
  } else if (!isComment(node)) {
    for (const child of children) leavesOf(child, out);
  }
  return out;
}

export interface InvariantOptions {
  /**
   * Also require that no line is shared by two blocks. True for conventionally formatted code;
   * one-liners such as `if x: return 1` legitimately put two blocks on a line.
   */
  readonly oneBlockPerLine?: boolean;
}

export function blockInvariantProblems(
  blocks: readonly Block[],
  fn: FunctionSyntax,
  source: string,
  options: InvariantOptions = {},
): string[] {
  const problems: string[] = [];
  const lines = new LineIndex(source);
  if (blocks.length === 0) return ['no blocks'];

  const ids = new Set(blocks.map((b) => b.id));
  if (ids.size !== blocks.length) problems.push('block ids are not unique');
  if (blocks[0].id !== 'b1') problems.push(`the first block is ${blocks[0].id}, not b1`);

  const spans = blocks.map((b) => ({ id: b.id, start: lines.offsetAt(b.range.start), end: lines.offsetAt(b.range.end) }));
  for (const [i, b] of blocks.entries()) {
    const span = spans[i];
    if (span.end < span.start) problems.push(`${b.id} ends before it starts`);
    if (source.slice(span.start, span.end) !== b.text) problems.push(`${b.id}'s text is not the text of its range`);
    for (const s of b.successors) if (!ids.has(s)) problems.push(`${b.id} has an edge to unknown block ${s}`);
    const next = spans[i + 1];
    if (next && next.start < span.end) problems.push(`${b.id} overlaps ${next.id}`);
  }

  const leaves = leavesOf(fn.body);
  // Blocks are sorted and disjoint (checked above), so the owner of an offset is found by bisection.
  const owners = (offset: number): string[] => {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spans[mid].start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const span = spans[lo];
    return span.start <= offset && offset < span.end ? [span.id] : [];
  };
  const executable = leaves.filter((t) => !isStructural(t));
  for (const token of leaves) {
    const found = owners(token.startIndex);
    if (found.length === 0 && !isStructural(token)) {
      const at = lines.positionAt(token.startIndex);
      problems.push(`token '${token.text}' at ${at.line}:${at.character} is in no block`);
    }
  }
  const firstToken = executable[0];
  if (firstToken && owners(firstToken.startIndex)[0] !== 'b1') problems.push('the entry block does not hold the first statement');

  if (options.oneBlockPerLine) {
    const blocksOnLine = new Map<number, string[]>();
    for (const b of blocks) {
      for (let line = b.range.start.line; line <= b.range.end.line; line++) blocksOnLine.set(line, [...(blocksOnLine.get(line) ?? []), b.id]);
    }
    const executableLines = new Set(executable.map((t) => lines.positionAt(t.startIndex).line));
    for (const line of executableLines) {
      const touching = blocksOnLine.get(line) ?? [];
      if (touching.length !== 1) problems.push(`line ${line} is in ${touching.length} blocks (${touching.join(', ')})`);
    }
  }
  return problems;
}
