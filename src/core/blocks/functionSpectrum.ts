// Which of several candidates in one module to ask about first: a spectrum over functions. One run
// of the failing test's file with every candidate of the module counting its entries per test
// (src/host/tracers/functionSpectrumRun.ts) says, per test, which of them ran and which was entered
// last. A function the failing tests run and few passing ones do is more suspect than one every test
// goes through: Ochiai's score (failing running / sqrt(all failing × all running)), as
// moduleSpectrum.ts does over modules, here over the tests of one file and the functions of one
// module. Between functions that score the same, the one the failing tests entered last before
// they failed comes first (the latest code to produce a value); then the finder's order stands.
// The finder's first choice, when the failing test calls it itself and every failing test ran it,
// stays ahead of them all.
// Only the module's own places in the list are reordered: other modules' candidates stay where they
// were.

import { normalize } from 'node:path';
import type { TargetCandidate } from './target';

/** One test of the run: its outcome and, per candidate it entered, [entries, order of its last entry]. */
export interface FunctionSpectrumTest {
  readonly outcome: 'passed' | 'failed';
  /** Keyed by candidate index in the list given to `rankWithinModule`. */
  readonly entered: ReadonlyMap<number, readonly [number, number]>;
}

export interface FunctionScore {
  readonly failed: number;
  readonly passed: number;
  readonly score: number;
  /** Mean place, from the last entered (0), among the candidates each failing test entered; undefined when no failing test entered it. */
  readonly lastPlace?: number;
}

/**
 * `candidates` reordered: those in `module` by their function spectrum, in the places the module's
 * candidates held. Unchanged when no failing test of the run entered any of them (the run says
 * nothing about them).
 */
export function rankWithinModule(candidates: readonly TargetCandidate[], module: string, tests: readonly FunctionSpectrumTest[]): { candidates: TargetCandidate[]; scores: Map<number, FunctionScore> } {
  const file = normalize(module);
  const inModule = candidates.map((_c, i) => i).filter((i) => normalize(candidates[i]!.file) === file);
  const failing = tests.filter((t) => t.outcome === 'failed');
  const scores = new Map<number, FunctionScore>();
  const places = new Map<number, number[]>();
  for (const t of failing) {
    const order = [...t.entered.entries()].filter(([i]) => inModule.includes(i)).sort((a, b) => b[1][1] - a[1][1]);
    order.forEach(([i], place) => (places.get(i) ?? places.set(i, []).get(i)!).push(place));
  }
  for (const i of inModule) {
    const failed = failing.filter((t) => t.entered.has(i)).length;
    const passed = tests.filter((t) => t.outcome === 'passed' && t.entered.has(i)).length;
    const score = failed ? failed / Math.sqrt(failing.length * (failed + passed)) : 0;
    const own = places.get(i);
    scores.set(i, { failed, passed, score, ...(own ? { lastPlace: own.reduce((a, b) => a + b, 0) / own.length } : {}) });
  }
  if (inModule.length < 2 || ![...scores.values()].some((s) => s.failed > 0)) return { candidates: [...candidates], scores };
  // The finder's first choice, when the failing test calls it itself (or a stack frame ran in it)
  // and every failing test ran it, keeps its lead: counting entries cannot tell a branch of it that
  // only the failing tests take from the functions that branch calls, which then outscore it.
  const lead = inModule[0]!;
  const kept = (i: number) => i === lead && (candidates[i]!.reason === 'called-by-test' || candidates[i]!.reason === 'stack-frame') && scores.get(i)!.failed === failing.length;
  const ordered = [...inModule].sort((a, b) => {
    const sa = scores.get(a)!;
    const sb = scores.get(b)!;
    return Number(kept(b)) - Number(kept(a)) || sb.score - sa.score || (sa.lastPlace ?? Infinity) - (sb.lastPlace ?? Infinity) || a - b;
  });
  const out = [...candidates];
  inModule.forEach((slot, k) => (out[slot] = candidates[ordered[k]!]!));
  return { candidates: out, scores };
}

/** The module holding the most candidates among the first ones, when at least two of them share it: the one worth a function spectrum run. */
export function moduleWorthOrdering(candidates: readonly TargetCandidate[]): string | undefined {
  const first = candidates[0];
  if (!first) return undefined;
  const file = normalize(first.file);
  return candidates.filter((c) => normalize(c.file) === file).length >= 2 ? first.file : undefined;
}
