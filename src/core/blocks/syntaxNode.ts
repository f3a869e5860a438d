// The part of a tree-sitter node that the core reads. web-tree-sitter's `Node` satisfies it
// structurally, so the core never loads the parser (host/treeSitter.ts does) and tests could
// hand-build trees. Offsets (`startIndex`, `endIndex`) index the JavaScript string that was parsed.

import type { SourceLanguage } from './languages';

export interface SyntaxNode {
  /** Stable for the life of the tree. web-tree-sitter returns a fresh object per access: compare ids. */
  readonly id: number;
  readonly type: string;
  readonly isNamed: boolean;
  /** Comments and other tokens the grammar allows anywhere. */
  readonly isExtra: boolean;
  readonly isError: boolean;
  readonly isMissing: boolean;
  /** True when this node or any descendant is an error or a missing token. */
  readonly hasError: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  /** Rows are 0-based lines; prefer `LineIndex` for columns, whose units it fixes to UTF-16. */
  readonly startPosition: { readonly row: number; readonly column: number };
  readonly endPosition: { readonly row: number; readonly column: number };
  readonly text: string;
  readonly parent: SyntaxNode | null;
  readonly children: readonly (SyntaxNode | null)[];
  readonly namedChildren: readonly (SyntaxNode | null)[];
  childForFieldName(fieldName: string): SyntaxNode | null;
  childrenForFieldName(fieldName: string): readonly (SyntaxNode | null)[];
  /** Descendants of the given types in document order, found by the parser itself (fast). */
  descendantsOfType(types: string[]): readonly (SyntaxNode | null)[];
}

/** A parsed file: the root plus a way to free the tree (web-tree-sitter trees live in wasm memory). */
export interface SyntaxTree {
  readonly rootNode: SyntaxNode;
  delete(): void;
}

/** Parses source text into a tree. The host implements it with web-tree-sitter. */
export interface SourceParser {
  parse(text: string, language: SourceLanguage): Promise<SyntaxTree>;
}

export function childrenOf(node: SyntaxNode): SyntaxNode[] {
  return node.children.filter((c): c is SyntaxNode => c !== null);
}

export function namedChildrenOf(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((c): c is SyntaxNode => c !== null);
}

/** Named children that are code: comments are dropped. */
export function codeChildrenOf(node: SyntaxNode): SyntaxNode[] {
  return namedChildrenOf(node).filter((c) => !isComment(c));
}

export function field(node: SyntaxNode, name: string): SyntaxNode | undefined {
  return node.childForFieldName(name) ?? undefined;
}

export function isComment(node: SyntaxNode): boolean {
  return node.type === 'comment' || node.type === 'html_comment';
}

export function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.id === b.id;
}

/** The first error or missing token under `node`, in source order. */
export function firstSyntaxError(node: SyntaxNode): SyntaxNode | undefined {
  if (!node.hasError) return undefined;
  if (node.isError || node.isMissing) return node;
  for (const child of childrenOf(node)) {
    const found = firstSyntaxError(child);
    if (found) return found;
  }
  // hasError with no erroneous descendant happens only for the node itself.
  return node;
}

/** Depth-first, pre-order; `descend` decides whether to enter a node's children. */
export function* walk(node: SyntaxNode, descend: (n: SyntaxNode) => boolean = () => true): Generator<SyntaxNode> {
  yield node;
  if (!descend(node)) return;
  for (const child of childrenOf(node)) yield* walk(child, descend);
}
