// Scoring the suspicion ranking on a benchmark whose buggy lines are known, the same way for
// QuixBugs (Python) and HumanEvalFix-JS: where the first buggy block lands (top-1 / top-3, ties
// counted pessimistically), the lines to inspect down to it, the baselines computed from the same
// spectra (plain block Ochiai, line Ochiai), each evidence kind taken out (ablation), each weight
// swept, and a leave-one-fifth-out check of every tuned weight: the weight picked on 4/5 of the
// programs from its grid, the held-out fifth counted, so that no weight fits a few programs.

import type { Block } from '../src/core/blocks/basicBlocks';
import type { RawSpectrumRecord, TestSpectrum } from '../src/core/localize/spectra';
import { defaultSuspicionWeights, rankSuspiciousBlocks, type SuspicionWeights, type ValueEvidenceInput } from '../src/core/localize/suspicion';
import { valueEvidence, type TracedTest } from '../src/core/localize/valueEvidence';
import { mutationEvidence, type BlockMutationEvidence, type Mutant, type MutantFormula, type MutantRun } from '../src/core/localize/mutants';
import { reachingTests } from '../src/core/localize/spectra';
import { lastLineOf } from '../src/core/trace/tracePlan';
import type { Figure } from './benchTypes';

export interface ProgramEvidence {
  readonly program: string;
  readonly blocks: readonly Block[];
  readonly bugLines: readonly number[];
  readonly spectra: readonly TestSpectrum[];
  readonly records: readonly RawSpectrumRecord[];
  /** The tests the ranking traced with values (the evidence is computed from them when scoring). */
  readonly traced: readonly TracedTest[];
  /** The mutants that ran and what each did (absent when the ranking ran none). */
  readonly mutants?: readonly Mutant[];
  readonly mutantRun?: Pick<MutantRun, 'outcomes' | 'elapsedMs'>;
  /** The whole ranking (coverage run, traced runs, mutant runs, scoring) and one plain run of the same tests. */
  readonly rankMs: number;
  readonly coverageMs: number;
  readonly plainMs: number;
}

/** Every evidence kind, as the weights name them: each is taken out once (ablation). */
const kinds: readonly (keyof SuspicionWeights)[] = ['raised', 'guard', 'feedsResult', 'recency', 'runawayLoop', 'constantOnly', 'boundary', 'deviation', 'origin', 'count', 'wrongExit', 'baseCase', 'sameInputs', 'expectedAtHand', 'oneStep', 'consistent', 'neighbour', 'connective', 'mutant'];
const nothingExtra: Partial<SuspicionWeights> = Object.fromEntries(Object.keys(defaultSuspicionWeights).map((k) => [k, 0]));

/** The grids the sweeps and the leave-out checks pick from (each includes the default). */
const grids: Partial<Record<keyof SuspicionWeights, readonly number[]>> = {
  raised: [0, 0.05, 0.1, 0.2, 0.3, 0.5],
  guard: [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2],
  feedsResult: [0, 0.025, 0.05, 0.1, 0.2],
  runawayLoop: [0, 0.05, 0.1, 0.3],
  constantOnly: [0, 0.005, 0.01, 0.02, 0.05, 0.1],
  boundary: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  deviation: [0, 0.05, 0.1, 0.3],
  origin: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  wrongExit: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  count: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  baseCase: [0, 0.1, 0.3, 0.5, 1],
  sameInputs: [0, 0.1, 0.3, 0.5, 1],
  expectedAtHand: [0, 0.1, 0.3, 0.5, 1],
  oneStep: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  consistent: [0, 0.01, 0.02, 0.05, 0.1, 0.2],
  connective: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  neighbour: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  mutant: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
};
const folds = 5;

/**
 * The mutants a benchmark program gets: localize's 40 at most, without its 60-second limit, so that
 * the figures do not depend on how busy the machine is (the limit would cut more mutants on a
 * loaded machine).
 */
export const benchMutantBudget = { count: 40, ms: 30 * 60_000 };

const evidenceCache = new WeakMap<ProgramEvidence, ValueEvidenceInput | null>();

/** The value evidence of the program's traced tests, as localize computes it. */
export function valuesOf(p: ProgramEvidence): ValueEvidenceInput | undefined {
  let values = evidenceCache.get(p);
  if (values === undefined) {
    values = p.traced.length
      ? { blocks: valueEvidence(p.blocks, p.traced), tracedFailing: p.traced.filter((t) => t.outcome === 'failed').length, tracedPassing: p.traced.filter((t) => t.outcome === 'passed').length }
      : null;
    evidenceCache.set(p, values);
  }
  return values ?? undefined;
}

const mutationCache = new Map<MutantFormula, WeakMap<ProgramEvidence, ReadonlyMap<string, BlockMutationEvidence> | null>>();

/** The mutation evidence of the program's mutant runs, as localize computes it (or by another formula). */
export function mutationOf(p: ProgramEvidence, formula: MutantFormula = 'repair'): ReadonlyMap<string, BlockMutationEvidence> | undefined {
  const cache = mutationCache.get(formula) ?? new WeakMap();
  mutationCache.set(formula, cache);
  let m = cache.get(p);
  if (m === undefined) {
    m = p.mutants && p.mutantRun ? mutationEvidence(p.mutants, p.mutantRun, reachingTests(p.spectra), formula) : null;
    cache.set(p, m);
  }
  return m ?? undefined;
}

/** Where the first buggy block lands (pessimistic: last of its tie group) and the lines up to it. */
export function blockOutcome(p: ProgramEvidence, weights: Partial<SuspicionWeights>, withValues = true, formula: MutantFormula = 'repair'): { position: number; lines: number } {
  const ranked = rankSuspiciousBlocks(p.blocks, p.spectra, weights, withValues ? valuesOf(p) : undefined, withValues ? mutationOf(p, formula) : undefined).blocks;
  const byId = new Map(p.blocks.map((b) => [b.id, b]));
  const isBuggy = (b: Block) => p.bugLines.some((line) => b.range.start.line <= line && line <= lastLineOf(b));
  const firstBuggyRank = Math.min(...ranked.filter((r) => isBuggy(byId.get(r.id)!)).map((r) => r.rank));
  const inspected = ranked.filter((r) => r.rank <= firstBuggyRank);
  const lines = inspected.reduce((sum, r) => {
    const b = byId.get(r.id)!;
    return sum + lastLineOf(b) - b.range.start.line + 1;
  }, 0);
  return { position: inspected.length, lines };
}

const firstWith = (weights: Partial<SuspicionWeights>, ps: readonly ProgramEvidence[]) => ps.filter((p) => blockOutcome(p, weights).position <= 1).length;

/** The figures of one benchmark, keys under `prefix`. */
export function suspicionFigures(prefix: string, name: string, collected: readonly ProgramEvidence[], targets: { top1?: string; top3?: string; lines?: string } = {}): Figure[] {
  const n = collected.length;
  const figures: Figure[] = [];
  const summary = (key: string, label: string, weights: Partial<SuspicionWeights>, values: 'own' | 'none' = 'own', withTargets = false) => {
    const outcomes = collected.map((p) => blockOutcome(p, weights, values === 'own'));
    const top = (k: number) => outcomes.filter((o) => o.position <= k).length;
    figures.push({ key: `${prefix}.${key}.top1`, label: `${name}: ${label}: buggy block first`, value: top(1), unit: `/ ${n}`, ...(withTargets && targets.top1 ? { target: targets.top1 } : {}) });
    figures.push({ key: `${prefix}.${key}.top3`, label: `${name}: ${label}: buggy block in top 3`, value: top(3), unit: `/ ${n}`, ...(withTargets && targets.top3 ? { target: targets.top3 } : {}) });
    figures.push({ key: `${prefix}.${key}.medianLinesToInspect`, label: `${name}: ${label}: median lines to inspect`, value: median(outcomes.map((o) => o.lines)), unit: 'lines', ...(withTargets && targets.lines ? { target: targets.lines } : {}) });
    return outcomes;
  };
  const full = summary('full', 'suspicious blocks', {}, 'own', true);
  figures.push({ key: `${prefix}.full.notFirst`, label: `${name}: programs whose buggy block is not first`, value: full.filter((o) => o.position > 1).length, note: collected.filter((_, i) => full[i]!.position > 1).map((p) => p.program).join(' ') });
  summary('ochiai', 'baseline: plain block Ochiai', nothingExtra, 'none');
  summary('withoutValues', 'without the traced values and the mutants (coverage only)', {}, 'none');
  for (const kind of kinds) summary(`without.${kind}`, `ablation: without ${kind}`, { [kind]: 0 });
  // The mutant score's other formulas, on the same mutant runs (the default is repair).
  for (const formula of ['metallaxis', 'product'] as const) {
    const outcomes = collected.map((p) => blockOutcome(p, {}, true, formula));
    figures.push({ key: `${prefix}.mutantFormula.${formula}`, label: `${name}: mutant score by ${formula} instead of repair: buggy block first / top 3`, value: `${outcomes.filter((o) => o.position <= 1).length} / ${outcomes.filter((o) => o.position <= 3).length}`, unit: `of ${n}` });
  }
  const lineRanks = collected.map(lineOchiaiRank);
  figures.push({ key: `${prefix}.lineOchiai.top1`, label: `${name}: baseline: line Ochiai, buggy line first`, value: lineRanks.filter((r) => r <= 1).length, unit: `/ ${n}` });
  figures.push({ key: `${prefix}.lineOchiai.top3`, label: `${name}: baseline: line Ochiai, buggy line in top 3`, value: lineRanks.filter((r) => r <= 3).length, unit: `/ ${n}` });
  figures.push({ key: `${prefix}.lineOchiai.medianRank`, label: `${name}: baseline: line Ochiai, median rank of the buggy line`, value: median(lineRanks) });

  // Each tuned weight: its sweep, and the leave-one-fifth-out check (the others at their defaults).
  for (const [weight, grid] of Object.entries(grids) as [keyof SuspicionWeights, readonly number[]][]) {
    figures.push({
      key: `${prefix}.sweep.${weight}`,
      label: `${name}: ${weight} weight sweep (default ${defaultSuspicionWeights[weight]}): buggy block first`,
      value: grid.map((g) => `${g}:${firstWith({ [weight]: g }, collected)}`).join(' '),
    });
    let heldOut = 0;
    const picked: number[] = [];
    for (let k = 0; k < folds; k++) {
      const train = collected.filter((_, i) => i % folds !== k);
      const test = collected.filter((_, i) => i % folds === k);
      const scores = grid.map((g) => firstWith({ [weight]: g }, train));
      const best = Math.max(...scores);
      // Among the best, the one nearest the default: a tie is no reason to move it.
      const g = grid.filter((_, i) => scores[i] === best).sort((a, b) => Math.abs(a - defaultSuspicionWeights[weight]) - Math.abs(b - defaultSuspicionWeights[weight]))[0]!;
      picked.push(g);
      heldOut += firstWith({ [weight]: g }, test);
    }
    figures.push({
      key: `${prefix}.leaveOut.${weight}`,
      label: `${name}: ${weight} picked on 4/${folds} of the programs: held-out buggy block first`,
      value: heldOut,
      unit: `/ ${n}`,
      note: `picked ${picked.join(', ')}; the default gives ${firstWith({}, collected)}`,
    });
  }

  // Cost: the ranking's time as a ratio to one plain run of the same tests (medians over programs).
  const ratio = (pick: (p: ProgramEvidence) => number) => round(median(collected.map((p) => pick(p) / p.plainMs)));
  figures.push({ key: `${prefix}.cost.plainMsMedian`, label: `${name}: one plain run of the tests that reach the function (median)`, value: median(collected.map((p) => p.plainMs)), unit: 'ms' });
  figures.push({ key: `${prefix}.cost.rankRatio`, label: `${name}: the ranking (coverage run + traced runs + mutant runs + scoring) / one plain run`, value: ratio((p) => p.rankMs), unit: '×', note: `coverage run alone ${ratio((p) => p.coverageMs)}×; mutant runs alone ${ratio((p) => p.mutantRun?.elapsedMs ?? 0)}×; mutants run per program, median ${median(collected.map((p) => p.mutantRun?.outcomes.filter((o) => !o.skipped).length ?? 0))}` });
  figures.push({ key: `${prefix}.tests`, label: `${name}: tests that reached their target`, value: collected.reduce((s, p) => s + p.spectra.filter((t) => t.outcome !== 'skipped' && t.blocks.length > 0).length, 0) });
  return figures;
}

/** The anchor's measure: Ochiai per line over the same tests, pessimistic rank of the best buggy line. */
function lineOchiaiRank(p: ProgramEvidence): number {
  const tests = p.records.filter((r) => r.outcome !== 'skipped' && Object.keys(r.lines).length > 0);
  const failing = tests.filter((r) => r.outcome === 'failed');
  const counts = new Map<string, { f: number; p: number }>();
  for (const t of tests) {
    for (const line of Object.keys(t.lines)) {
      const c = counts.get(line) ?? { f: 0, p: 0 };
      if (t.outcome === 'failed') c.f++;
      else c.p++;
      counts.set(line, c);
    }
  }
  const score = (line: string) => {
    const c = counts.get(line);
    return !c || c.f === 0 ? 0 : c.f / Math.sqrt(failing.length * (c.f + c.p));
  };
  const best = Math.max(...p.bugLines.map((l) => score(String(l))));
  // Every line of the function counts, run or not (a line no test ran scores 0).
  let rank = 0;
  for (const b of p.blocks) for (let line = b.range.start.line; line <= lastLineOf(b); line++) if (score(String(line)) >= best - 1e-12) rank++;
  return rank;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (x: number) => Math.round(x * 100) / 100;

export async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

/**
 * The collected inputs of a benchmark, kept in DUCKTRACE_BENCH_CACHE when it is set, so that the
 * scoring can be tried again without rerunning every test (never used unless asked for).
 */
export async function cachedCollection(name: string, collect: () => Promise<ProgramEvidence[]>): Promise<ProgramEvidence[]> {
  const dir = process.env.DUCKTRACE_BENCH_CACHE;
  if (!dir) return collect();
  const { existsSync, mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const file = `${dir}/${name}.json`;
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ProgramEvidence[];
  const collected = await collect();
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(collected));
  return collected;
}
