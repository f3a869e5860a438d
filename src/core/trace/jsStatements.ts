// Where the statements of a JavaScript/TypeScript function body are, for the instrumenter
// (jsInstrument.ts): the statements of the function itself (not of nested functions), the compound
// statements whose headers are blocks, the directive prologue, and which statement starts or ends
// a block's span.

import { childrenOf, codeChildrenOf, field, type SyntaxNode } from '../blocks/syntaxNode';
import { classTypes, functionTypes } from './jsScopes';

/** Where a statement may be followed by another one without braces. */
export const statementLists = new Set(['statement_block', 'program', 'switch_case', 'switch_default', 'class_static_block']);
const headerTypes = new Set(['if_statement', 'while_statement', 'do_statement', 'for_statement', 'for_in_statement', 'switch_statement', 'with_statement', 'switch_case', 'switch_default', 'catch_clause']);
const compoundStatements = new Set(['if_statement', 'while_statement', 'do_statement', 'for_statement', 'for_in_statement', 'switch_statement', 'try_statement', 'statement_block', 'labeled_statement', 'with_statement']);

/** The statements of the function (not of nested functions), and the compound ones whose headers are blocks. */
export function statementsOf(body: SyntaxNode): { statements: SyntaxNode[]; compounds: SyntaxNode[] } {
  const statements: SyntaxNode[] = [];
  const compounds: SyntaxNode[] = [];
  const collect = (n: SyntaxNode) => {
    for (const child of childrenOf(n)) {
      // `for (let i = 0; ...)`: the initializer is part of the header, not a statement of its own.
      if (n.type === 'for_statement' && field(n, 'body')?.id !== child.id) continue;
      if (isStatement(child)) statements.push(child);
      if (functionTypes.has(child.type) || classTypes.has(child.type)) continue;
      if (headerTypes.has(child.type)) compounds.push(child);
      collect(child);
    }
  };
  collect(body);
  return { statements, compounds };
}

export function directivesOf(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const d of codeChildrenOf(body)) {
    if (d.type !== 'expression_statement' || codeChildrenOf(d)[0]?.type !== 'string') break;
    out.push(d);
  }
  return out;
}

export function isDirective(stmt: SyntaxNode, body: SyntaxNode): boolean {
  return directivesOf(body).some((d) => d.id === stmt.id);
}

function isStatement(node: SyntaxNode): boolean {
  return (node.type.endsWith('_statement') && node.type !== 'labeled_statement') || node.type === 'lexical_declaration' || node.type === 'variable_declaration' || node.type === 'function_declaration' || node.type === 'generator_function_declaration' || node.type === 'class_declaration';
}

/** The simple statement that ends a block: ends exactly at `end`, starts inside the block. */
export function lastStatementEndingAt(statements: readonly SyntaxNode[], start: number, end: number): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (const s of statements) {
    if (s.endIndex !== end || s.startIndex < start || compoundStatements.has(s.type)) continue;
    // The outermost such statement: `return x;` rather than anything nested in it.
    if (!found || s.startIndex < found.startIndex) found = s;
  }
  return found;
}

/** The first simple statement of a block, if it starts with one (not with a header). */
export function firstStatementIn(statements: readonly SyntaxNode[], start: number, end: number): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (const s of statements) {
    if (s.startIndex < start || s.endIndex > end || compoundStatements.has(s.type)) continue;
    if (!found || s.startIndex < found.startIndex || (s.startIndex === found.startIndex && s.endIndex > found.endIndex)) found = s;
  }
  return found;
}

/** Where the header block of a compound statement ends (as `headerSpan` computes it). */
export function headerEnd(c: SyntaxNode): number | undefined {
  const bodyField = c.type === 'if_statement' ? 'consequence' : c.type === 'do_statement' ? undefined : 'body';
  if (c.type === 'do_statement') return c.endIndex;
  if (c.type === 'switch_case' || c.type === 'switch_default') return childrenOf(c).find((n) => n.type === ':')?.endIndex;
  const b = bodyField ? field(c, bodyField) : undefined;
  if (!b) return undefined;
  let end = c.startIndex;
  for (const child of childrenOf(c)) {
    if (child.startIndex >= b.startIndex) break;
    if (!child.isExtra && child.type !== 'comment') end = child.endIndex;
  }
  return end;
}
