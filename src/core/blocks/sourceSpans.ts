// Where a definition really starts for a reader: a function's or a test's decorators and the
// comments right above it (a JSDoc, a `#` comment block) belong to it. Over the syntax tree, so a
// multi-line decorator or a comment inside a string never confuses it.

import { childrenOf, isComment, type SyntaxNode } from './syntaxNode';

/** Statement-like wrappers a definition sits in: `export function f`, `const f = () => …`, Python's `@decorator def`. */
const wrappers = new Set([
  'decorated_definition',
  'export_statement',
  'lexical_declaration',
  'variable_declaration',
  'variable_declarator',
  'expression_statement',
  'assignment_expression',
  'public_field_definition',
  'field_definition',
]);

/** The outermost wrapper of `node` that starts on the same line or is a decorated definition. */
export function definitionStatement(node: SyntaxNode): SyntaxNode {
  let at = node;
  for (let p = at.parent; p && wrappers.has(p.type); p = p.parent) {
    if (p.type !== 'decorated_definition' && p.startPosition.row !== node.startPosition.row) break;
    at = p;
  }
  return at;
}

/**
 * The 1-based first line of `node` with what belongs to it above: the decorators (Python's
 * decorated definitions, TypeScript's decorators before a class member) and the comments
 * directly above, up to the first blank line or other code.
 */
export function leadingStartLine(node: SyntaxNode, source: string): number {
  const statement = definitionStatement(node);
  let first = statement;
  const siblings = statement.parent ? childrenOf(statement.parent) : [];
  let i = siblings.findIndex((s) => s.id === statement.id);
  const lines = source.split('\n');
  const blankBetween = (upper: SyntaxNode, lower: SyntaxNode) => {
    for (let row = upper.endPosition.row + 1; row < lower.startPosition.row; row++) if ((lines[row] ?? '').trim() === '') return true;
    return false;
  };
  for (i -= 1; i >= 0; i--) {
    const s = siblings[i];
    if (!(isComment(s) || s.type === 'decorator')) break;
    // A comment that ends a line of code (`x = 1  # note`) belongs to that code.
    if (isComment(s) && (lines[s.startPosition.row] ?? '').slice(0, s.startPosition.column).trim() !== '') break;
    if (blankBetween(s, first)) break;
    first = s;
  }
  return first.startPosition.row + 1;
}
