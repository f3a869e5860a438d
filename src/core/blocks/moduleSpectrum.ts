// Which candidates the whole test run points at: a spectrum over modules. Each test file reaches
// some modules of the code under test (what it imports, resolved through re-exports to the module
// that declares it, and what those modules import in turn); a module reached by the failing tests
// and by few passing ones is more suspect than one that hundreds of passing tests go through. The
// score is Ochiai's (failing reaching / sqrt(all failing × all reaching)), the usual spectrum
// formula, here over test files' counts instead of per-test coverage: coarse, but it needs no run
// beyond the one that found the failures, and it is what tells `parse(stringify(x))` apart when
// only the stringify tests fail. Candidates are re-ordered by their module's score, stably: within
// a module, and between modules that score the same, the finder's order stands.

import { normalize } from 'node:path';
import { reExportSpecifiers } from './callFollower';
import type { ParsedSources } from './parsedSources';
import type { ParsedSource, SymbolResolver } from './symbols';
import type { TargetCandidate } from './target';

/** How one test file fared in the run the failure comes from. */
export interface TestFileOutcome {
  /** Absolute path of the test file. */
  readonly file: string;
  readonly failed: number;
  readonly passed: number;
}

/** At most this many modules are read from one test file's imports. */
const maxModulesPerFile = 200;

export interface ModuleScore {
  readonly failed: number;
  readonly passed: number;
  readonly score: number;
}

/**
 * The candidates ordered by how suspect the run makes their modules (highest first, stable).
 * `failingTest` is the failing test's file: every candidate was found from it, so its outcome counts
 * for every candidate's module even where its imports could not be followed statically.
 */
export async function rankByModuleSpectrum(
  candidates: readonly TargetCandidate[],
  outcomes: readonly TestFileOutcome[],
  failingTest: string | undefined,
  sources: ParsedSources,
  resolver: SymbolResolver,
  isTest: (file: string) => boolean,
): Promise<{ candidates: TargetCandidate[]; scores: Map<string, ModuleScore> }> {
  const modules = new Set(candidates.map((c) => normalize(c.file)));
  const totalFailed = outcomes.reduce((n, o) => n + o.failed, 0);
  const counts = new Map<string, { failed: number; passed: number }>([...modules].map((m) => [m, { failed: 0, passed: 0 }]));
  for (const outcome of outcomes) {
    if (outcome.failed + outcome.passed === 0) continue;
    const file = normalize(outcome.file);
    const source = await sources.get(file);
    const reached = source ? await reachedModules(source, resolver, isTest) : new Set<string>();
    if (failingTest && file === normalize(failingTest)) for (const m of modules) reached.add(m);
    for (const m of modules) {
      if (!reached.has(m)) continue;
      const c = counts.get(m)!;
      c.failed += outcome.failed;
      c.passed += outcome.passed;
    }
  }
  const scores = new Map<string, ModuleScore>();
  for (const [m, c] of counts) scores.set(m, { ...c, score: c.failed && totalFailed ? c.failed / Math.sqrt(totalFailed * (c.failed + c.passed)) : 0 });
  const scoreOf = (c: TargetCandidate) => scores.get(normalize(c.file))?.score ?? 0;
  const ordered = candidates.map((c, i) => ({ c, i })).sort((a, b) => scoreOf(b.c) - scoreOf(a.c) || a.i - b.i);
  return { candidates: ordered.map((o) => o.c), scores };
}

/** The modules of the code under test a test file reaches: what its imports resolve to, and their imports, transitively. */
async function reachedModules(test: ParsedSource, resolver: SymbolResolver, isTest: (file: string) => boolean): Promise<Set<string>> {
  const reached = new Set<string>();
  const queue: ParsedSource[] = [];
  const visit = (source: ParsedSource) => {
    const file = normalize(source.file);
    if (source === test || reached.has(file) || reached.size >= maxModulesPerFile) return;
    if (!isTest(file)) reached.add(file);
    queue.push(source);
  };
  // The test file's own imports, by name: `import { parse } from './index'` reaches the module that
  // declares `parse`, not every module the index re-exports.
  for (const binding of test.imports) {
    for (const entity of await resolver.imported(binding, test, 0)) visit(entity.source);
  }
  // The modules reached import what their functions may call.
  while (queue.length) {
    const source = queue.shift()!;
    const specifiers = new Set(source.imports.map((b) => b.module));
    if (source.family !== 'python') for (const s of reExportSpecifiers(source.tree.rootNode)) specifiers.add(s);
    for (const specifier of specifiers) {
      const module = await resolver.module(specifier, source);
      if (module) visit(module);
    }
  }
  return reached;
}
