// Which function to debug for a failing test. The innermost stack frame in a workspace source
// that is not a test file names it; when the failure is an assertion in the test itself, with no
// frame in the code under test, the functions the test calls are the candidates, followed through
// the test file's imports.

import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import type { StackFrame } from '../failures/stackFrames';
import { findFunctionAtLine, listFunctions, type FunctionInfo } from './functionFinder';
import { readImports, type ImportBinding } from './imports';
import { familyOf, languageForFile, type LanguageFamily, type SourceLanguage } from './languages';
import { isWithin, moduleFileCandidates } from './moduleResolution';
import { LineIndex, type SourceRange } from './positions';
import type { SourceFiles } from './sourceFiles';
import { field, walk, type SourceParser, type SyntaxNode, type SyntaxTree } from './syntaxNode';

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
  /** A stack frame ran inside it, or the failing test calls it. */
  readonly reason: 'stack-frame' | 'called-by-test';
  /** The frame's line in `file`, or the line of the call in the test file. */
  readonly evidenceLine: number;
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

  /** Candidates, most specific first; the first is the target. Empty when nothing in the workspace fits. */
  async find(failure: FailureLocation): Promise<TargetCandidate[]> {
    const sources = new ParsedSources(this.files, this.parser);
    try {
      return await this.search(failure, sources);
    } finally {
      sources.dispose();
    }
  }

  private async search(failure: FailureLocation, sources: ParsedSources): Promise<TargetCandidate[]> {
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
    if (found.size) return found.list();

    const inTest = frames.find((f) => isTest(f.source.file));
    if (inTest) await this.addCalledFunctions(inTest.source, inTest.line, sources, found);
    return found.list();
  }

  /** The parsed source of a frame's file when it is a workspace source we have a grammar for. */
  private async locate(file: string, sources: ParsedSources): Promise<ParsedSource | undefined> {
    if (/^(node|internal|data|bun):|^<|^\[|^native /.test(file)) return undefined;
    const paths = isAbsolute(file) ? [normalize(file)] : this.roots.map((r) => join(r, file));
    for (const path of paths) {
      if (!this.isWorkspaceSource(path)) continue;
      const source = await sources.get(path);
      if (source) return source;
    }
    return undefined;
  }

  private isWorkspaceSource(file: string): boolean {
    const root = this.roots.find((r) => isWithin(file, r));
    return !!root && !!languageForFile(file) && !relative(root, file).split(sep).some((p) => foreignFolders.has(p));
  }

  /**
   * The assertion failed in the test: rank what the test calls. Calls in the failing statement
   * come first (outermost call first: its result is what was asserted), then calls in earlier
   * statements, nearest first, then later ones.
   */
  private async addCalledFunctions(test: ParsedSource, line: number, sources: ParsedSources, found: Candidates): Promise<void> {
    const testFunction = findFunctionAtLine(test.functions, line, 'any');
    const scope = testFunction?.body ?? test.tree.rootNode;
    const calls = callsIn(scope, test.family);
    const rank = (call: Call) => {
      if (call.statementStart <= line && line <= call.statementEnd) return [0, 0];
      return call.statementEnd < line ? [1, line - call.statementEnd] : [2, call.statementStart - line];
    };
    const ordered = calls
      .map((call, order) => ({ call, order, rank: rank(call) }))
      .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.order - b.order);
    for (const { call } of ordered) {
      for (const { source, fn } of await this.resolveCall(call, test, sources)) found.add(source, fn, 'called-by-test', call.line);
    }
  }

  private async resolveCall(call: Call, test: ParsedSource, sources: ParsedSources): Promise<Resolved[]> {
    // A later import of the same name wins, as it would at run time in straight-line code.
    const bindings = (local: string) => test.imports.filter((b) => b.local === local).reverse();
    const resolved: Resolved[] = [];
    if (call.kind === 'name') {
      for (const binding of bindings(call.name)) {
        if (binding.imported === '*') {
          // `const format = require('./format'); format(x)` calls the module's default export.
          const module = await this.importedModule(binding, test, sources);
          if (module) resolved.push(...exported(module, 'default'));
        } else {
          const home = await this.resolveModule(binding.module, test, sources);
          if (home) resolved.push(...exported(home, binding.imported));
        }
      }
      return resolved;
    }
    // `module.f()`, `Class.method()`, `Class().method()`, `new Class().method()`.
    for (const binding of bindings(call.receiver)) {
      const module = binding.imported === '*' || test.family === 'python' ? await this.importedModule(binding, test, sources) : undefined;
      if (module) resolved.push(...exported(module, call.name));
      else {
        const home = await this.resolveModule(binding.module, test, sources);
        // A default-imported class is usually imported under its own name.
        if (home) resolved.push(...methodsOf(home, [binding.imported, binding.local], call.name));
      }
    }
    if (resolved.length) return resolved;
    // `cart.total()` on an instance: any method of that name in the modules the test imports.
    for (const binding of test.imports) {
      const home = (await this.importedModule(binding, test, sources)) ?? (await this.resolveModule(binding.module, test, sources));
      if (home) resolved.push(...home.functions.filter((f) => f.className && f.name === call.name).map((fn) => ({ source: home, fn })));
    }
    return resolved;
  }

  /** The module a binding is the module object of: `import m`, `import * as m`, or Python's `from pkg import module`. */
  private async importedModule(binding: ImportBinding, test: ParsedSource, sources: ParsedSources): Promise<ParsedSource | undefined> {
    if (binding.imported === '*') return this.resolveModule(binding.module, test, sources);
    if (test.family !== 'python') return undefined;
    const submodule = binding.module.endsWith('.') ? binding.module + binding.imported : `${binding.module}.${binding.imported}`;
    return this.resolveModule(submodule, test, sources);
  }

  private async resolveModule(specifier: string, test: ParsedSource, sources: ParsedSources): Promise<ParsedSource | undefined> {
    for (const candidate of moduleFileCandidates(specifier, test.file, test.family, this.roots)) {
      if (!this.isWorkspaceSource(candidate)) continue;
      const source = await sources.get(candidate);
      if (source) return source;
    }
    return undefined;
  }
}

/**
 * The function a frame ran in. The frame's own function name, when it gives one, picks among
 * nested functions on the line; otherwise the innermost named function holding the line.
 */
function functionForFrame(functions: readonly FunctionInfo[], line: number, frameFunction: string | undefined): FunctionInfo | undefined {
  const name = frameFunction?.split('.').pop();
  if (name && !name.startsWith('<')) {
    const named = functions.filter((f) => f.name === name && f.range.start.line <= line && line <= f.range.end.line);
    if (named.length) return named[named.length - 1];
  }
  return findFunctionAtLine(functions, line);
}

/** Top-level functions (and class constructors) a module exports under `name`. */
function exported(module: ParsedSource, name: string): Resolved[] {
  const fns = module.functions.filter((f) => f.topLevel);
  let matches = fns.filter((f) => !f.className && (f.qualifiedName === name || f.aliases.includes(name)));
  // `module.exports = { name: ... }` names members `default.name`.
  if (!matches.length) matches = fns.filter((f) => f.qualifiedName === `default.${name}`);
  // Calling a class runs its constructor.
  if (!matches.length) matches = fns.filter((f) => f.className === name && (f.name === '__init__' || f.name === 'constructor'));
  return matches.map((fn) => ({ source: module, fn }));
}

function methodsOf(module: ParsedSource, classNames: readonly string[], method: string): Resolved[] {
  return module.functions
    .filter((f) => f.className !== undefined && classNames.includes(f.className) && f.name === method)
    .map((fn) => ({ source: module, fn }));
}

interface Resolved {
  readonly source: ParsedSource;
  readonly fn: FunctionInfo;
}

class Candidates {
  private readonly byKey = new Map<string, TargetCandidate>();

  get size(): number {
    return this.byKey.size;
  }

  add(source: ParsedSource, fn: FunctionInfo, reason: TargetCandidate['reason'], evidenceLine: number): void {
    const key = `${source.file}\0${fn.node.startIndex}`;
    if (this.byKey.has(key)) return;
    this.byKey.set(key, { file: source.file, language: source.language, functionName: fn.qualifiedName, range: fn.range, reason, evidenceLine });
  }

  list(): TargetCandidate[] {
    return [...this.byKey.values()];
  }
}

// ---- calls in a test ----

type Call = { readonly line: number; readonly statementStart: number; readonly statementEnd: number } & (
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'member'; readonly receiver: string; readonly name: string }
);

const statementParents = new Set(['block', 'statement_block', 'module', 'program', 'switch_case', 'switch_default']);

/** Calls under `scope` in source order, outer calls before the calls in their arguments. */
function callsIn(scope: SyntaxNode, family: LanguageFamily): Call[] {
  const calls: Call[] = [];
  const lines = (node: SyntaxNode) => {
    let statement = node;
    while (statement.parent && !statementParents.has(statement.parent.type) && statement.id !== scope.id) statement = statement.parent;
    return { start: statement.startPosition.row + 1, end: statement.endPosition.row + 1 };
  };
  for (const node of walk(scope)) {
    const callee = calleeOf(node, family);
    if (!callee) continue;
    const { start, end } = lines(node);
    calls.push({ ...callee, line: node.startPosition.row + 1, statementStart: start, statementEnd: end });
  }
  return calls;
}

function calleeOf(node: SyntaxNode, family: LanguageFamily): { kind: 'name'; name: string } | { kind: 'member'; receiver: string; name: string } | undefined {
  const isCall = family === 'python' ? node.type === 'call' : node.type === 'call_expression' || node.type === 'new_expression';
  if (!isCall) return undefined;
  const callee = field(node, node.type === 'new_expression' ? 'constructor' : 'function');
  if (!callee) return undefined;
  if (callee.type === 'identifier') return { kind: 'name', name: callee.text };
  const memberType = family === 'python' ? 'attribute' : 'member_expression';
  if (callee.type !== memberType) return undefined;
  const name = field(callee, family === 'python' ? 'attribute' : 'property')?.text;
  const object = field(callee, 'object');
  if (!name || !object) return undefined;
  return { kind: 'member', receiver: receiverName(object, family), name };
}

/** `m` for `m.f()`, `Cart` for `Cart().f()` and `new Cart().f()`, the text otherwise. */
function receiverName(object: SyntaxNode, family: LanguageFamily): string {
  if (object.type === 'call' || object.type === 'call_expression' || object.type === 'new_expression') {
    const inner = field(object, object.type === 'new_expression' ? 'constructor' : 'function');
    if (inner?.type === 'identifier') return inner.text;
  }
  if (family === 'javascript' && object.type === 'parenthesized_expression') {
    const inner = object.namedChildren[0];
    if (inner) return receiverName(inner, family);
  }
  return object.text;
}

// ---- parsed sources, kept for one search ----

interface ParsedSource {
  readonly file: string;
  readonly language: SourceLanguage;
  readonly family: LanguageFamily;
  readonly tree: SyntaxTree;
  readonly functions: readonly FunctionInfo[];
  readonly imports: readonly ImportBinding[];
}

class ParsedSources {
  private readonly parsed = new Map<string, Promise<ParsedSource | undefined>>();

  constructor(
    private readonly files: SourceFiles,
    private readonly parser: SourceParser,
  ) {}

  get(file: string): Promise<ParsedSource | undefined> {
    let entry = this.parsed.get(file);
    if (!entry) {
      entry = this.load(file);
      this.parsed.set(file, entry);
    }
    return entry;
  }

  private async load(file: string): Promise<ParsedSource | undefined> {
    const language = languageForFile(file);
    const text = language ? await this.files.read(file) : undefined;
    if (!language || text === undefined) return undefined;
    const tree = await this.parser.parse(text, language);
    const lines = new LineIndex(text);
    return {
      file,
      language,
      family: familyOf(language),
      tree,
      functions: listFunctions(tree.rootNode, language, lines),
      imports: readImports(tree.rootNode, language),
    };
  }

  dispose(): void {
    for (const entry of this.parsed.values()) void entry.then((source) => source?.tree.delete(), () => undefined);
    this.parsed.clear();
  }
}
