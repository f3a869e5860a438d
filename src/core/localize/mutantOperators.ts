// The mutants of a function: the small, one-token changes the classic mutation operators make
// (relational, arithmetic and logical operators replaced, an integer one up or down, a boolean
// flipped, a condition negated or its negation dropped, `++` for `--`, an expression statement
// left out, a variable read in place of another), found on the syntax tree of Python or
// JavaScript/TypeScript and written as edits of the file's text (mutants.ts). Nothing here runs.
// The same operators for every program: what a careful debugger asks ("what if this were <=?"),
// never tuned to one.

import type { Block } from '../blocks/basicBlocks';
import { familyOf, type SourceLanguage } from '../blocks/languages';
import { LineIndex } from '../blocks/positions';
import { selectFunction, type FunctionSelector } from '../blocks/functionFinder';
import { childrenOf, field, namedChildrenOf, type SourceParser, type SyntaxNode } from '../blocks/syntaxNode';
import type { Mutant } from './mutants';

/** Operator kinds, in the order a block's mutants are tried when a budget cuts them short. */
export type MutantKind = 'relational' | 'logical' | 'negation' | 'constant' | 'arithmetic' | 'update' | 'deletion' | 'variable';
const kindOrder: readonly MutantKind[] = ['relational', 'logical', 'negation', 'constant', 'arithmetic', 'update', 'deletion', 'variable'];

export interface KindedMutant extends Mutant {
  readonly kind: MutantKind;
}

const relational: Readonly<Record<string, readonly string[]>> = {
  '<': ['<=', '>'],
  '<=': ['<', '>='],
  '>': ['>=', '<'],
  '>=': ['>', '<='],
  '==': ['!='],
  '!=': ['=='],
  '===': ['!=='],
  '!==': ['==='],
};
const arithmeticPython: Readonly<Record<string, readonly string[]>> = {
  '+': ['-', '*'],
  '-': ['+'],
  '*': ['/', '+'],
  '/': ['//', '*'],
  '//': ['/', '%'],
  '%': ['//'],
};
const arithmeticJs: Readonly<Record<string, readonly string[]>> = {
  '+': ['-', '*'],
  '-': ['+'],
  '*': ['/', '+'],
  '/': ['*', '%'],
  '%': ['/'],
};
const logical: Readonly<Record<string, string>> = { and: 'or', or: 'and', '&&': '||', '||': '&&' };
const augmented: Readonly<Record<string, string>> = { '+=': '-=', '-=': '+=', '*=': '/=', '/=': '*=' };

/** Variable replacements per read: more would crowd out the other kinds. */
const maxVariableAlternatives = 3;

/**
 * Every mutant of the selected function, block by block (each edit lies inside one block's text),
 * in each block the kinds in `kindOrder`. Ids follow that order: `m1`, `m2`, ...
 */
export async function mutantsOfFunction(
  source: string,
  language: SourceLanguage,
  parser: SourceParser,
  selector: FunctionSelector,
  blocks: readonly Block[],
): Promise<KindedMutant[]> {
  const tree = await parser.parse(source, language);
  try {
    const lines = new LineIndex(source);
    const fn = selectFunction(tree.rootNode, language, lines, selector);
    const spans = blocks.map((b) => ({ id: b.id, start: lines.offsetAt(b.range.start), end: lines.offsetAt(b.range.end) }));
    const blockOf = (node: SyntaxNode) => {
      let best: { id: string; start: number; end: number } | undefined;
      for (const s of spans) if (s.start <= node.startIndex && node.endIndex <= s.end && (!best || s.end - s.start < best.end - best.start)) best = s;
      return best?.id;
    };
    const python = familyOf(language) === 'python';
    const locals = localNames(fn.node);
    const found: Omit<KindedMutant, 'id'>[] = [];
    const seen = new Set<string>();
    const add = (node: SyntaxNode, start: number, end: number, replacement: string, kind: MutantKind, description: string) => {
      const blockId = blockOf(node);
      if (!blockId) return;
      const key = `${start}:${end}:${replacement}`;
      if (seen.has(key) || source.slice(start, end) === replacement) return;
      seen.add(key);
      found.push({ blockId, start, end, replacement, kind, description });
    };
    walk(fn.body, (node) => {
      operatorMutants(node, python, add);
      literalMutants(node, python, add);
      conditionMutants(node, python, add);
      deletionMutants(node, python, add);
      variableMutants(node, python, locals, add);
    });
    const order = new Map(blocks.map((b, i) => [b.id, i]));
    found.sort((a, b) => order.get(a.blockId)! - order.get(b.blockId)! || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.start - b.start);
    return found.map((m, i) => ({ id: `m${i + 1}`, ...m }));
  } finally {
    tree.delete();
  }
}

type Add = (node: SyntaxNode, start: number, end: number, replacement: string, kind: MutantKind, description: string) => void;

function walk(node: SyntaxNode, visit: (node: SyntaxNode) => void): void {
  visit(node);
  for (const child of childrenOf(node)) walk(child, visit);
}

/** The token child of a node that is one of `ops` (anonymous nodes: `<`, `and`, `+=`). */
function operatorTokens(node: SyntaxNode, ops: Readonly<Record<string, unknown>>): SyntaxNode[] {
  return childrenOf(node).filter((c) => !c.isNamed && Object.prototype.hasOwnProperty.call(ops, c.type));
}

function operatorMutants(node: SyntaxNode, python: boolean, add: Add): void {
  const arithmetic = python ? arithmeticPython : arithmeticJs;
  switch (node.type) {
    case 'comparison_operator':
    case 'binary_expression':
    case 'binary_operator':
    case 'boolean_operator': {
      for (const op of operatorTokens(node, relational)) for (const to of relational[op.type]!) add(node, op.startIndex, op.endIndex, to, 'relational', `${op.type} → ${to}`);
      for (const op of operatorTokens(node, logical)) add(node, op.startIndex, op.endIndex, logical[op.type]!, 'logical', `${op.type} → ${logical[op.type]}`);
      if (node.type !== 'comparison_operator' && node.type !== 'boolean_operator') {
        for (const op of operatorTokens(node, arithmetic)) for (const to of arithmetic[op.type]!) add(node, op.startIndex, op.endIndex, to, 'arithmetic', `${op.type} → ${to}`);
      }
      return;
    }
    case 'augmented_assignment':
    case 'augmented_assignment_expression':
      for (const op of operatorTokens(node, augmented)) add(node, op.startIndex, op.endIndex, augmented[op.type]!, 'arithmetic', `${op.type} → ${augmented[op.type]}`);
      return;
    case 'update_expression':
      for (const op of operatorTokens(node, { '++': 1, '--': 1 })) {
        const to = op.type === '++' ? '--' : '++';
        add(node, op.startIndex, op.endIndex, to, 'update', `${op.type} → ${to}`);
      }
      return;
  }
}

function literalMutants(node: SyntaxNode, python: boolean, add: Add): void {
  if ((node.type === 'integer' || node.type === 'number') && /^\d+$/.test(node.text)) {
    const n = Number(node.text);
    if (!Number.isSafeInteger(n)) return;
    // A literal right after a unary minus keeps the minus: `-1` -> `-2`, `-0`.
    for (const to of n === 0 ? [1] : [n + 1, n - 1]) add(node, node.startIndex, node.endIndex, String(to), 'constant', `${node.text} → ${to}`);
    return;
  }
  if (node.type === 'true' || node.type === 'false') {
    const to = python ? (node.type === 'true' ? 'False' : 'True') : node.type === 'true' ? 'false' : 'true';
    add(node, node.startIndex, node.endIndex, to, 'constant', `${node.text} → ${to}`);
  }
}

function conditionMutants(node: SyntaxNode, python: boolean, add: Add): void {
  // `not x` / `!x` -> `x`
  if (node.type === 'not_operator' || (node.type === 'unary_expression' && childrenOf(node)[0]?.type === '!')) {
    const operand = field(node, 'argument');
    if (operand) add(node, node.startIndex, node.endIndex, operand.text, 'negation', `${node.text.length > 40 ? 'a negation' : node.text} → ${operand.text.length > 40 ? 'its operand' : operand.text}`);
    return;
  }
  if (!['if_statement', 'while_statement', 'elif_clause', 'do_statement', 'ternary_expression', 'conditional_expression'].includes(node.type)) return;
  let condition = field(node, 'condition');
  if (node.type === 'conditional_expression') condition = namedChildrenOf(node)[1];
  if (!condition) return;
  if (condition.type === 'parenthesized_expression') {
    const inner = namedChildrenOf(condition)[0];
    if (!inner) return;
    add(condition, inner.startIndex, inner.endIndex, `!(${inner.text})`, 'negation', 'condition negated');
    return;
  }
  add(condition, condition.startIndex, condition.endIndex, python ? `not (${condition.text})` : `!(${condition.text})`, 'negation', 'condition negated');
}

function deletionMutants(node: SyntaxNode, python: boolean, add: Add): void {
  if (node.type !== 'expression_statement') return;
  const inner = namedChildrenOf(node)[0];
  // Only statements that do something: assignments, calls, ++/--; never the only statement of a Python suite's docstring.
  if (!inner || !['assignment', 'augmented_assignment', 'call', 'call_expression', 'assignment_expression', 'augmented_assignment_expression', 'update_expression'].includes(inner.type)) return;
  if (python && inner.type === 'assignment' && !namedChildrenOf(node.parent ?? node).some((s) => s !== node)) return;
  const text = node.text.split('\n')[0]!;
  add(node, node.startIndex, node.endIndex, python ? 'pass' : ';', 'deletion', `\`${text.length > 40 ? text.slice(0, 40) + '…' : text}\` left out`);
}

/**
 * Reads of a local name that could have meant another: `x` -> `y` for the function's own names,
 * the names defined most recently before the read first (the value just computed is the likeliest
 * one meant), then those defined after it.
 */
function variableMutants(node: SyntaxNode, python: boolean, locals: Locals, add: Add): void {
  if (node.type !== 'identifier' || !locals.has(node.text) || !isRead(node, python)) return;
  const at = node.startIndex;
  const distance = (name: string) => {
    const before = locals.get(name)!.filter((d) => d < at);
    return before.length ? at - Math.max(...before) : Number.MAX_SAFE_INTEGER - Math.min(...locals.get(name)!);
  };
  const others = [...locals.keys()].filter((n) => n !== node.text).sort((a, b) => distance(a) - distance(b));
  for (const other of others.slice(0, maxVariableAlternatives)) add(node, node.startIndex, node.endIndex, other, 'variable', `${node.text} → ${other}`);
}

/** The function's parameters and the names it assigns, each with where it is defined (offsets). */
type Locals = Map<string, number[]>;

/** An identifier in a value position: not a definition, an assignment target, a callee, a key or an attribute. */
function isRead(node: SyntaxNode, python: boolean): boolean {
  const parent = node.parent;
  if (!parent) return false;
  const is = (name: string) => {
    const f = field(parent, name);
    return !!f && f.startIndex === node.startIndex && f.endIndex === node.endIndex;
  };
  switch (parent.type) {
    case 'assignment':
    case 'augmented_assignment':
    case 'assignment_expression':
    case 'augmented_assignment_expression':
    case 'variable_declarator':
    case 'for_in_statement':
    case 'for_statement':
      return !is('left') && !is('name');
    case 'call':
    case 'call_expression':
      return !is('function');
    case 'keyword_argument':
    case 'pair':
      return !is('name') && !is('key');
    case 'attribute':
    case 'member_expression':
      return !is('attribute') && !is('property');
    case 'parameters':
    case 'formal_parameters':
    case 'default_parameter':
    case 'typed_parameter':
    case 'required_parameter':
    case 'optional_parameter':
    case 'function_definition':
    case 'function_declaration':
    case 'lambda_parameters':
    case 'update_expression':
    case 'shorthand_property_identifier':
    case 'global_statement':
    case 'nonlocal_statement':
      return false;
    case 'pattern_list':
    case 'tuple_pattern':
    case 'array_pattern':
    case 'object_pattern':
      return false;
    default:
      return python || parent.type !== 'import_specifier';
  }
}

/** The function's parameters (defined where the function starts) and the names it assigns, with every place each is defined. */
function localNames(fn: SyntaxNode): Locals {
  const names: Locals = new Map();
  const note = (n: SyntaxNode | undefined | null, at: number) => {
    if (n?.type !== 'identifier') return;
    const list = names.get(n.text) ?? [];
    list.push(at);
    names.set(n.text, list);
  };
  walk(fn, (node) => {
    switch (node.type) {
      case 'parameters':
      case 'formal_parameters':
      case 'lambda_parameters':
        for (const p of namedChildrenOf(node)) note(p.type === 'identifier' ? p : (field(p, 'name') ?? field(p, 'pattern') ?? namedChildrenOf(p)[0]), fn.startIndex);
        break;
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
      case 'for_in_statement': {
        const left = field(node, 'left');
        if (left?.type === 'identifier') note(left, node.startIndex);
        // `for a, b in ...`, `for (const [k, v] of ...)`, `a, b = ...`: each name of the pattern.
        else if (left) walk(left, (n) => n.type === 'identifier' && isPatternName(n) && note(n, node.startIndex));
        break;
      }
      case 'variable_declarator': {
        const name = field(node, 'name');
        if (name?.type === 'identifier') note(name, node.startIndex);
        else if (name) walk(name, (n) => n.type === 'identifier' && isPatternName(n) && note(n, node.startIndex));
        break;
      }
    }
  });
  return names;
}

/** An identifier that a destructuring pattern binds (not a default value's or a key's). */
function isPatternName(n: SyntaxNode): boolean {
  const parent = n.parent?.type ?? '';
  return ['pattern_list', 'tuple_pattern', 'list_pattern', 'array_pattern', 'tuple', 'list', 'object_pattern', 'pair_pattern', 'shorthand_property_identifier_pattern'].includes(parent) || parent === 'for_in_statement';
}
