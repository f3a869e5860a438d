// Which function to debug for a failing test. The innermost stack frame in a workspace source
// that is not a test file names it. When the failure is an assertion in the test itself, with no
// frame in the code under test, the functions the test calls are the candidates, followed through
// imports and re-exports, classes, instances and object members (symbols.ts), then into what those
// functions call, a few levels deep. The answer comes with a confidence: when it is not high, a
// traced run (`rankByRun`) or the user (a "choose the function" pick) settles it.

import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import type { StackFrame } from '../failures/stackFrames';
import { findFunctionAtLine, listFunctions, type FunctionInfo } from './functionFinder';
import { readImports } from './imports';
import { familyOf, languageForFile, type LanguageFamily, type SourceLanguage } from './languages';
import { isWithin, ModuleResolver } from './moduleResolution';
import { LineIndex, type SourceRange } from './positions';
import type { SourceFiles } from './sourceFiles';
import { SymbolResolver, type Entity, type ParsedSource } from './symbols';
import { codeChildrenOf, field, walk, type SourceParser, type SyntaxNode } from './syntaxNode';

/**
 * What is known about a failure: a `TestFailure` satisfies it. A bare file and line (a
 * diagnostic, a line the user picked) is a one-frame stack.
 */
export interface FailureLocation {
  /** Innermost first, as `parseStackFrames` returns them. */
  readonly stack?: readonly StackFrame[];
  /** The test's file, always treated as test code. */
  readonly file?: string;
  /** A line in the test: the failing one at best, its definition will do (0 when unknown). */
  readonly line?: number;
}

export interface Target {
  readonly file: string;
  readonly language: SourceLanguage;
  /** Qualified: `Cart.total`, `outer.inner`. */
  readonly functionName: string;
  readonly range: SourceRange;
}

export interface TargetCandidate extends Target {
  /**
   * stack-frame: a stack frame ran inside it; called-by-test: the failing test calls it;
   * reached-from-test: a function the test calls calls it (or hands it on), `via` says how;
   * ran-in-test: a traced run saw it run during the test, though nothing static led to it.
   */
  readonly reason: 'stack-frame' | 'called-by-test' | 'reached-from-test' | 'ran-in-test';
  /** The frame's line in `file`, or the line of the call in the test file. */
  readonly evidenceLine: number;
  /** How the test reaches it: `Parser.parse → camelcase`; with `(by name)` when only the method's name matched. */
  readonly via?: string;
}

/**
 * high: a stack frame names it. medium: the failing statement (or the nearest one that calls
 * into the workspace) calls exactly one function, or a traced run agrees. low: several are as
 * likely, or it was only reached by following calls: ask (the editor's "choose the function").
 */
export type TargetConfidence = 'high' | 'medium' | 'low';

export interface TargetSearch {
  /** Most likely first; empty when nothing in the workspace fits. */
  readonly candidates: readonly TargetCandidate[];
  readonly confidence: TargetConfidence;
}

export interface TargetFinderOptions {
  /** Workspace folders: only sources inside them are candidates. */
  readonly roots: readonly string[];
  /** Overrides the naming conventions that tell test files apart (test_*.py, *.test.ts, tests/, ...). */
  readonly isTestFile?: (file: string) => boolean;
}

/** Folders of installed or generated code, never the code under test. */
const foreignFolders = new Set(['node_modules', 'site-packages', 'dist-packages', '.venv', 'venv', '.tox', '__pypackages__', '.git']);
const testFolders = new Set(['test', 'tests', '__tests__', 'spec', 'testing']);
// node --test also runs *_test.js, test-*.js and test.js: those are test files too.
const testFileName = /^(test_.*\.py|.*_test\.py|conftest\.py|.*[._-](test|spec)\.[cm]?[jt]sx?|test(-.*)?\.[cm]?[jt]sx?)$/;

/** test_*.py, *_test.py, conftest.py, *.test.ts, *.spec.js, *_test.js, test-*.js, and anything under tests/ or __tests__/. */
export function isConventionalTestFile(file: string, roots: readonly string[]): boolean {
  const root = roots.find((r) => isWithin(file, r));
  const parts = (root ? relative(root, file) : file).split(/[\\/]/);
  const name = parts.pop() ?? '';
  return testFileName.test(name) || parts.some((p) => testFolders.has(p));
}

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

export class TargetFinder {
  private readonly roots: readonly string[];
  private readonly isTestFile: (file: string) => boolean;

  constructor(
    private readonly files: SourceFiles,
    private readonly parser: SourceParser,
    options: TargetFinderOptions,
  ) {
    const roots = options.roots.map((r) => normalize(r));
    this.roots = roots;
    this.isTestFile = options.isTestFile ?? ((file) => isConventionalTestFile(file, roots));
  }

  /** Candidates, most likely first; the first is the target. Empty when nothing in the workspace fits. */
  async find(failure: FailureLocation): Promise<TargetCandidate[]> {
    return [...(await this.search(failure)).candidates];
  }

  /** Candidates with how sure the finder is of the first one. */
  async search(failure: FailureLocation): Promise<TargetSearch> {
    const sources = new ParsedSources(this.files, this.parser, (file) => this.isWorkspaceSource(file));
    try {
      return await this.searchIn(failure, sources);
    } finally {
      sources.dispose();
    }
  }

  private async searchIn(failure: FailureLocation, sources: ParsedSources): Promise<TargetSearch> {
    const testFile = failure.file ? await this.locate(failure.file, sources) : undefined;
    const isTest = (file: string) => file === testFile?.file || this.isTestFile(file);
    const frames: { source: ParsedSource; line: number; function?: string }[] = [];
    for (const frame of failure.stack ?? []) {
      const source = await this.locate(frame.file, sources);
      if (source) frames.push({ source, line: frame.line, function: frame.function });
    }
    // A runner that reports only where the test failed still gives us a place to start.
    if (testFile && failure.line && !frames.some((f) => f.source === testFile)) frames.push({ source: testFile, line: failure.line });

    const found = new Candidates();
    for (const frame of frames) {
      if (isTest(frame.source.file)) continue;
      const fn = functionForFrame(frame.source.functions, frame.line, frame.function);
      if (fn) found.add(frame.source, fn, 'stack-frame', frame.line);
    }
    if (found.size) return { candidates: found.list(), confidence: 'high' };

    const inTest = frames.find((f) => isTest(f.source.file));
    if (!inTest) return { candidates: [], confidence: 'low' };
    const resolver = new SymbolResolver((file) => sources.get(file), new ModuleResolver(this.files, this.roots), { isTestFile: isTest, roots: this.roots });
    return new CallFollower(resolver, sources, isTest).follow(inTest.source, inTest.line);
  }

  /** The parsed source of a frame's file when it is a workspace source we have a grammar for. */
  private async locate(file: string, sources: ParsedSources): Promise<ParsedSource | undefined> {
    if (/^(node|internal|data|bun):|^<|^\[|^native /.test(file)) return undefined;
    const paths = isAbsolute(file) ? [normalize(file)] : this.roots.map((r) => join(r, file));
    for (const path of paths) {
      const source = await sources.get(path);
      if (source) return source;
    }
    return undefined;
  }

  private isWorkspaceSource(file: string): boolean {
    const root = this.roots.find((r) => isWithin(file, r));
    return !!root && !!languageForFile(file) && !relative(root, file).split(sep).some((p) => foreignFolders.has(p));
  }
}

/**
 * Re-ranks a search with what a traced run of the failing test saw: the candidates that ran keep
 * their order ahead of those that did not (they cannot be what failed this test); functions that
 * ran and were not found statically follow, the latest first. A first candidate that ran, with no
 * other candidate of its rank that ran, is trusted more.
 */
export function rankByRun(search: TargetSearch, ran: readonly RanFunction[], targetOf: (ran: RanFunction) => Target | undefined): TargetSearch {
  if (search.confidence === 'high' || ran.length === 0) return search;
  const key = (file: string, line: number) => `${file}\0${line}`;
  const ranAt = new Map(ran.map((r) => [key(r.file, r.line), r]));
  const didRun = (c: Target) => ranAt.has(key(c.file, c.range.start.line));
  const ranCandidates = search.candidates.filter(didRun);
  const others = search.candidates.filter((c) => !didRun(c));
  const known = new Set(search.candidates.map((c) => key(c.file, c.range.start.line)));
  const extra: TargetCandidate[] = [];
  for (const r of [...ran].sort((a, b) => b.lastOrder - a.lastOrder)) {
    if (known.has(key(r.file, r.line))) continue;
    const target = targetOf(r);
    if (target) extra.push({ ...target, reason: 'ran-in-test', evidenceLine: r.line });
  }
  const candidates = [...ranCandidates, ...extra, ...others];
  const first = candidates[0];
  // Sure enough when, of what the test's statement calls, only the first candidate ran (what it
  // reaches is followed from it).
  const rivals = ranCandidates.filter((c) => c !== first && c.reason === 'called-by-test' && c.evidenceLine === first?.evidenceLine && !/(^|\.)(constructor|__init__)$/.test(c.functionName));
  const confidence: TargetConfidence = first && didRun(first) && first.reason === 'called-by-test' && rivals.length === 0 ? 'medium' : 'low';
  return { candidates, confidence };
}

/** A workspace function a traced run of the test saw running (src/host/tracers/calledFunctions.ts). */
export interface RanFunction {
  readonly file: string;
  /** 1-based line of the function's definition (`def`, `function`, the method's name). */
  readonly line: number;
  /** As the runtime names it: `parse`, `Parser.parse` (Python's __qualname__). */
  readonly name: string;
  readonly calls: number;
  /** Larger is later: the order of its last call among all recorded calls (0 when unknown). */
  readonly lastOrder: number;
}

/** The function a frame ran in. The frame's own function name, when it gives one, picks among nested functions on the line. */
function functionForFrame(functions: readonly FunctionInfo[], line: number, frameFunction: string | undefined): FunctionInfo | undefined {
  const name = frameFunction?.split('.').pop();
  if (name && !name.startsWith('<')) {
    const named = functions.filter((f) => f.name === name && f.range.start.line <= line && line <= f.range.end.line);
    if (named.length) return named[named.length - 1];
  }
  return findFunctionAtLine(functions, line);
}

class Candidates {
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

class CallFollower {
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
function reExportSpecifiers(root: SyntaxNode): string[] {
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

// ---- parsed sources, kept for one search ----

class ParsedSources {
  private readonly parsed = new Map<string, Promise<ParsedSource | undefined>>();
  private readonly done: ParsedSource[] = [];

  constructor(
    private readonly files: SourceFiles,
    private readonly parser: SourceParser,
    private readonly isWorkspaceSource: (file: string) => boolean,
  ) {}

  get(file: string): Promise<ParsedSource | undefined> {
    const path = normalize(file);
    let entry = this.parsed.get(path);
    if (!entry) {
      entry = this.isWorkspaceSource(path) ? this.load(path) : Promise.resolve(undefined);
      this.parsed.set(path, entry);
    }
    return entry;
  }

  /** Every source parsed so far in this search. */
  loaded(): readonly ParsedSource[] {
    return this.done;
  }

  private async load(file: string): Promise<ParsedSource | undefined> {
    const language = languageForFile(file);
    const text = language ? await this.files.read(file) : undefined;
    if (!language || text === undefined) return undefined;
    const tree = await this.parser.parse(text, language);
    const lines = new LineIndex(text);
    const source: ParsedSource = {
      file,
      language,
      family: familyOf(language),
      tree,
      functions: listFunctions(tree.rootNode, language, lines),
      imports: readImports(tree.rootNode, language),
    };
    this.done.push(source);
    return source;
  }

  dispose(): void {
    for (const entry of this.parsed.values()) void entry.then((source) => source?.tree.delete(), () => undefined);
    this.parsed.clear();
  }
}
