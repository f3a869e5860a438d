// Which function to debug for a failing test. The innermost stack frame in a workspace source
// that is not a test file names it. When the failure is an assertion in the test itself, with no
// frame in the code under test, the functions the test calls are the candidates, followed through
// imports and re-exports, classes, instances and object members (symbols.ts), then into what those
// functions call, a few levels deep. The answer comes with a confidence: when it is not high, a
// traced run (`rankByRun`) or the user (a "choose the function" pick) settles it.

import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { CallFollower, Candidates } from './callFollower';
import { findFunctionAtLine, type FunctionInfo } from './functionFinder';
import { languageForFile } from './languages';
import { isWithin, ModuleResolver } from './moduleResolution';
import { rankByModuleSpectrum, type TestFileOutcome } from './moduleSpectrum';
import { ParsedSources } from './parsedSources';
import type { SourceFiles } from './sourceFiles';
import { SymbolResolver, type ParsedSource } from './symbols';
import type { SourceParser } from './syntaxNode';
import type { FailureLocation, Target, TargetCandidate, TargetConfidence, TargetSearch } from './target';

export type { FailureLocation, Target, TargetCandidate, TargetConfidence, TargetSearch } from './target';
export type { TestFileOutcome } from './moduleSpectrum';

export interface TargetFinderOptions {
  /** Workspace folders: only sources inside them are candidates. */
  readonly roots: readonly string[];
  /** Overrides the naming conventions that tell test files apart (test_*.py, *.test.ts, tests/, ...). */
  readonly isTestFile?: (file: string) => boolean;
  /**
   * How each test file fared in the run the failure comes from. When the finder is unsure, the
   * candidates' modules are ranked by it (moduleSpectrum.ts): a module the failing tests reach and
   * few passing ones do comes first.
   */
  readonly outcomes?: readonly TestFileOutcome[];
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
  private readonly outcomes: readonly TestFileOutcome[] | undefined;

  constructor(
    private readonly files: SourceFiles,
    private readonly parser: SourceParser,
    options: TargetFinderOptions,
  ) {
    const roots = options.roots.map((r) => normalize(r));
    this.roots = roots;
    this.isTestFile = options.isTestFile ?? ((file) => isConventionalTestFile(file, roots));
    this.outcomes = options.outcomes;
  }

  /** Candidates, most likely first; the first is the target. Empty when nothing in the workspace fits. */
  async find(failure: FailureLocation): Promise<TargetCandidate[]> {
    return [...(await this.search(failure)).candidates];
  }

  /** Candidates with how sure the finder is of the first one. */
  async search(failure: FailureLocation): Promise<TargetSearch> {
    const sources = new ParsedSources(this.files, this.parser, (file) => this.isWorkspaceSource(file));
    try {
      const search = await this.searchIn(failure, sources);
      if (search.confidence === 'high' || search.candidates.length < 2 || !this.outcomes?.some((o) => o.failed > 0)) return search;
      // Unsure: what the rest of the run says about the candidates' modules decides between them.
      const isTest = (file: string) => file === (failure.file && normalize(failure.file)) || this.isTestFile(file);
      const ranked = await rankByModuleSpectrum(search.candidates, this.outcomes, failure.file, sources, this.resolver(sources, isTest), isTest);
      return { ...search, candidates: ranked.candidates };
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
    let follower: CallFollower | undefined;
    for (const frame of frames) {
      if (isTest(frame.source.file)) continue;
      const fn = functionForFrame(frame.source.functions, frame.line, frame.function);
      if (!fn || !found.add(frame.source, fn, 'stack-frame', frame.line)) continue;
      // After each frame, what its function called and went on with before the failing line: a
      // value that came back wrong fails only later, in the caller (the next ones to check when
      // the frame's own function is found correct).
      follower ??= this.follower(sources, isTest);
      for (const inner of await follower.calledBefore(frame.source, fn, frame.line)) {
        found.add(inner.source, inner.fn, 'reached-from-test', frame.line, `${fn.qualifiedName} → ${inner.fn.qualifiedName}${inner.byName ? ' (by name)' : ''}`, 1);
      }
    }
    if (found.size) {
      // The test's statement that called into the stack may have called other functions of the
      // workspace first and handed on what they returned: `parse(stringify(x))` failing inside
      // parse may be stringify's wrong output. Then the stack alone does not settle it. (A
      // constructor making the object whose method failed is the usual case, not a rival.)
      const firstCode = frames.findIndex((f) => !isTest(f.source.file));
      const caller = frames.slice(firstCode + 1).find((f) => isTest(f.source.file));
      follower ??= this.follower(sources, isTest);
      const others = caller ? (await follower.calledInStatement(caller.source, caller.line)).filter((f) => !found.has(f.source, f.fn) && !/^(constructor|__init__)$/.test(f.fn.name)) : [];
      if (!caller || !others.length) return { candidates: found.list(), confidence: 'high' };
      const fromTest = await this.follow(caller, sources, isTest);
      const listed = found.list();
      const known = new Set(listed.map((c) => `${c.file}\0${c.range.start.line}`));
      return { candidates: [...listed, ...fromTest.candidates.filter((c) => !known.has(`${c.file}\0${c.range.start.line}`))], confidence: 'low' };
    }

    const inTest = frames.find((f) => isTest(f.source.file));
    if (!inTest) return { candidates: [], confidence: 'low' };
    const search = await this.follow(inTest, sources, isTest);
    if (search.candidates.length) return search;
    // Nothing outside the test code fits: the test's own helpers (other test files, fixtures in
    // conftest.py) are what is left to blame, the frames that ran in them first. The test is the
    // failing test's file, or else the outermost frame in test code.
    const theTest = testFile ?? frames.filter((f) => isTest(f.source.file)).at(-1)?.source;
    const onlyTheTest = (file: string) => file === theTest?.file;
    for (const frame of frames) {
      if (onlyTheTest(frame.source.file)) continue;
      const fn = functionForFrame(frame.source.functions, frame.line, frame.function);
      if (fn) found.add(frame.source, fn, 'stack-frame', frame.line);
    }
    if (found.size) return { candidates: found.list(), confidence: 'low' };
    const inTheTest = frames.find((f) => onlyTheTest(f.source.file));
    if (!inTheTest) return search;
    const helpers = await this.follow(inTheTest, sources, onlyTheTest);
    return { candidates: helpers.candidates, confidence: 'low' };
  }

  private follow(inTest: { source: ParsedSource; line: number }, sources: ParsedSources, isTest: (file: string) => boolean): Promise<TargetSearch> {
    return this.follower(sources, isTest).follow(inTest.source, inTest.line);
  }

  private follower(sources: ParsedSources, isTest: (file: string) => boolean): CallFollower {
    return new CallFollower(this.resolver(sources, isTest), sources, isTest);
  }

  private resolver(sources: ParsedSources, isTest: (file: string) => boolean): SymbolResolver {
    return new SymbolResolver((file) => sources.get(file), new ModuleResolver(this.files, this.roots), { isTestFile: isTest, roots: this.roots });
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
 * other candidate of its rank that ran, is trusted more. A run in which nothing the test calls ran
 * changes nothing.
 */
export function rankByRun(search: TargetSearch, ran: readonly RanFunction[], targetOf: (ran: RanFunction) => Target | undefined): TargetSearch {
  if (search.confidence === 'high' || ran.length === 0) return search;
  const key = (file: string, line: number) => `${file}\0${line}`;
  const ranAt = new Map(ran.map((r) => [key(r.file, r.line), r]));
  const didRun = (c: Target) => ranAt.has(key(c.file, c.range.start.line));
  const ranCandidates = search.candidates.filter(didRun);
  // What the test calls itself (or a stack frame) must have run if the test did: when none of it
  // ran, the run saw only what loading the modules runs (the test was not selected, or stopped
  // before its first call) and says nothing about the candidates.
  const direct = search.candidates.filter((c) => c.reason === 'called-by-test' || c.reason === 'stack-frame');
  if (direct.length && !direct.some(didRun)) return search;
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
export function functionForFrame(functions: readonly FunctionInfo[], line: number, frameFunction: string | undefined): FunctionInfo | undefined {
  const name = frameFunction?.split('.').pop();
  if (name && !name.startsWith('<')) {
    const named = functions.filter((f) => f.name === name && f.range.start.line <= line && line <= f.range.end.line);
    if (named.length) return named[named.length - 1];
  }
  return findFunctionAtLine(functions, line);
}
