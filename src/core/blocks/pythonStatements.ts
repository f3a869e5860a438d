// Python statements (tree-sitter-python 0.25) read into the shapes of statementShapes.ts.

import { headerSpan, spanOf, type Jump, type StatementReader, type StatementShape } from './statementShapes';
import { childrenOf, codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';

/** Nodes whose insides run later or elsewhere: a `yield` in them does not suspend this function. */
const scopeBoundaries = new Set(['function_definition', 'lambda', 'class_definition']);

export const pythonStatements: StatementReader = {
  statementsOf(body) {
    return body.type === 'block' ? codeChildrenOf(body) : [body];
  },

  shapeOf(statement): StatementShape {
    switch (statement.type) {
      case 'if_statement':
        return ifShape(statement);
      case 'for_statement':
      case 'while_statement':
        return loopShape(statement);
      case 'try_statement':
        return tryShape(statement);
      case 'with_statement':
        return { kind: 'with', header: headerSpan(statement, field(statement, 'body')), body: bodyOf(statement) };
      case 'match_statement':
        return matchShape(statement);
      default:
        return { kind: 'simple', span: spanOf(statement), jump: jumpOf(statement) };
    }
  },
};

function bodyOf(node: SyntaxNode, fieldName = 'body'): SyntaxNode[] {
  const body = field(node, fieldName) ?? childrenOf(node).find((c) => c.type === 'block');
  return body ? pythonStatements.statementsOf(body) : [];
}

function ifShape(statement: SyntaxNode): StatementShape {
  const branches = [{ header: headerSpan(statement, field(statement, 'consequence')), body: bodyOf(statement, 'consequence') }];
  let otherwise;
  for (const clause of statement.childrenForFieldName('alternative')) {
    if (!clause) continue;
    if (clause.type === 'elif_clause') {
      branches.push({ header: headerSpan(clause, field(clause, 'consequence')), body: bodyOf(clause, 'consequence') });
    } else if (clause.type === 'else_clause') {
      otherwise = { label: clause.startIndex, body: bodyOf(clause) };
    }
  }
  return { kind: 'if', branches, otherwise };
}

function loopShape(statement: SyntaxNode): StatementShape {
  const alternative = field(statement, 'alternative');
  const condition = field(statement, 'condition');
  return {
    kind: 'loop',
    header: headerSpan(statement, field(statement, 'body')),
    body: bodyOf(statement),
    infinite: statement.type === 'while_statement' && !!condition && isAlwaysTrue(condition),
    otherwise: alternative ? { label: alternative.startIndex, body: bodyOf(alternative) } : undefined,
  };
}

function isAlwaysTrue(condition: SyntaxNode): boolean {
  if (condition.type === 'parenthesized_expression') {
    const inner = codeChildrenOf(condition)[0];
    return !!inner && isAlwaysTrue(inner);
  }
  return condition.type === 'true' || (condition.type === 'integer' && Number(condition.text) !== 0);
}

function tryShape(statement: SyntaxNode): StatementShape {
  const handlers = [];
  let otherwise;
  let finalizer;
  for (const clause of childrenOf(statement)) {
    if (clause.type === 'except_clause' || clause.type === 'except_group_clause') {
      const block = childrenOf(clause).find((c) => c.type === 'block');
      handlers.push({ header: headerSpan(clause, block), body: bodyOf(clause) });
    } else if (clause.type === 'else_clause') {
      otherwise = { label: clause.startIndex, body: bodyOf(clause) };
    } else if (clause.type === 'finally_clause') {
      finalizer = { label: clause.startIndex, body: bodyOf(clause) };
    }
  }
  return { kind: 'try', body: { label: statement.startIndex, body: bodyOf(statement) }, handlers, otherwise, finalizer };
}

function matchShape(statement: SyntaxNode): StatementShape {
  const block = field(statement, 'body');
  const cases = (block ? codeChildrenOf(block) : [])
    .filter((c) => c.type === 'case_clause')
    .map((clause) => ({
      header: headerSpan(clause, field(clause, 'consequence')),
      body: bodyOf(clause, 'consequence'),
      catchesAll: isIrrefutable(clause),
    }));
  return { kind: 'switch', header: headerSpan(statement, block), cases, fallsThrough: false };
}

/** `case _:` and `case name:` without a guard match anything. */
function isIrrefutable(clause: SyntaxNode): boolean {
  if (field(clause, 'guard')) return false;
  const patterns = childrenOf(clause).filter((c) => c.type === 'case_pattern');
  if (patterns.length !== 1) return false;
  const parts = childrenOf(patterns[0]);
  if (parts.length !== 1) return false;
  const only = parts[0];
  return only.type === '_' || (only.type === 'dotted_name' && codeChildrenOf(only).length === 1);
}

function jumpOf(statement: SyntaxNode): Jump | undefined {
  switch (statement.type) {
    case 'return_statement':
      return { kind: 'return' };
    case 'raise_statement':
      return { kind: 'throw' };
    case 'break_statement':
      return { kind: 'break' };
    case 'continue_statement':
      return { kind: 'continue' };
    default:
      return suspends(statement) ? { kind: 'yield' } : undefined;
  }
}

function suspends(statement: SyntaxNode): boolean {
  for (const node of walk(statement, (n) => !scopeBoundaries.has(n.type))) {
    if (node.type === 'yield') return true;
  }
  return false;
}
