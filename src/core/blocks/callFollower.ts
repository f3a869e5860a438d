// Following a failing test's calls into the workspace: from the failing statement (outer call
// before its arguments, then the nearest statements before it) through imports, classes,
// instances and object members (symbols.ts), then into what those functions call, a few levels
// deep. Used by TargetFinder when the stack holds no frame in the code under test.

import { findFunctionAtLine, type FunctionInfo } from './functionFinder';
import type { LanguageFamily } from './languages';
import type { ParsedSources } from './parsedSources';
import type { Entity, ParsedSource, SymbolResolver } from './symbols';
import { codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';
import type { TargetCandidate, TargetConfidence, TargetSearch } from './target';

/** How far calls are followed from the test's own calls, and how many candidates at most. */
const maxDepth = 3;
const maxCandidates = 40;
/**
 * Method names too common to look up by name alone (an unknown receiver's `.get()` is far more
 * likely a Map's than the workspace's): the builtins of arrays, maps, sets, strings, promises,
 * objects, Python's containers, and test doubles.
 */
const commonNames = new Set(
  (
    'get set has add delete clear push pop shift unshift map filter reduce forEach find findIndex some every includes indexOf join split slice splice concat sort reverse keys values entries ' +
    'then catch finally resolve reject toString valueOf toJSON call apply bind length size trim replace match test exec startsWith endsWith toLowerCase toUpperCase padStart padEnd ' +
    'append extend insert remove update items copy count index format encode decode strip lower upper read write close open send emit on off once next run start stop'
  ).split(' '),
);

export class Candidates {
  private readonly byKey = new Map<string, TargetCandidate & { depth: number; order: number }>();

  get size(): number {
    return this.byKey.size;
  }

  has(source: ParsedSource, fn: FunctionInfo): boolean {
    return this.byKey.has(`${source.file}\0${fn.node.startIndex}`);
  }

  add(source: ParsedSource, fn: FunctionInfo, reason: TargetCandidate['reason'], evidenceLine: number, via?: string, depth = 0): boolean {
    const key = `${source.file}\0${fn.node.startIndex}`;
    if (this.byKey.has(key)) return false;
    this.byKey.set(key, {
      file: source.file,
      language: source.language,
      functionName: fn.qualifiedName,
      range: fn.range,
      reason,
      evidenceLine,
      ...(via ? { via } : {}),
      depth,
      order: this.byKey.size,
    });
    return true;
  }

  list(): TargetCandidate[] {
    return [...this.byKey.values()].map(({ depth: _depth, order: _order, ...candidate }) => candidate);
  }
}

// ---- following the test's calls ----

interface Call {
  readonly node: SyntaxNode;
  readonly line: number;
  readonly statementStart: number;
  readonly statementEnd: number;
}

interface Found {
  readonly source: ParsedSource;
  readonly fn: FunctionInfo;
  /** Only the method's name matched (the receiver could not be resolved). */
  readonly byName: boolean;
}

const statementParents = new Set(['block', 'statement_block', 'module', 'program', 'switch_case', 'switch_default']);

export class CallFollower {
  private readonly found = new Candidates();
  /** Functions already followed into. */
  private readonly followed = new Set<string>();

  constructor(
    private readonly resolver: SymbolResolver,
    private readonly sources: ParsedSources,
    private readonly isTest: (file: string) => boolean,
  ) {}

  async follow(test: ParsedSource, line: number): Promise<TargetSearch> {
    await this.preload(test);
    const testFunction = findFunctionAtLine(test.functions, line, 'any');
    const scope = testFunction?.body ?? test.tree.rootNode;
    const calls = callsIn(scope, test.family);
    // The assertion failed in the test: rank what the test calls. Calls in the failing statement
    // come first (outermost call first: its result is what was asserted), then calls in earlier
    // statements, nearest first, then later ones.
    const rank = (call: Call) => {
      if (call.statementStart <= line && line <= call.statementEnd) return [0, 0];
      return call.statementEnd < line ? [1, line - call.statementEnd] : [2, call.statementStart - line];
    };
    const ordered = calls
      .map((call, order) => ({ call, order, rank: rank(call) }))
      .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.order - b.order);

    type Direct = { readonly found: Found; readonly call: Call; readonly statement: string };
    const direct: Direct[] = [];
    const handedOver: Found[] = [];
    for (const { call } of ordered) {
      for (const f of await this.callees(call.node, test)) direct.push({ found: f, call, statement: `${call.statementStart}` });
      // A function the test hands over (a plugin, a callback) runs inside what it is handed to.
      for (const f of await this.functionArguments(call.node, test)) handedOver.push(f);
    }
    // Calls the test file makes outside its tests (`enablePatches()` at the top) run too.
    if (testFunction) {
      for (const call of callsIn(test.tree.rootNode, test.family, (n) => !test.functions.some((f) => f.node.id === n.id))) {
        for (const f of await this.callees(call.node, test)) handedOver.push(f);
      }
    }

    // Thin wrappers (one statement that calls on) yield to what they call: the logic is there.
    const addDirect = async (f: Found, line: number, depth: number): Promise<void> => {
      if (depth < 2 && isThin(f.fn, f.source.family)) {
        for (const inner of await this.calleesOfFunction(f)) {
          if (!this.found.has(inner.source, inner.fn)) await addDirect(inner, line, depth + 1);
        }
      }
      this.found.add(f.source, f.fn, 'called-by-test', line, depth === 0 ? viaName(f) : `through a thin wrapper${f.byName ? ' (by name)' : ''}`, depth);
    };
    for (const d of direct) await addDirect(d.found, d.call.line, 0);

    // Breadth first into what they call; what the test handed over (a plugin, a setup call) comes
    // after what its calls reach at the first level.
    let frontier: { found: Found; via: string; line: number }[] = direct.map((d) => ({ found: d.found, via: d.found.fn.qualifiedName, line: d.call.line }));
    for (let depth = 1; depth <= maxDepth && frontier.length && this.found.size < maxCandidates; depth++) {
      const next: typeof frontier = [];
      const byName: typeof frontier = [];
      for (const item of frontier) {
        const key = `${item.found.source.file}\0${item.found.fn.node.id}`;
        if (this.followed.has(key)) continue;
        this.followed.add(key);
        for (const inner of await this.calleesOfFunction(item.found)) {
          const via = `${item.via} → ${inner.fn.qualifiedName}${inner.byName ? ' (by name)' : ''}`;
          (inner.byName ? byName : next).push({ found: inner, via, line: item.line });
        }
      }
      if (depth === 1) byName.push(...handedOver.map((f) => ({ found: f, via: `handed over by the test${f.byName ? ' (by name)' : ''}`, line: 0 })));
      // Resolved calls before calls matched by name alone, at each depth.
      for (const item of [...next, ...byName]) {
        if (this.found.size >= maxCandidates) break;
        this.found.add(item.found.source, item.found.fn, 'reached-from-test', item.line, item.via, depth);
      }
      frontier = [...next, ...byName];
    }

    const candidates = this.found.list();
    let confidence = confidenceOf(candidates, direct.map((d) => ({ key: `${d.found.source.file}\0${d.found.fn.range.start.line}`, statement: d.statement, byName: d.found.byName, constructor: isConstructor(d.found.fn) })));
    // `program.option(...); program.parse(...); assert(program.opts().x)`: what the failing call
    // reads was built by the calls before it, and any of them may be wrong.
    if (confidence === 'medium' && direct.length) {
      const failing = direct[0];
      const receiver = receiverText(failing.call.node, test.family);
      const earlier = calls.filter((c) => c.statementEnd < failing.call.statementStart && receiverText(c.node, test.family) === receiver);
      if (receiver && earlier.length) confidence = 'low';
    }
    return { candidates, confidence };
  }

  /**
   * The workspace functions a function calls in statements that end before `line` (a stack
   * frame's line), nearest first: they returned before the failure, with values it went on with.
   */
  async calledBefore(source: ParsedSource, fn: FunctionInfo, line: number): Promise<Found[]> {
    await this.preload(source);
    const calls = callsIn(fn.body, source.family)
      .filter((c) => c.statementEnd < line)
      .sort((a, b) => b.statementEnd - a.statementEnd || a.line - b.line);
    const out: Found[] = [];
    const seen = new Set<string>();
    for (const call of calls) {
      for (const inner of await this.callees(call.node, source)) {
        const key = `${inner.source.file}\0${inner.fn.node.id}`;
        if (seen.has(key) || (inner.source === source && inner.fn.node.id === fn.node.id)) continue;
        seen.add(key);
        out.push(inner);
      }
    }
    return out;
  }

  /** The workspace functions the statement at `line` calls (its arguments' calls included). */
  async calledInStatement(source: ParsedSource, line: number): Promise<Found[]> {
    await this.preload(source);
    const scope = findFunctionAtLine(source.functions, line, 'any')?.body ?? source.tree.rootNode;
    const out: Found[] = [];
    const seen = new Set<string>();
    for (const call of callsIn(scope, source.family).filter((c) => c.statementStart <= line && line <= c.statementEnd)) {
      for (const inner of await this.callees(call.node, source)) {
        const key = `${inner.source.file}\0${inner.fn.node.id}`;
        if (!seen.has(key)) out.push(inner);
        seen.add(key);
      }
    }
    return out;
  }

  /**
   * Loads the modules the test file imports, and theirs, breadth first (at most 60): the places a
   * method matched by name alone may come from.
   */
  private async preload(test: ParsedSource): Promise<void> {
    const queue: ParsedSource[] = [test];
    const seen = new Set([test.file]);
    while (queue.length && seen.size < 60) {
      const source = queue.shift()!;
      const specifiers = new Set(source.imports.map((b) => b.module));
      if (source.family !== 'python') for (const s of reExportSpecifiers(source.tree.rootNode)) specifiers.add(s);
      for (const specifier of specifiers) {
        const module = await this.resolver.module(specifier, source);
        if (module && !seen.has(module.file)) {
          seen.add(module.file);
          queue.push(module);
        }
      }
    }
  }

  /** The workspace functions a call runs: its callee resolved, or by the method's name when the receiver is unknown. */
  private async callees(call: SyntaxNode, source: ParsedSource): Promise<Found[]> {
    const python = source.family === 'python';
    const isNew = call.type === 'new_expression';
    const callee = field(call, isNew ? 'constructor' : 'function');
    if (!callee || (!python && callee.text === 'require')) return [];
    let target = callee;
    // `f.call(this, x)`, `f.apply(...)`: f runs.
    if (!python && callee.type === 'member_expression' && ['call', 'apply'].includes(field(callee, 'property')?.text ?? '')) target = field(callee, 'object') ?? callee;
    const entities = await this.resolver.valueOf(target, source);
    const out: Found[] = [];
    for (const e of entities) out.push(...(await this.runnable(e)));
    if (out.length || entities.length) return out;
    // `x.method()`, or `const impl = x.method; impl()`, with x unknown: the method by its name.
    let member = memberName(target, python);
    if (!member && target.type === 'identifier') {
      const values = this.resolver.valueNodes(target.text, target, source);
      if (values.length === 1) member = memberName(values[0], python);
    }
    if (member && !commonNames.has(member) && !member.startsWith('assert') && !member.startsWith('expect')) return this.byName(member);
    return [];
  }

  /** A function runs as is; a class runs its constructor; a CommonJS module called runs its `module.exports`. */
  private async runnable(e: Entity): Promise<Found[]> {
    if (e.kind === 'function') return this.isCode(e.source) ? [{ source: e.source, fn: e.fn, byName: false }] : [];
    if (e.kind === 'module' && e.source.family === 'javascript') {
      const out: Found[] = [];
      for (const d of await this.resolver.exported(e.source, 'default', 0)) if (d.kind === 'function' || d.kind === 'class') out.push(...(await this.runnable(d)));
      return out;
    }
    if (e.kind === 'class' && this.isCode(e.source)) {
      const ctor = e.source.functions.find((f) => (f.name === 'constructor' || f.name === '__init__') && classNodeOf(f) === e.node.id);
      return ctor ? [{ source: e.source, fn: ctor, byName: false }] : [];
    }
    return [];
  }

  private isCode(source: ParsedSource): boolean {
    return !this.isTest(source.file);
  }

  /** Functions passed as arguments: `program.use(plugin)`, `items.map(normalize)`. */
  private async functionArguments(call: SyntaxNode, source: ParsedSource): Promise<Found[]> {
    const args = field(call, 'arguments');
    if (!args) return [];
    const out: Found[] = [];
    for (const arg of codeChildrenOf(args)) {
      if (arg.type !== 'identifier' && arg.type !== 'member_expression' && arg.type !== 'attribute') continue;
      for (const e of await this.resolver.valueOf(arg, source)) if (e.kind === 'function') out.push(...(await this.runnable(e)));
    }
    return out;
  }

  /** What a function's own code calls (callbacks and nested functions included). */
  private async calleesOfFunction(f: Found): Promise<Found[]> {
    const out: Found[] = [];
    const seen = new Set<string>();
    for (const call of callsIn(f.fn.body, f.source.family)) {
      for (const inner of await this.callees(call.node, f.source)) {
        const key = `${inner.source.file}\0${inner.fn.node.id}`;
        if (seen.has(key) || (inner.source === f.source && inner.fn.node.id === f.fn.node.id)) continue;
        seen.add(key);
        out.push(inner);
      }
    }
    return out;
  }

  /** Methods and functions of the modules reached so far that carry this name; nothing when too many do. */
  private byName(name: string): Found[] {
    const out: Found[] = [];
    for (const source of this.sources.loaded()) {
      if (this.isTest(source.file)) continue;
      for (const fn of source.functions) if (!fn.anonymous && fn.name === name) out.push({ source, fn, byName: true });
    }
    return out.length <= 4 ? out : [];
  }
}

/** `program` of `program.parse(...)`, `ledger` of `ledger.deposit(5).deposit(10)`: the variable a method call works on. */
function receiverText(call: SyntaxNode, family: LanguageFamily): string | undefined {
  let callee = field(call, call.type === 'new_expression' ? 'constructor' : 'function');
  const member = family === 'python' ? 'attribute' : 'member_expression';
  const calls = family === 'python' ? ['call'] : ['call_expression', 'new_expression'];
  while (callee?.type === member) {
    const object: SyntaxNode | undefined = field(callee, 'object');
    if (!object) return undefined;
    if (object.type === 'identifier' || object.type === 'this' || (family === 'python' && object.type === 'attribute' && field(object, 'object')?.text === 'self')) return object.text;
    callee = calls.includes(object.type) ? field(object, 'function') : object;
  }
  return undefined;
}

function memberName(node: SyntaxNode, python: boolean): string | undefined {
  if (!python && node.type === 'member_expression') return field(node, 'property')?.text;
  if (python && node.type === 'attribute') return field(node, 'attribute')?.text;
  return undefined;
}

/** `export ... from './m'` specifiers of a JavaScript module. */
export function reExportSpecifiers(root: SyntaxNode): string[] {
  const out: string[] = [];
  for (const statement of codeChildrenOf(root)) {
    const source = statement.type === 'export_statement' ? field(statement, 'source') : undefined;
    if (source?.type === 'string') out.push(source.text.slice(1, -1));
  }
  return out;
}

function viaName(f: Found): string | undefined {
  return f.byName ? `${f.fn.qualifiedName} (by name)` : undefined;
}

function isConstructor(fn: FunctionInfo): boolean {
  return fn.name === 'constructor' || fn.name === '__init__';
}

function classNodeOf(fn: FunctionInfo): number | undefined {
  let p = fn.node.parent;
  if (p?.type === 'decorated_definition') p = p.parent;
  if (p?.type === 'class_body' || p?.type === 'block') p = p.parent;
  return p?.id;
}

/** One statement that calls on (`return impl(base, patches)`): the function adds no logic of its own. */
function isThin(fn: FunctionInfo, family: LanguageFamily): boolean {
  const body = fn.body;
  if (family === 'javascript' && body.type !== 'statement_block') return body.type === 'call_expression' || body.type === 'new_expression';
  const statements = codeChildrenOf(body).filter((s) => !(family === 'python' && s.type === 'expression_statement' && codeChildrenOf(s)[0]?.type === 'string'));
  if (statements.length !== 1) return false;
  const only = statements[0];
  const value = only.type === 'return_statement' || only.type === 'expression_statement' ? codeChildrenOf(only)[0] : undefined;
  const call = value?.type === 'await_expression' || value?.type === 'await' ? codeChildrenOf(value)[0] : value;
  return !!call && (call.type === 'call_expression' || call.type === 'call' || call.type === 'new_expression');
}

function confidenceOf(candidates: readonly TargetCandidate[], direct: readonly { key: string; statement: string; byName: boolean; constructor: boolean }[]): TargetConfidence {
  const first = candidates[0];
  if (!first || first.reason !== 'called-by-test') return 'low';
  // The calls of the first statement that reaches the workspace (direct is in rank order).
  const statement = direct[0]?.statement;
  const there = new Set(direct.filter((d) => d.statement === statement && !d.constructor).map((d) => d.key));
  const byName = direct.some((d) => d.statement === statement && d.byName);
  return there.size === 1 && !byName ? 'medium' : 'low';
}

/** Calls under `scope` in source order, outer calls before the calls in their arguments. */
function callsIn(scope: SyntaxNode, family: LanguageFamily, descend: (n: SyntaxNode) => boolean = () => true): Call[] {
  const calls: Call[] = [];
  const lines = (node: SyntaxNode) => {
    let statement = node;
    while (statement.parent && !statementParents.has(statement.parent.type) && statement.id !== scope.id) statement = statement.parent;
    return { start: statement.startPosition.row + 1, end: statement.endPosition.row + 1 };
  };
  for (const node of walk(scope, descend)) {
    const isCall = family === 'python' ? node.type === 'call' : node.type === 'call_expression' || node.type === 'new_expression';
    if (!isCall) continue;
    const { start, end } = lines(node);
    calls.push({ node, line: node.startPosition.row + 1, statementStart: start, statementEnd: end });
  }
  return calls;
}
