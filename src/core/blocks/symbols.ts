// What a name, a member or a call in a source refers to, across the workspace's modules: enough
// to follow a failing test into the code under test when its stack does not. It reads syntax
// trees only (no type checker): imports and re-exports (ES modules, CommonJS, Python packages and
// their __init__.py), classes with their methods and superclasses, instances made with `new C()`
// or `C()`, object literals and their members, functions returned by factories, bound methods,
// pytest fixtures, and local variables. What it cannot tell (a parameter, a value from a library)
// resolves to nothing rather than to a guess; callers decide what to do with names alone.

import { dirname, join } from 'node:path';
import type { FunctionInfo } from './functionFinder';
import type { ImportBinding } from './imports';
import type { ModuleResolver } from './moduleResolution';
import type { ParsedSource } from './parsedSources';
import {
  classOfFunction,
  enclosingJsClass,
  enclosingPythonClass,
  isFixture,
  isInClassBodyDirectly,
  jsClassTypes,
  jsExportTable,
  jsFunctionTypes,
  jsWrappers,
  propertyName,
  pyFunctionTypes,
  SourceIndex,
  stringArgument,
  superclassNodes,
  type Decl,
} from './sourceIndex';
import { codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';

export type { ParsedSource } from './parsedSources';

/** Loads a workspace source by path (undefined: absent, foreign, or a language without a grammar). */
export type SourceLoader = (file: string) => Promise<ParsedSource | undefined>;

export type Entity =
  | { readonly kind: 'function'; readonly source: ParsedSource; readonly fn: FunctionInfo }
  | { readonly kind: 'class'; readonly source: ParsedSource; readonly node: SyntaxNode }
  | { readonly kind: 'instance'; readonly source: ParsedSource; readonly node: SyntaxNode }
  | { readonly kind: 'module'; readonly source: ParsedSource }
  | { readonly kind: 'object'; readonly source: ParsedSource; readonly node: SyntaxNode };

/**
 * How many steps one question may take (each name, import, export and member is a step or two).
 * Real chains stay far below it; import cycles are cut by the in-progress set, not by this.
 */
const maxDepth = 80;

export interface ResolveOptions {
  /** Files that are not sources under test (tests, conftest.py): never part of an answer's functions. */
  readonly isTestFile: (file: string) => boolean;
  readonly roots: readonly string[];
}

/**
 * Answers "what does this refer to" for nodes of parsed sources. One instance per search: it
 * caches indexes and answers, and guards against import cycles and deep chains.
 */
export class SymbolResolver {
  private readonly indexes = new Map<string, SourceIndex>();
  private readonly values = new Map<string, Promise<Entity[]>>();
  private readonly active = new Set<string>();

  constructor(
    private readonly load: SourceLoader,
    private readonly modules: ModuleResolver,
    private readonly options: ResolveOptions,
  ) {}

  index(source: ParsedSource): SourceIndex {
    let index = this.indexes.get(source.file);
    if (!index) this.indexes.set(source.file, (index = new SourceIndex(source)));
    return index;
  }

  /** The function a function node is, when the function finder lists it. */
  functionAt(source: ParsedSource, node: SyntaxNode): FunctionInfo | undefined {
    return this.index(source).byNode.get(node.id);
  }

  /** The module a specifier names, as imported from `from`. */
  async module(specifier: string, from: ParsedSource): Promise<ParsedSource | undefined> {
    for (const candidate of await this.modules.candidates(specifier, from.file, from.family)) {
      const source = await this.load(candidate);
      if (source) return source;
    }
    return undefined;
  }

  /** What `node` (an expression) evaluates to, as far as the code says. */
  async valueOf(node: SyntaxNode, source: ParsedSource, depth = 0): Promise<Entity[]> {
    const key = `${source.file}\0${node.id}`;
    if (depth > maxDepth || this.active.has(key)) return [];
    let cached = this.values.get(key);
    if (!cached) {
      this.active.add(key);
      cached = this.evaluate(node, source, depth).finally(() => this.active.delete(key));
      this.values.set(key, cached);
    }
    return cached;
  }

  private async evaluate(node: SyntaxNode, source: ParsedSource, depth: number): Promise<Entity[]> {
    const python = source.family === 'python';
    if (!python && jsWrappers.has(node.type)) {
      const inner = codeChildrenOf(node)[0];
      return inner ? this.valueOf(inner, source, depth + 1) : [];
    }
    if (python && (node.type === 'parenthesized_expression' || node.type === 'await')) {
      const inner = codeChildrenOf(node)[0];
      return inner ? this.valueOf(inner, source, depth + 1) : [];
    }
    const fn = this.functionAt(source, node);
    if (fn) return [{ kind: 'function', source, fn }];
    switch (node.type) {
      case 'identifier':
      case 'shorthand_property_identifier':
        if (python && (node.text === 'self' || node.text === 'cls')) {
          const cls = enclosingPythonClass(node);
          if (cls) return [{ kind: node.text === 'self' ? 'instance' : 'class', source, node: cls }];
        }
        return this.lookup(node.text, node, source, depth + 1);
      case 'this': {
        const cls = enclosingJsClass(node);
        return cls ? [{ kind: 'instance', source, node: cls }] : [];
      }
      case 'class':
      case 'class_declaration':
      case 'abstract_class_declaration':
      case 'class_definition':
        return [{ kind: 'class', source, node }];
      case 'object':
        return [{ kind: 'object', source, node }];
      case 'member_expression':
      case 'attribute': {
        // `import a.b.c` binds the dotted name: `a.b.c.f()` reads it whole.
        if (python) {
          const dotted = this.index(source).scopes.get(source.tree.rootNode.id)?.get(node.text);
          if (dotted) return this.declsValue(dotted, node.text, source.tree.rootNode, source, depth + 1);
        }
        const object = field(node, 'object');
        const prop = field(node, python ? 'attribute' : 'property');
        if (!object || !prop) return [];
        const out: Entity[] = [];
        for (const entity of await this.valueOf(object, source, depth + 1)) out.push(...(await this.member(entity, prop.text, depth + 1)));
        return out;
      }
      case 'call_expression':
      case 'call': {
        const callee = field(node, 'function');
        if (!callee) return [];
        if (!python && callee.text === 'require') {
          const spec = stringArgument(node);
          const module = spec === undefined ? undefined : await this.module(spec, source);
          return module ? [{ kind: 'module', source: module }] : [];
        }
        // `obj.method.bind(obj)` is the method; `.call` and `.apply` call it.
        if (!python && callee.type === 'member_expression' && field(callee, 'property')?.text === 'bind') {
          const object = field(callee, 'object');
          return object ? (await this.valueOf(object, source, depth + 1)).filter((e) => e.kind === 'function') : [];
        }
        const out: Entity[] = [];
        for (const entity of await this.valueOf(callee, source, depth + 1)) {
          if (entity.kind === 'class') out.push({ kind: 'instance', source: entity.source, node: entity.node });
          else if (entity.kind === 'function') out.push(...(await this.returnsOf(entity, depth + 1)));
        }
        return out;
      }
      case 'new_expression': {
        const ctor = field(node, 'constructor');
        if (!ctor) return [];
        return (await this.valueOf(ctor, source, depth + 1)).filter((e) => e.kind === 'class').map((e) => ({ kind: 'instance' as const, source: e.source, node: e.node }));
      }
      default:
        return [];
    }
  }

  /** What a name means at `at`: the innermost scope that declares it, then the module, then star imports. */
  async lookup(name: string, at: SyntaxNode, source: ParsedSource, depth: number): Promise<Entity[]> {
    const index = this.index(source);
    const python = source.family === 'python';
    for (const scope of scopesAround(at, python)) {
      // A method does not see its class body's names.
      if (python && scope.type === 'class_definition' && !isInClassBodyDirectly(at, scope)) continue;
      const decls = index.scopes.get(scope.id)?.get(name);
      if (decls) return this.declsValue(decls, name, scope, source, depth);
    }
    if (python) {
      // `from m import *`
      const out: Entity[] = [];
      for (const binding of source.imports.filter((b) => b.local === '*')) {
        const module = await this.module(binding.module, source);
        if (module && module !== source) out.push(...(await this.exported(module, name, depth + 1)));
      }
      return out;
    }
    return [];
  }

  /** The expressions a local name was given (its initializer and assignments), in the scope that declares it. */
  valueNodes(name: string, at: SyntaxNode, source: ParsedSource): SyntaxNode[] {
    const index = this.index(source);
    const python = source.family === 'python';
    for (const scope of scopesAround(at, python)) {
      const decls = index.scopes.get(scope.id)?.get(name);
      if (decls) return decls.flatMap((d) => (d.kind === 'value' && d.node ? [d.node] : []));
    }
    return [];
  }

  private async declsValue(decls: readonly Decl[], name: string, scope: SyntaxNode, source: ParsedSource, depth: number): Promise<Entity[]> {
    const out: Entity[] = [];
    // The later binding first: at run time (the test runs after the module ran) it is the one in effect.
    for (const decl of [...decls].reverse()) {
      switch (decl.kind) {
        case 'function': {
          const fn = this.functionAt(source, decl.node);
          if (fn) out.push({ kind: 'function', source, fn });
          break;
        }
        case 'class':
          out.push({ kind: 'class', source, node: decl.node });
          break;
        case 'value':
          if (decl.node) out.push(...(await this.valueOf(decl.node, source, depth + 1)));
          if (source.family !== 'python') {
            // `let parser; beforeEach(() => { parser = new Parser(); })`
            for (const value of this.index(source).assignments.get(name) ?? []) {
              if (value.startIndex >= scope.startIndex && value.endIndex <= scope.endIndex) out.push(...(await this.valueOf(value, source, depth + 1)));
            }
          }
          break;
        case 'import':
          out.push(...(await this.imported(decl.binding, source, depth + 1)));
          break;
        case 'param':
          out.push(...(await this.fixture(name, decl.fn, source, depth + 1)));
          break;
        case 'opaque':
          break;
      }
    }
    return dedupe(out);
  }

  /** What an import binding brings in. */
  async imported(binding: ImportBinding, source: ParsedSource, depth: number): Promise<Entity[]> {
    if (binding.imported === '*') {
      const module = await this.module(binding.module, source);
      return module ? [{ kind: 'module', source: module }] : [];
    }
    const out: Entity[] = [];
    const module = await this.module(binding.module, source);
    if (module && module !== source) out.push(...(await this.exported(module, binding.imported, depth + 1)));
    if (source.family === 'python' && !out.length) {
      // `from pkg import module`
      const sub = binding.module.endsWith('.') ? binding.module + binding.imported : `${binding.module}.${binding.imported}`;
      const submodule = await this.module(sub, source);
      if (submodule) out.push({ kind: 'module', source: submodule });
    }
    return out;
  }

  /** What a module exports under `name` (`default` for a default export or `module.exports`). */
  async exported(module: ParsedSource, name: string, depth: number): Promise<Entity[]> {
    const key = `export\0${module.file}\0${name}`;
    if (depth > maxDepth || this.active.has(key)) return [];
    this.active.add(key);
    try {
      return dedupe(module.family === 'python' ? await this.pythonExport(module, name, depth) : await this.jsExport(module, name, depth));
    } finally {
      this.active.delete(key);
    }
  }

  private async pythonExport(module: ParsedSource, name: string, depth: number): Promise<Entity[]> {
    const root = module.tree.rootNode;
    const decls = this.index(module).scopes.get(root.id)?.get(name);
    if (decls) {
      const found = await this.declsValue(decls, name, root, module, depth + 1);
      if (found.length) return found;
    }
    const star = await this.lookup(name, root, module, depth + 1);
    if (star.length) return star;
    // A package's submodule: `from pkg import mod`, `pkg.mod.f()`.
    if (module.file.endsWith('__init__.py')) {
      const dir = dirname(module.file);
      for (const file of [join(dir, `${name}.py`), join(dir, name, '__init__.py')]) {
        const sub = await this.load(file);
        if (sub) return [{ kind: 'module', source: sub }];
      }
    }
    return [];
  }

  private async jsExport(module: ParsedSource, name: string, depth: number): Promise<Entity[]> {
    const index = this.index(module);
    const table = (index.exportTable ??= jsExportTable(module.tree.rootNode));
    const root = module.tree.rootNode;
    const out: Entity[] = [];
    if (name === 'default') {
      for (const value of table.defaults) out.push(...(await this.valueOf(value, module, depth + 1)));
    }
    for (const entry of table.named.get(name) ?? []) {
      if (entry.value) out.push(...(await this.valueOf(entry.value, module, depth + 1)));
      else if (entry.local) out.push(...(await this.lookup(entry.local, root, module, depth + 1)));
      else if (entry.from) {
        const from = await this.module(entry.from.module, module);
        if (from && from !== module) out.push(...(entry.from.name === '*' ? [{ kind: 'module' as const, source: from }] : await this.exported(from, entry.from.name, depth + 1)));
      }
    }
    if (out.length) return out;
    for (const star of table.stars) {
      const from = await this.module(star, module);
      if (from && from !== module) out.push(...(await this.exported(from, name, depth + 1)));
    }
    if (out.length || name === 'default') return out;
    // CommonJS: `module.exports = { name }`, `module.exports = new Thing()`.
    for (const value of table.defaults) {
      for (const entity of await this.valueOf(value, module, depth + 1)) out.push(...(await this.member(entity, name, depth + 1)));
    }
    if (out.length) return out;
    // What the function finder names by its export (`exports.f = function () {}` and kin).
    return module.functions.filter((f) => f.topLevel && !f.className && (f.qualifiedName === name || f.aliases.includes(name))).map((fn) => ({ kind: 'function' as const, source: module, fn }));
  }

  /** `entity.name`. */
  async member(entity: Entity, name: string, depth: number): Promise<Entity[]> {
    if (depth > maxDepth) return [];
    switch (entity.kind) {
      case 'module':
        return this.exported(entity.source, name, depth + 1);
      case 'class':
      case 'instance':
        return this.classMember(entity.source, entity.node, name, entity.kind === 'instance', depth + 1, new Set());
      case 'object':
        return this.objectMember(entity.source, entity.node, name, depth + 1);
      case 'function':
        return name === 'call' || name === 'apply' || name === 'bind' ? [entity] : [];
    }
  }

  /** A method (or, on an instance, a field assigned in the class) by name, through the superclasses. */
  private async classMember(source: ParsedSource, classNode: SyntaxNode, name: string, instance: boolean, depth: number, seen: Set<string>): Promise<Entity[]> {
    const key = `${source.file}\0${classNode.id}`;
    if (seen.has(key) || depth > maxDepth) return [];
    seen.add(key);
    const methods = source.functions.filter((f) => f.name === name && classOfFunction(f.node)?.id === classNode.id);
    if (methods.length) return methods.map((fn) => ({ kind: 'function' as const, source, fn }));
    if (instance) {
      const assigned = this.index(source).fieldAssignments.get(classNode.id)?.get(name) ?? [];
      const out: Entity[] = [];
      for (const value of assigned) out.push(...(await this.valueOf(value, source, depth + 1)));
      if (out.length) return out;
    }
    const out: Entity[] = [];
    for (const base of superclassNodes(classNode, source.family)) {
      for (const parent of await this.valueOf(base, source, depth + 1)) {
        if (parent.kind === 'class') out.push(...(await this.classMember(parent.source, parent.node, name, instance, depth + 1, seen)));
      }
    }
    return out;
  }

  private async objectMember(source: ParsedSource, object: SyntaxNode, name: string, depth: number): Promise<Entity[]> {
    for (const member of codeChildrenOf(object)) {
      if (member.type === 'pair' && propertyName(field(member, 'key')) === name) {
        const value = field(member, 'value');
        return value ? this.valueOf(value, source, depth + 1) : [];
      }
      if (member.type === 'method_definition' && propertyName(field(member, 'name')) === name) {
        const fn = this.functionAt(source, member);
        return fn ? [{ kind: 'function', source, fn }] : [];
      }
      if (member.type === 'shorthand_property_identifier' && member.text === name) return this.lookup(name, member, source, depth + 1);
    }
    return [];
  }

  /** What a factory returns: the values of its own `return` statements (and `yield`, for pytest fixtures). */
  async returnsOf(entity: Extract<Entity, { kind: 'function' }>, depth: number): Promise<Entity[]> {
    const { source, fn } = entity;
    if (depth > maxDepth) return [];
    const python = source.family === 'python';
    const out: Entity[] = [];
    const body = fn.body;
    // An expression-bodied arrow returns its body.
    if (!python && body.type !== 'statement_block') return this.valueOf(body, source, depth + 1);
    if (python && fn.node.type === 'lambda') return this.valueOf(body, source, depth + 1);
    for (const node of walk(body, (n) => n.id === body.id || !(python ? pyFunctionTypes : jsFunctionTypes).has(n.type) && !(python ? n.type === 'class_definition' : jsClassTypes.has(n.type)))) {
      if (node.type === 'return_statement' || (python && node.type === 'yield')) {
        const value = codeChildrenOf(node)[0];
        if (value) out.push(...(await this.valueOf(value, source, depth + 1)));
      }
    }
    return dedupe(out);
  }

  /** A pytest fixture a test function's parameter names: in the test's file or a conftest.py above it. */
  private async fixture(name: string, fn: SyntaxNode, source: ParsedSource, depth: number): Promise<Entity[]> {
    if (source.family !== 'python' || name === 'self' || name === 'cls') return [];
    const files = [source.file];
    for (let dir = dirname(source.file); this.options.roots.some((r) => dir.startsWith(r)); dir = dirname(dir)) {
      files.push(join(dir, 'conftest.py'));
      if (dirname(dir) === dir) break;
    }
    for (const file of files) {
      const holder = file === source.file ? source : await this.load(file);
      if (!holder) continue;
      const fixture = holder.functions.find((f) => f.name === name && f.node.id !== fn.id && isFixture(f.node));
      if (fixture) return this.returnsOf({ kind: 'function', source: holder, fn: fixture }, depth + 1);
    }
    return [];
  }
}

/** The scopes that hold `at`, innermost first: functions, Python classes, JavaScript catch clauses, the module. */
function* scopesAround(at: SyntaxNode, python: boolean): Generator<SyntaxNode> {
  for (let scope: SyntaxNode | null = at.parent ?? at; scope; scope = scope.parent) {
    if (scope.parent === null || (python ? pyFunctionTypes.has(scope.type) || scope.type === 'class_definition' : jsFunctionTypes.has(scope.type) || scope.type === 'catch_clause')) yield scope;
  }
}

function entityKey(e: Entity): string {
  return `${e.kind}\0${e.source.file}\0${e.kind === 'function' ? e.fn.node.id : e.kind === 'module' ? '' : e.node.id}`;
}

function dedupe(entities: readonly Entity[]): Entity[] {
  const seen = new Set<string>();
  return entities.filter((e) => {
    const key = entityKey(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
