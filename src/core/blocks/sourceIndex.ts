// The syntax-level facts the symbol resolver reads from one source: its declarations per scope,
// its JavaScript exports (ES and CommonJS), and small questions about classes, members and
// calls. Built once per source per search (symbols.ts).

import type { FunctionInfo } from './functionFinder';
import type { ImportBinding } from './imports';
import type { LanguageFamily } from './languages';
import type { ParsedSource } from './parsedSources';
import { childrenOf, codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';

export const jsFunctionTypes = new Set(['function_declaration', 'generator_function_declaration', 'function_expression', 'function', 'generator_function', 'arrow_function', 'method_definition']);
export const pyFunctionTypes = new Set(['function_definition', 'lambda']);
export const jsClassTypes = new Set(['class_declaration', 'class', 'abstract_class_declaration']);
export const jsWrappers = new Set(['parenthesized_expression', 'as_expression', 'satisfies_expression', 'non_null_expression', 'type_assertion', 'await_expression']);

export type Decl =
  | { readonly kind: 'value'; readonly node?: SyntaxNode }
  | { readonly kind: 'function'; readonly node: SyntaxNode }
  | { readonly kind: 'class'; readonly node: SyntaxNode }
  | { readonly kind: 'import'; readonly binding: ImportBinding }
  | { readonly kind: 'param'; readonly fn: SyntaxNode }
  | { readonly kind: 'opaque' };

/** Per-source indexes, built once per search. */
export class SourceIndex {
  readonly byNode = new Map<number, FunctionInfo>();
  /** Scope node id -> name -> declarations. The module's scope is the root's id. */
  readonly scopes = new Map<number, Map<string, Decl[]>>();
  /** JavaScript `x = value` assignments by name (the declaring scope filters them). */
  readonly assignments = new Map<string, SyntaxNode[]>();
  /** `this.x = value` / `self.x = value` by class node id, then field name. */
  readonly fieldAssignments = new Map<number, Map<string, SyntaxNode[]>>();
  exportTable?: ExportTable;

  constructor(readonly source: ParsedSource) {
    for (const fn of source.functions) this.byNode.set(fn.node.id, fn);
    if (source.family === 'python') this.indexPython();
    else this.indexJavaScript();
    const root = source.tree.rootNode.id;
    for (const binding of source.imports) this.declare(root, binding.local, { kind: 'import', binding });
  }

  declare(scope: number, name: string, decl: Decl): void {
    let names = this.scopes.get(scope);
    if (!names) this.scopes.set(scope, (names = new Map()));
    const list = names.get(name);
    if (list) list.push(decl);
    else names.set(name, [decl]);
  }

  private fieldAssigned(classNode: SyntaxNode | undefined, name: string, value: SyntaxNode): void {
    if (!classNode) return;
    let fields = this.fieldAssignments.get(classNode.id);
    if (!fields) this.fieldAssignments.set(classNode.id, (fields = new Map()));
    const list = fields.get(name);
    if (list) list.push(value);
    else fields.set(name, [value]);
  }

  private indexJavaScript(): void {
    const root = this.source.tree.rootNode;
    const visit = (node: SyntaxNode, scope: number, classNode: SyntaxNode | undefined): void => {
      let inner = scope;
      let innerClass = classNode;
      if (jsFunctionTypes.has(node.type)) {
        inner = node.id;
        // `this` stays the class's in methods and arrows; a plain function has its own.
        if (node.type === 'function_declaration' || node.type === 'function_expression' || node.type === 'function') innerClass = undefined;
        const name = field(node, 'name');
        if (name && (node.type === 'function_declaration' || node.type === 'generator_function_declaration')) this.declare(scope, name.text, { kind: 'function', node });
        const params = field(node, 'parameters') ?? field(node, 'parameter');
        if (params) for (const id of identifiersIn(params)) this.declare(inner, id, { kind: 'opaque' });
      } else if (jsClassTypes.has(node.type)) {
        innerClass = node;
        const name = field(node, 'name');
        if (name && node.type !== 'class') this.declare(scope, name.text, { kind: 'class', node });
      } else if (node.type === 'variable_declarator') {
        const name = field(node, 'name');
        const value = field(node, 'value');
        if (name?.type === 'identifier') this.declare(scope, name.text, value ? { kind: 'value', node: value } : { kind: 'value' });
        else if (name && !isRequire(value)) for (const id of identifiersIn(name)) this.declare(scope, id, { kind: 'opaque' });
      } else if (node.type === 'assignment_expression') {
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (left?.type === 'identifier' && right) {
          const list = this.assignments.get(left.text);
          if (list) list.push(right);
          else this.assignments.set(left.text, [right]);
        } else if (left?.type === 'member_expression' && right && field(left, 'object')?.type === 'this') {
          const prop = field(left, 'property');
          if (prop) this.fieldAssigned(classNode, prop.text, right);
        }
      } else if (node.type === 'catch_clause') {
        const param = field(node, 'parameter');
        if (param) for (const id of identifiersIn(param)) this.declare(node.id, id, { kind: 'opaque' });
      }
      for (const child of childrenOf(node)) visit(child, inner, innerClass);
    };
    visit(root, root.id, undefined);
  }

  private indexPython(): void {
    const root = this.source.tree.rootNode;
    const visit = (node: SyntaxNode, scope: number, classNode: SyntaxNode | undefined, method: boolean): void => {
      let inner = scope;
      let innerClass = classNode;
      let innerMethod = method;
      if (node.type === 'function_definition') {
        const name = field(node, 'name');
        if (name) this.declare(scope, name.text, { kind: 'function', node });
        inner = node.id;
        innerMethod = !!classNode && isDirectMember(node, classNode);
        if (!innerMethod) innerClass = undefined;
        const params = field(node, 'parameters');
        if (params) {
          for (const p of codeChildrenOf(params)) {
            const id = p.type === 'identifier' ? p.text : field(p, 'name')?.text ?? codeChildrenOf(p).find((c) => c.type === 'identifier')?.text;
            if (id) this.declare(inner, id, { kind: 'param', fn: node });
          }
        }
      } else if (node.type === 'lambda') {
        inner = node.id;
      } else if (node.type === 'class_definition') {
        const name = field(node, 'name');
        if (name) this.declare(scope, name.text, { kind: 'class', node });
        inner = node.id;
        innerClass = node;
      } else if (node.type === 'assignment') {
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (left?.type === 'identifier') this.declare(scope, left.text, right ? { kind: 'value', node: right } : { kind: 'opaque' });
        else if (left?.type === 'attribute' && right && method && field(left, 'object')?.text === 'self') {
          const attr = field(left, 'attribute');
          if (attr) this.fieldAssigned(classNode, attr.text, right);
        } else if (left) for (const id of identifiersIn(left)) if (left.type !== 'attribute' && left.type !== 'subscript') this.declare(scope, id, { kind: 'opaque' });
      } else if (node.type === 'for_statement' || node.type === 'for_in_clause') {
        const left = field(node, 'left');
        if (left) for (const id of identifiersIn(left)) this.declare(scope, id, { kind: 'opaque' });
      } else if (node.type === 'as_pattern_target' || node.type === 'except_clause') {
        for (const id of node.type === 'as_pattern_target' ? identifiersIn(node) : []) this.declare(scope, id, { kind: 'opaque' });
      }
      for (const child of childrenOf(node)) visit(child, inner, innerClass, innerMethod);
    };
    visit(root, root.id, undefined, false);
  }
}

/** `def f` directly in the class body (possibly decorated): a method. */
function isDirectMember(fn: SyntaxNode, classNode: SyntaxNode): boolean {
  let p = fn.parent;
  if (p?.type === 'decorated_definition') p = p.parent;
  return p?.parent?.id === classNode.id;
}

function isRequire(node: SyntaxNode | undefined): boolean {
  return node?.type === 'call_expression' && field(node, 'function')?.text === 'require';
}

/** Identifiers bound by a pattern or a parameter list. */
function identifiersIn(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (const n of walk(node)) {
    if (n.type === 'identifier' || n.type === 'shorthand_property_identifier_pattern') {
      // Default values are expressions, not bindings.
      const parent = n.parent;
      if (parent && (parent.type === 'assignment_pattern' || parent.type === 'default_parameter' || parent.type === 'typed_default_parameter') && field(parent, 'value')?.id === n.id) continue;
      if (parent?.type === 'pair_pattern' && field(parent, 'key')?.id === n.id) continue;
      out.push(n.text);
    }
  }
  return out;
}

export interface ExportTable {
  readonly named: Map<string, { readonly value?: SyntaxNode; readonly local?: string; readonly from?: { readonly module: string; readonly name: string } }[]>;
  /** `export * from './m'`. */
  readonly stars: string[];
  /** `module.exports = X` and `export default X`: also where CommonJS named members are looked up. */
  readonly defaults: SyntaxNode[];
}

/** A JavaScript module's exports, ES and CommonJS, read from its top-level statements. */
export function jsExportTable(root: SyntaxNode): ExportTable {
  const table: ExportTable = { named: new Map(), stars: [], defaults: [] };
  const add = (name: string, entry: { value?: SyntaxNode; local?: string; from?: { module: string; name: string } }) => {
    const list = table.named.get(name);
    if (list) list.push(entry);
    else table.named.set(name, [entry]);
  };
  for (const statement of codeChildrenOf(root)) {
    if (statement.type === 'export_statement') {
      const source = field(statement, 'source');
      const from = source ? source.text.slice(1, -1) : undefined;
      const declaration = field(statement, 'declaration');
      const value = field(statement, 'value');
      const isDefault = childrenOf(statement).some((c) => c.type === 'default');
      const clause = childrenOf(statement).find((c) => c.type === 'export_clause');
      const namespace = childrenOf(statement).find((c) => c.type === 'namespace_export');
      if (declaration) {
        if (declaration.type === 'lexical_declaration' || declaration.type === 'variable_declaration') {
          for (const d of codeChildrenOf(declaration)) {
            const name = field(d, 'name');
            const init = field(d, 'value');
            if (d.type === 'variable_declarator' && name?.type === 'identifier') add(name.text, init ? { value: init } : { local: name.text });
          }
        } else {
          const name = field(declaration, 'name')?.text;
          if (name) add(name, { value: declaration });
          if (isDefault) table.defaults.push(declaration);
        }
      } else if (value && isDefault) {
        table.defaults.push(value);
      } else if (clause) {
        for (const spec of codeChildrenOf(clause)) {
          const name = field(spec, 'name')?.text;
          const alias = field(spec, 'alias')?.text ?? name;
          if (!name || !alias) continue;
          add(alias, from ? { from: { module: from, name } } : { local: name });
        }
      } else if (namespace && from) {
        const name = codeChildrenOf(namespace)[0]?.text;
        if (name) add(name, { from: { module: from, name: '*' } });
      } else if (from) {
        table.stars.push(from);
      }
    } else if (statement.type === 'expression_statement') {
      let expr: SyntaxNode | undefined = codeChildrenOf(statement)[0];
      // `exports = module.exports = X`: every target of a chain gets X.
      const targets: SyntaxNode[] = [];
      while (expr?.type === 'assignment_expression') {
        const left = field(expr, 'left');
        if (left) targets.push(left);
        expr = field(expr, 'right');
      }
      if (!expr) continue;
      for (const left of targets) {
        const parts = left.text.split('.').map((p) => p.trim());
        if ((parts.length === 2 && parts[0] === 'module' && parts[1] === 'exports') || (parts.length === 1 && parts[0] === 'exports')) table.defaults.push(expr);
        else if (parts.length === 3 && parts[0] === 'module' && parts[1] === 'exports') add(parts[2], { value: expr });
        else if (parts.length === 2 && parts[0] === 'exports') add(parts[1], { value: expr });
      }
    }
  }
  return table;
}


export function isFixture(fn: SyntaxNode): boolean {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : undefined;
  return !!decorated && childrenOf(decorated).some((c) => c.type === 'decorator' && /\bfixture\b/.test(c.text));
}

export function isInClassBodyDirectly(at: SyntaxNode, classNode: SyntaxNode): boolean {
  for (let p = at.parent; p; p = p.parent) {
    if (p.id === classNode.id) return true;
    if (pyFunctionTypes.has(p.type)) return false;
  }
  return false;
}

export function enclosingPythonClass(node: SyntaxNode): SyntaxNode | undefined {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'function_definition') {
      const cls = p.parent?.type === 'decorated_definition' ? p.parent.parent?.parent : p.parent?.parent;
      return cls?.type === 'class_definition' ? cls : undefined;
    }
  }
  return undefined;
}

export function enclosingJsClass(node: SyntaxNode): SyntaxNode | undefined {
  for (let p = node.parent; p; p = p.parent) {
    if (jsClassTypes.has(p.type)) return p;
    if (p.type === 'function_declaration' || p.type === 'function_expression' || p.type === 'function') return undefined;
  }
  return undefined;
}

/** The class whose body holds a method directly. */
export function classOfFunction(fn: SyntaxNode): SyntaxNode | undefined {
  let p = fn.parent;
  if (p?.type === 'decorated_definition') p = p.parent;
  // JavaScript: method_definition / field in class_body; Python: function_definition in block.
  if (p?.type === 'class_body' || p?.type === 'block') p = p.parent;
  else if (p?.type === 'public_field_definition' || p?.type === 'field_definition') p = p.parent?.parent ?? null;
  if (p && (jsClassTypes.has(p.type) || p.type === 'class_definition')) return p;
  return undefined;
}

export function superclassNodes(classNode: SyntaxNode, family: LanguageFamily): SyntaxNode[] {
  if (family === 'python') {
    const args = field(classNode, 'superclasses');
    return args ? codeChildrenOf(args).filter((a) => a.type !== 'keyword_argument') : [];
  }
  const heritage = childrenOf(classNode).find((c) => c.type === 'class_heritage');
  if (!heritage) return [];
  const extendsClause = childrenOf(heritage).find((c) => c.type === 'extends_clause');
  if (extendsClause) {
    const value = field(extendsClause, 'value');
    return value ? [value] : [];
  }
  return codeChildrenOf(heritage).slice(0, 1);
}

export function propertyName(node: SyntaxNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') return node.text.slice(1, -1);
  return node.text;
}

export function stringArgument(call: SyntaxNode): string | undefined {
  const args = field(call, 'arguments');
  const first = args ? codeChildrenOf(args)[0] : undefined;
  return first?.type === 'string' ? first.text.slice(1, -1) : undefined;
}
