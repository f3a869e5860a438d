// JavaScript, TypeScript and TSX statements (tree-sitter-javascript 0.25, tree-sitter-typescript
// 0.23) read into the shapes of statementShapes.ts. The grammars agree on every statement used here.

import { headerSpan, spanOf, type Jump, type StatementReader, type StatementShape } from './statementShapes';
import { childrenOf, codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';

/** Nodes whose insides run later or elsewhere: a `yield` in them does not suspend this function. */
const scopeBoundaries = new Set([
  'function_declaration',
  'function_expression',
  'function',
  'generator_function',
  'generator_function_declaration',
  'arrow_function',
  'method_definition',
  'class_declaration',
  'class',
  'abstract_class_declaration',
]);

export const javascriptStatements: StatementReader = {
  statementsOf(body) {
    return body.type === 'statement_block' ? codeChildrenOf(body) : [body];
  },

  shapeOf(statement): StatementShape {
    switch (statement.type) {
      case 'statement_block':
        return { kind: 'sequence', body: codeChildrenOf(statement) };
      case 'if_statement':
        return ifShape(statement);
      case 'for_statement':
      case 'for_in_statement':
      case 'while_statement':
        return loopShape(statement);
      case 'do_statement':
        return doShape(statement);
      case 'try_statement':
        return tryShape(statement);
      case 'switch_statement':
        return switchShape(statement);
      case 'with_statement':
        return { kind: 'with', header: headerSpan(statement, field(statement, 'body')), body: bodyOf(statement) };
      case 'labeled_statement': {
        const body = field(statement, 'body');
        if (!body) break;
        return { kind: 'labeled', name: field(statement, 'label')?.text ?? '', label: statement.startIndex, body };
      }
    }
    return { kind: 'simple', span: spanOf(statement), jump: jumpOf(statement) };
  },
};

function bodyOf(node: SyntaxNode, fieldName = 'body'): SyntaxNode[] {
  const body = field(node, fieldName);
  return body ? javascriptStatements.statementsOf(body) : [];
}

function ifShape(statement: SyntaxNode): StatementShape {
  const consequence = field(statement, 'consequence');
  const alternative = field(statement, 'alternative');
  // `else if` nests: the inner if is the else clause's only statement, and takes `else` as its label.
  const elseBody = alternative ? codeChildrenOf(alternative)[0] : undefined;
  return {
    kind: 'if',
    branches: [{ header: headerSpan(statement, consequence), body: bodyOf(statement, 'consequence') }],
    otherwise: alternative
      ? { label: alternative.startIndex, body: elseBody ? javascriptStatements.statementsOf(elseBody) : [] }
      : undefined,
  };
}

/** `for (init; test; update)` is one header block: the tracer counts iterations there. */
function loopShape(statement: SyntaxNode): StatementShape {
  return {
    kind: 'loop',
    header: headerSpan(statement, field(statement, 'body')),
    body: bodyOf(statement),
    infinite: isInfinite(statement),
  };
}

function isInfinite(statement: SyntaxNode): boolean {
  if (statement.type === 'for_in_statement') return false;
  const conditions = statement.childrenForFieldName('condition').filter((c): c is SyntaxNode => !!c && c.isNamed);
  // `for (;;)` has no condition, or only an empty statement.
  if (statement.type === 'for_statement' && conditions.every((c) => c.type === 'empty_statement')) return true;
  return conditions.length === 1 && isAlwaysTrue(conditions[0]);
}

function isAlwaysTrue(condition: SyntaxNode): boolean {
  if (condition.type === 'parenthesized_expression' || condition.type === 'expression_statement') {
    const inner = codeChildrenOf(condition)[0];
    return !!inner && isAlwaysTrue(inner);
  }
  return condition.type === 'true';
}

function doShape(statement: SyntaxNode): StatementShape {
  const whileKeyword = childrenOf(statement).find((c) => c.type === 'while');
  return {
    kind: 'loop',
    header: { start: whileKeyword?.startIndex ?? statement.startIndex, end: statement.endIndex },
    body: bodyOf(statement),
    postTest: { label: statement.startIndex },
    infinite: isInfinite(statement),
  };
}

function tryShape(statement: SyntaxNode): StatementShape {
  const handler = field(statement, 'handler');
  const finalizer = field(statement, 'finalizer');
  return {
    kind: 'try',
    body: { label: statement.startIndex, body: bodyOf(statement) },
    handlers: handler ? [{ header: headerSpan(handler, field(handler, 'body')), body: bodyOf(handler) }] : [],
    finalizer: finalizer ? { label: finalizer.startIndex, body: bodyOf(finalizer) } : undefined,
  };
}

function switchShape(statement: SyntaxNode): StatementShape {
  const body = field(statement, 'body');
  const cases = (body ? codeChildrenOf(body) : [])
    .filter((c) => c.type === 'switch_case' || c.type === 'switch_default')
    .map((clause) => {
      const statements = clause.childrenForFieldName('body').filter((c): c is SyntaxNode => !!c && c.type !== 'comment');
      const colon = childrenOf(clause).find((c) => c.type === ':');
      return {
        header: { start: clause.startIndex, end: colon?.endIndex ?? clause.endIndex },
        body: statements,
        catchesAll: clause.type === 'switch_default',
      };
    });
  return { kind: 'switch', header: headerSpan(statement, body), cases, fallsThrough: true };
}

function jumpOf(statement: SyntaxNode): Jump | undefined {
  switch (statement.type) {
    case 'return_statement':
      return { kind: 'return' };
    case 'throw_statement':
      return { kind: 'throw' };
    case 'break_statement':
    case 'continue_statement': {
      const label = field(statement, 'label')?.text;
      const kind = statement.type === 'break_statement' ? 'break' : 'continue';
      return label ? { kind, label } : { kind };
    }
    default:
      return suspends(statement) ? { kind: 'yield' } : undefined;
  }
}

function suspends(statement: SyntaxNode): boolean {
  for (const node of walk(statement, (n) => !scopeBoundaries.has(n.type))) {
    if (node.type === 'yield_expression') return true;
  }
  return false;
}
