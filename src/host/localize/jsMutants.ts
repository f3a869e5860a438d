// Mutant runs of a JavaScript or TypeScript function: per mutant, one coverage run (jsSpectra.ts)
// of the tests that reach it with the mutated function swapped in, the way the coverage mode swaps
// its own text in: the file on disk is never written, and the coverage runtime's block budget
// stops a mutant that loops forever. Each run gives every test's outcome with the mutant in place.

import { applyMutant, type Mutant, type MutantOutcome, type MutantRun, type MutantTestOutcome } from '../../core/localize/mutants';
import { plannedSource } from '../tracers/js/jsPlan';
import { instrumentTarget } from '../tracers/jsTracer';
import { targetWithSource, type ResolvedTarget } from '../tracers/traceTarget';
import { joinSpectra, runJsCoverage, type JsSpectraOptions } from './jsSpectra';

export interface JsMutantOptions extends JsSpectraOptions {
  /** Mutants not started by then are skipped ('budget'). */
  readonly budgetMs?: number;
  /** Mutant runs at once (default 2). */
  readonly width?: number;
  /** True for an outcome that settles its block (it fixed every failing test, broke nothing): its other mutants are skipped. */
  readonly settles?: (outcome: MutantOutcome) => boolean;
}

export async function runJsMutants(target: ResolvedTarget, mutants: readonly Mutant[], options: JsMutantOptions): Promise<MutantRun> {
  const started = Date.now();
  const problems = new Set<string>();
  const diskSource = plannedSource(target.source);
  const settled = new Set<string>();
  const outcomes = await inParallel(mutants, options.width ?? 2, async (m): Promise<MutantOutcome> => {
    if (options.signal?.aborted) return { mutant: m.id, tests: {}, skipped: 'cancelled' };
    if (options.budgetMs !== undefined && Date.now() - started > options.budgetMs) return { mutant: m.id, tests: {}, skipped: 'budget' };
    if (settled.has(m.blockId)) return { mutant: m.id, tests: {}, skipped: 'another mutant of the block fixed every failing test' };
    const outcome = await runOne(m);
    if (!outcome.skipped && options.settles?.(outcome)) settled.add(m.blockId);
    return outcome;
  });
  return { outcomes, elapsedMs: Date.now() - started, ...(problems.size ? { problems: [...problems] } : {}) };

  async function runOne(m: Mutant): Promise<MutantOutcome> {
    let mutated: ResolvedTarget;
    let instrumented: Awaited<ReturnType<typeof instrumentTarget>>;
    try {
      mutated = await targetWithSource(target, applyMutant(target.source, m), options.parser);
      instrumented = await instrumentTarget(mutated, options.parser, 'coverage');
    } catch (error) {
      return { mutant: m.id, tests: {}, skipped: `does not parse: ${(error as Error).message}` };
    }
    const { unprobed: _unprobed, ...plan } = instrumented;
    // The hooks swap the text in only for the file as it is on disk.
    const run = await runJsCoverage({ ...plan, source: diskSource, language: target.language }, options);
    for (const p of run.problems ?? []) problems.add(p);
    const { spectra } = await joinSpectra(mutated, run.results, run.lines, plan.map);
    const tests: Record<string, MutantTestOutcome> = {};
    for (const s of spectra) if (s.outcome !== 'skipped') tests[s.testId] = s.outcome;
    return { mutant: m.id, tests, ...(spectra.length ? {} : { skipped: 'no test result' }) };
  }
}

/** Runs fn over the items, at most `width` at a time, results in the items' order. */
async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  return results;
}
