// Mutation evidence, the data every language shares: a mutant is one small change to one block of
// the target function (an operator, a constant, a condition negated), written as an edit of the
// target file's text; a mutant run is the reaching tests run once per mutant against the mutated
// function, the file on disk untouched. A block whose mutant makes failing tests pass without
// breaking passing ones is where a careful debugger would look first ("what if this were <=?").
// The runners are per language (src/host/localize/pythonMutants.ts, jsMutants.ts); the scoring is
// in suspicion.ts.

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
