// Every function in a file, with the name a person would call it by: `area`, `Shape.area`,
// `outer.inner`, `api.fetch` for a function in an object literal, `default` for a default
// export. Arrow functions and lambdas take the name they are assigned to; callbacks stay anonymous.

import type { FunctionSyntax } from './basicBlocks';
import { BlocksError } from './blocksError';
import { familyOf, type SourceLanguage } from './languages';
import { containsLine, type LineIndex, type SourceRange } from './positions';
import { field, firstSyntaxError, type SyntaxNode } from './syntaxNode';

export interface FunctionInfo extends FunctionSyntax {
  /** The function's own name, or `<anonymous>` / `<lambda>`. */
  readonly name: string;
  /** Dotted through enclosing classes, functions and named object literals: `Cart.total`. */
  readonly qualifiedName: string;
  /** Other names that find it, such as `default` for a default export. */
  readonly aliases: readonly string[];
  readonly anonymous: boolean;
  /** The enclosing class, for methods and class fields. */
  readonly className?: string;
  /** Defined directly in the module (or as a member of a class or object that is). */
  readonly topLevel: boolean;
  readonly range: SourceRange;
}

const pythonFunctionTypes = new Set(['function_definition', 'lambda']);
const pythonClassTypes = new Set(['class_definition']);
const jsFunctionTypes = new Set([
  'function_declaration',
  'generator_function_declaration',
  'function_expression',
  'function',
  'generator_function',
  'arrow_function',
  'method_definition',
]);
const jsClassTypes = new Set(['class_declaration', 'class', 'abstract_class_declaration']);
/** Wrappers that do not change which name an expression is assigned to. */
const jsTransparent = new Set(['parenthesized_expression', 'as_expression', 'satisfies_expression', 'non_null_expression', 'type_assertion']);

/** All functions in document order (outer before inner). */
export function listFunctions(root: SyntaxNode, language: SourceLanguage, lines: LineIndex): FunctionInfo[] {
  const naming = new Naming(familyOf(language) === 'python');
  const found: FunctionInfo[] = [];
  // The parser finds the function nodes far faster than a walk over every node in JavaScript.
  for (const node of root.descendantsOfType([...naming.functionTypes])) {
    const body = node && field(node, 'body');
    if (!node || !body) continue;
    const own = naming.functionName(node);
    const displayName = own?.name ?? (node.type === 'lambda' ? '<lambda>' : '<anonymous>');
    const scope = naming.scopeOf(node);
    found.push({
      node,
      body,
      name: displayName,
      qualifiedName: [...scope.path, ...(own?.qualifier ?? []), displayName].join('.'),
      aliases: own?.aliases ?? [],
      anonymous: !own,
      className: scope.className,
      topLevel: scope.moduleLevel,
      range: lines.rangeOf(node.startIndex, node.endIndex),
    });
  }
  return found;
}

interface Scope {
  /** Names of the enclosing named classes, functions and object literals, outermost first. */
  readonly path: readonly string[];
  /** The class whose body holds the function directly (a method or a class field). */
  readonly className?: string;
  /** No function encloses it. */
  readonly moduleLevel: boolean;
}

/** Names of functions and of the classes, functions and object literals that contain them. */
class Naming {
  readonly functionTypes: ReadonlySet<string>;
  private readonly classTypes: ReadonlySet<string>;
  private readonly names = new Map<number, ContextName | undefined>();

  constructor(private readonly python: boolean) {
    this.functionTypes = python ? pythonFunctionTypes : jsFunctionTypes;
    this.classTypes = python ? pythonClassTypes : jsClassTypes;
  }

  /** The function's own name, or the one it takes from where it is written; undefined when anonymous. */
  functionName(node: SyntaxNode): ContextName | undefined {
    if (this.names.has(node.id)) return this.names.get(node.id);
    const own = field(node, 'name')?.text;
    const context = this.python ? pythonContextName(node) : jsContextName(node);
    // `const area = function computeArea() {}` is found by either name.
    const aliases = context && own && context.name !== own ? [...new Set([context.name, ...(context.aliases ?? [])])] : context?.aliases;
    const name = own ? { name: own, qualifier: context?.qualifier, aliases } : context;
    this.names.set(node.id, name);
    return name;
  }

  scopeOf(node: SyntaxNode): Scope {
    const path: string[] = [];
    let className: string | undefined;
    let moduleLevel = true;
    let nearest = true;
    for (let ancestor = node.parent; ancestor; ancestor = ancestor.parent) {
      let segments: readonly string[] = [];
      if (this.functionTypes.has(ancestor.type)) {
        const name = this.functionName(ancestor);
        if (name) segments = [...(name.qualifier ?? []), name.name];
        moduleLevel = false;
        if (nearest) className = undefined;
      } else if (this.classTypes.has(ancestor.type)) {
        const name = field(ancestor, 'name')?.text ?? (this.python ? undefined : jsContextName(ancestor)?.name);
        if (name) segments = [name];
        if (nearest) className = name;
      } else if (!this.python && ancestor.type === 'object') {
        // `const api = { get() {} }` names its members `api.get`.
        const name = jsContextName(ancestor)?.name;
        if (name) segments = [name];
        if (nearest) className = undefined;
      } else {
        continue;
      }
      nearest = false;
      path.unshift(...segments);
    }
    return { path, className, moduleLevel };
  }
}

interface ContextName {
  readonly name: string;
  /** Extra path segments from the assignment target: `Shape.prototype.area = ...` gives `Shape`. */
  readonly qualifier?: readonly string[];
  readonly aliases?: readonly string[];
}

function pythonContextName(node: SyntaxNode): ContextName | undefined {
  const parent = node.parent;
  if (node.type === 'lambda' && parent?.type === 'assignment' && parent.childForFieldName('right')?.id === node.id) {
    const left = field(parent, 'left');
    if (left?.type === 'identifier') return { name: left.text };
  }
  return undefined;
}

/** The name an anonymous function, class or object literal gets from where it is written. */
function jsContextName(node: SyntaxNode): ContextName | undefined {
  let child = node;
  while (child.parent && jsTransparent.has(child.parent.type)) child = child.parent;
  const parent = child.parent;
  if (!parent) return undefined;
  const isField = (name: string) => parent.childForFieldName(name)?.id === child.id;
  switch (parent.type) {
    case 'variable_declarator':
      return isField('value') ? simpleName(field(parent, 'name')) : undefined;
    case 'pair':
      return isField('value') ? simpleName(field(parent, 'key')) : undefined;
    case 'public_field_definition':
    case 'field_definition':
      return isField('value') ? simpleName(field(parent, 'name') ?? field(parent, 'property')) : undefined;
    case 'assignment_expression':
      return isField('right') ? assignmentTargetName(field(parent, 'left')) : undefined;
    case 'export_statement':
      return parent.children.some((c) => c?.type === 'default') ? { name: 'default', aliases: ['default'] } : undefined;
    default:
      return undefined;
  }
}

function simpleName(node: SyntaxNode | undefined): ContextName | undefined {
  if (!node) return undefined;
  if (node.type === 'string') return { name: node.text.slice(1, -1) };
  if (node.type === 'computed_property_name') return undefined;
  if (node.type === 'identifier' || node.type.endsWith('property_identifier') || node.type === 'number') return { name: node.text };
  return undefined;
}

/** `x = ...`, `obj.x = ...`, `Shape.prototype.area = ...`, `module.exports.x = ...`, `module.exports = ...`. */
function assignmentTargetName(left: SyntaxNode | undefined): ContextName | undefined {
  if (!left) return undefined;
  if (left.type === 'identifier') return { name: left.text };
  if (left.type !== 'member_expression') return undefined;
  let parts = left.text.split('.').map((p) => p.trim());
  if (!parts.every((p) => identifierPattern.test(p))) return undefined;
  if (parts[0] === 'module' && parts[1] === 'exports') parts = parts.slice(2);
  else if (parts[0] === 'exports' || parts[0] === 'this') parts = parts.slice(1);
  // `module.exports = function () {}` is CommonJS's default export.
  if (parts.length === 0) return { name: 'default', aliases: ['default'] };
  parts = parts.filter((p) => p !== 'prototype');
  return { name: parts[parts.length - 1], qualifier: parts.slice(0, -1) };
}

const identifierPattern = /^[\p{L}\p{Nl}$_#][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_]*$/u;

/** Finds a function by qualified name, by simple name, or by alias (`default`). */
export function findFunctionByName(functions: readonly FunctionInfo[], name: string): FunctionInfo {
  // Python's __qualname__ spells nested functions `outer.<locals>.inner`.
  const wanted = name.replace(/\.<locals>/g, '');
  const exact = functions.filter((f) => f.qualifiedName === wanted);
  const matches = exact.length ? exact : functions.filter((f) => !f.anonymous && (f.name === wanted || f.aliases.includes(wanted)));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    const known = functions.filter((f) => !f.anonymous).map((f) => f.qualifiedName);
    const list = known.length ? ` Functions in this file: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}.` : '';
    throw new BlocksError('unknown-function', `no function named '${name}'.${list}`);
  }
  const where = matches.map((f) => `${f.qualifiedName} (line ${f.range.start.line})`).join(', ');
  throw new BlocksError('ambiguous-function', `'${name}' names ${matches.length} functions: ${where}. Use a qualified name or --line.`);
}

/**
 * The function a line belongs to: the innermost named one that contains it, so a line inside a
 * callback or a lambda maps to the function that holds it. Anonymous functions count only when no
 * named function contains the line (a test callback, a module-level IIFE), or when `innermost` is
 * asked for explicitly.
 */
export function findFunctionAtLine(functions: readonly FunctionInfo[], line: number, innermost: 'named' | 'any' = 'named'): FunctionInfo | undefined {
  const containing = functions.filter((f) => containsLine(f.range, line));
  // Functions come outer first, so the last one containing the line is the innermost.
  const named = containing.filter((f) => !f.anonymous);
  return (innermost === 'named' ? named[named.length - 1] : undefined) ?? containing[containing.length - 1];
}

export type FunctionSelector = { readonly name: string } | { readonly line: number };

/**
 * Finds the selected function in a parsed file, turning "not found" into the most useful error:
 * a syntax error on that line when the code there does not parse.
 */
export function selectFunction(root: SyntaxNode, language: SourceLanguage, lines: LineIndex, selector: FunctionSelector): FunctionInfo {
  const functions = listFunctions(root, language, lines);
  if ('name' in selector) {
    try {
      return findFunctionByName(functions, selector.name);
    } catch (error) {
      const syntax = firstSyntaxError(root);
      if (error instanceof BlocksError && error.code === 'unknown-function' && syntax) {
        const line = lines.positionAt(syntax.startIndex).line;
        throw new BlocksError('unknown-function', `${error.message} The file has a syntax error at line ${line}, which may hide it.`, line);
      }
      throw error;
    }
  }
  const found = findFunctionAtLine(functions, selector.line);
  if (found) return found;
  if (selector.line < 1 || selector.line > lines.lineCount) {
    throw new BlocksError('no-function-at-line', `line ${selector.line} is outside the file (it has ${lines.lineCount} lines)`, selector.line);
  }
  const syntax = firstSyntaxError(root);
  if (syntax) {
    const line = lines.positionAt(syntax.startIndex).line;
    throw new BlocksError('syntax-error', `no function found at line ${selector.line}: syntax error at line ${line}`, line);
  }
  throw new BlocksError('no-function-at-line', `line ${selector.line} is not inside a function`, selector.line);
}
