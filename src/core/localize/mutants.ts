// Mutation evidence, the data every language shares: a mutant is one small change to one block of
// the target function (an operator, a constant, a condition negated), written as an edit of the
// target file's text; a mutant run is the reaching tests run once per mutant against the mutated
// function, the file on disk untouched. A block whose mutant makes failing tests pass without
// breaking passing ones is where a careful debugger would look first ("what if this were <=?").
// The runners are per language (src/host/localize/pythonMutants.ts, jsMutants.ts); the scoring is
// in suspicion.ts.

import type { RawSpectrumRecord } from './spectra';

export interface Mutant {
  /** `m1`, `m2`, ... */
  readonly id: string;
  /** The block the change is in. */
  readonly blockId: string;
  /** The edit, as offsets into the target file's text (UTF-16 code units, as JavaScript strings index). */
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
  /** In words, for the reason line: `< -> <=`. */
  readonly description: string;
}

export type MutantTestOutcome = 'passed' | 'failed';

export interface MutantOutcome {
  readonly mutant: string;
  /** Test id (as the spectra name it: TestSpectrum.testId) -> its outcome with the mutant in place. */
  readonly tests: Readonly<Record<string, MutantTestOutcome>>;
  /** Why the mutant did not run (it did not compile, the budget ran out); `tests` is then empty. */
  readonly skipped?: string;
}

export interface MutantRun {
  readonly outcomes: readonly MutantOutcome[];
  readonly elapsedMs: number;
  /** Run-level problems in plain words. */
  readonly problems?: readonly string[];
}

/** The target file's text with the mutant in place. */
export function applyMutant(source: string, mutant: Pick<Mutant, 'start' | 'end' | 'replacement'>): string {
  return source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end);
}

/**
 * The mutants to run, in order, at most `count`: the blocks in the order given (the most suspicious
 * first), one mutant of each in turn, each block's in its operators' order. Taking a block's
 * mutants all at once let one long block (a call of twenty tokens) use the whole budget before
 * the next block's first was tried; in turn, every block gets its first tries. Mutants of blocks
 * not in `blockOrder` are left out.
 */
export function scheduleMutants<M extends Pick<Mutant, 'blockId'>>(mutants: readonly M[], blockOrder: readonly string[], count: number): M[] {
  const queues = blockOrder.map((id) => mutants.filter((m) => m.blockId === id));
  const out: M[] = [];
  for (let turn = 0; out.length < count && queues.some((q) => turn < q.length); turn++) {
    for (const q of queues) if (turn < q.length && out.length < count) out.push(q[turn]!);
  }
  return out;
}

/**
 * A budget for the mutants' tests (lines of the target in Python, blocks in JavaScript) from the coverage run of the same tests: ten times the
 * most lines of the target a test ran to its end, at least 10,000. A mutant that loops then stops
 * soon, while one that only does more work than the original still finishes. A test the coverage
 * run stopped at its own budget (the original loops forever) tells nothing of the work a test
 * needs; when every test was stopped so, 100,000 (such a loop once cost each mutant minutes).
 */
export function mutantMaxLines(records: readonly RawSpectrumRecord[]): number {
  const finished = records.filter((r) => !r.timedOut);
  if (records.length && !finished.length) return 100_000;
  let most = 0;
  for (const r of finished) {
    let lines = 0;
    for (const [count] of Object.values(r.lines ?? {})) lines += count;
    most = Math.max(most, lines);
  }
  return Math.max(10_000, most * 10);
}

/** What a block's mutants said: the best of them. */
export interface BlockMutationEvidence {
  /** 0..1: the share of failing tests the best mutant turned to passing while it broke no passing test (mutantScore). */
  readonly score: number;
  /** Mutants of the block that ran. */
  readonly ran: number;
  /** The best mutant, in words, and what it did. */
  readonly best?: { readonly description: string; readonly fixed: number; readonly broke: number };
}

/**
 * Per block, its mutants' evidence. Only the tests of the coverage run count (failing: the ones
 * that failed there), and a test a mutant run did not report counts as unchanged.
 */
export function mutationEvidence(
  mutants: readonly Mutant[],
  run: Pick<MutantRun, 'outcomes'>,
  tests: readonly { readonly testId: string; readonly outcome: string }[],
  formula: MutantFormula = 'repair',
): Map<string, BlockMutationEvidence> {
  const failing = tests.filter((t) => t.outcome === 'failed').map((t) => t.testId);
  const passing = tests.filter((t) => t.outcome === 'passed').map((t) => t.testId);
  const byId = new Map(run.outcomes.map((o) => [o.mutant, o]));
  const out = new Map<string, BlockMutationEvidence>();
  for (const m of mutants) {
    const o = byId.get(m.id);
    if (!o || o.skipped) continue;
    const fixed = failing.filter((id) => o.tests[id] === 'passed').length;
    const broke = passing.filter((id) => o.tests[id] === 'failed').length;
    const score = mutantScore(fixed, broke, failing.length, passing.length, formula);
    const was = out.get(m.blockId);
    const better = !was || score > was.score + 1e-12;
    out.set(m.blockId, {
      score: better ? score : was.score,
      ran: (was?.ran ?? 0) + 1,
      ...(better ? (score > 0 ? { best: { description: m.description, fixed, broke } } : {}) : was.best ? { best: was.best } : {}),
    });
  }
  return out;
}

/**
 * How one mutant's turned tests become a score (0..1). `repair`, the default: the share of failing
 * tests it turned, when it broke no passing test (a change that breaks what worked is not the fix a
 * debugger is after). Measured beside it in the bench and left: `metallaxis` (Metallaxis-FL's
 * Ochiai over the tests a mutant turned: it lifts mutants that trade failing tests for passing
 * ones, QuixBugs first 30 -> 27-28 at 0.3-1) and `product` (the failing share times the share of
 * passing tests kept).
 */
export type MutantFormula = 'metallaxis' | 'repair' | 'product';

export function mutantScore(fixed: number, broke: number, failing: number, passing: number, formula: MutantFormula): number {
  if (fixed === 0 || failing === 0) return 0;
  switch (formula) {
    case 'metallaxis':
      return fixed / Math.sqrt(failing * (fixed + broke));
    case 'repair':
      return broke === 0 ? fixed / failing : 0;
    case 'product':
      return (fixed / failing) * (passing ? 1 - broke / passing : 1);
  }
}
