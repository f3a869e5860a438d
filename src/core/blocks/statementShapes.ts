// The language-neutral view of a statement that the control-flow builder works from. Each
// grammar's statements are read into these shapes by pythonStatements.ts or
// javascriptStatements.ts, so the builder knows nothing of node types.
//
// Spans are string offsets [start, end). A "label" is the offset of a keyword that executes
// nothing (`else`, `try`, `finally`, `do`, `outer:`); the block that follows takes it into its
// range so that every line of the function belongs to some block.

import { childrenOf, isComment, type SyntaxNode } from './syntaxNode';

export interface Span {
  readonly start: number;
  readonly end: number;
}

export type Jump =
  | { readonly kind: 'return' | 'throw' | 'yield' }
  | { readonly kind: 'break' | 'continue'; readonly label?: string };

export type StatementShape =
  /** Straight-line code, possibly ending in a jump. Nested functions and classes are simple too. */
  | { readonly kind: 'simple'; readonly span: Span; readonly jump?: Jump }
  /** `{ ... }` inside a function body: its statements run in line with their neighbours. */
  | { readonly kind: 'sequence'; readonly body: readonly SyntaxNode[] }
  | IfShape
  | LoopShape
  | TryShape
  | SwitchShape
  | { readonly kind: 'with'; readonly header: Span; readonly body: readonly SyntaxNode[] }
  | { readonly kind: 'labeled'; readonly name: string; readonly label: number; readonly body: SyntaxNode };

export interface Clause {
  readonly label: number;
  readonly body: readonly SyntaxNode[];
}

export interface IfShape {
  readonly kind: 'if';
  /** `if` then each `elif`, tested in order. */
  readonly branches: readonly { readonly header: Span; readonly body: readonly SyntaxNode[] }[];
  readonly otherwise?: Clause;
}

export interface LoopShape {
  readonly kind: 'loop';
  readonly header: Span;
  readonly body: readonly SyntaxNode[];
  /** do-while: the body runs before the header is first tested. `label` is the `do` keyword. */
  readonly postTest?: { readonly label: number };
  /** `while True`, `for (;;)`: the header never exits by itself. */
  readonly infinite: boolean;
  /** Python's `for ... else` / `while ... else`: runs when the loop ends without `break`. */
  readonly otherwise?: Clause;
}

export interface TryShape {
  readonly kind: 'try';
  readonly body: Clause;
  /** `except ...:` / `catch (e)`: the header is part of the handler's first block. */
  readonly handlers: readonly { readonly header: Span; readonly body: readonly SyntaxNode[] }[];
  /** Python's `try ... else`: runs when the body raised nothing, outside the handlers' reach. */
  readonly otherwise?: Clause;
  readonly finalizer?: Clause;
}

export interface SwitchShape {
  readonly kind: 'switch';
  readonly header: Span;
  readonly cases: readonly { readonly header: Span; readonly body: readonly SyntaxNode[]; readonly catchesAll: boolean }[];
  /** JavaScript's `switch` falls through and owns `break`; Python's `match` does neither. */
  readonly fallsThrough: boolean;
}

/** Reads a grammar's statements into shapes. One per language family. */
export interface StatementReader {
  /** The statements of a body node (a block, a statement block, or a single statement). */
  statementsOf(body: SyntaxNode): SyntaxNode[];
  shapeOf(statement: SyntaxNode): StatementShape;
}

export function spanOf(node: SyntaxNode): Span {
  return { start: node.startIndex, end: node.endIndex };
}

/**
 * A compound statement's header: from its start (or `from`) to the end of the last token before
 * its body, e.g. `while x > 0:` or `for (const k of xs)`. Comments before the body are left out.
 */
export function headerSpan(statement: SyntaxNode, body: SyntaxNode | undefined, from = statement.startIndex): Span {
  if (!body) return { start: from, end: statement.endIndex };
  let end = from;
  for (const child of childrenOf(statement)) {
    if (child.startIndex >= body.startIndex) break;
    if (!child.isExtra && !isComment(child)) end = child.endIndex;
  }
  return { start: from, end };
}
