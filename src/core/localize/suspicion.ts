// Which blocks of the target function most likely hold the bug, from the block spectra of the tests
// that reached it. Ochiai (ran in failing tests, seldom in passing ones) is the base; on top of it,
// evidence that measurably helped on QuixBugs (`npm run bench suspicion` prints the ablation):
//   - raised: the failure's exception left the function from this block. Not for a timeout (weight
//     raisedByTimeout, 0): the alarm stops the test wherever the endless loop happens to be, a coin
//     toss between the loop's blocks (recency keeps that signal, at tie-break strength);
//   - guard of a crash: when a test crashes (any exception except the runaway ones, a timeout or the
//     recursion limit), the nearest predicate dominating the crashing block (the nearest decision
//     every path into it passes through: the loop header or branch test that let control reach a
//     statement in a state it cannot handle, e.g. `while True:` before `queue.popleft()`) is blamed
//     ahead of the crashing block itself. A runaway failure keeps the blame on the block it stopped
//     in: the recursive call whose arguments do not shrink, the loop that does not end;
//   - feeds the result: for a wrong result (no exception), the block writes a name that the last
//     block to run reads (usually `return x`: the blocks that computed x);
//   - recency: among otherwise equal blocks, those that ran closer to the failure come first.
// With one failing test and no passing ones Ochiai is 1 for every block that ran, and the other
// evidence alone orders them. Tried and dropped:
//   - a bonus for the last block itself (no gain once recency is in);
//   - the guards of the blocks that feed a wrong result (top-1 25 -> 18-23 / 40: it lifts every
//     loop header; 28 -> 27 with branch tests only, though the lines to inspect improve);
//   - a block's share of the executions in failing vs passing runs (no gain);
//   - the guard for runaway failures too (top-1 28 -> 26-27 for guard 0.3-1: it moves the blame
//     off the recursive calls that are at fault);
//   - no guard when the crashing block is itself a predicate (within +-1 over six runs' spectra);
//   - no recency from timed-out tests either (top-1 26 on each of six runs' spectra: the loop's
//     blocks tie);
//   - DStar, Tarantula, Op2, Kulczynski2 or Jaccard in place of Ochiai (none better; DStar and
//     Tarantula worse).
//   - the failing call's backward data slice of its result (blocks whose writes reach the returned
//     value through the recorded steps) as evidence: worse on both benchmarks and the held-out
//     functions at every weight from 0.05 (QuixBugs 30 -> 29-26, HumanEvalFix JS 48 -> 47-45);
//   - the blocks that last wrote what a wrong-exit decision read (the decision right, its inputs
//     wrong): it lands on the buggy block in 2 of 16 HumanEvalFix JS programs where it applies,
//     top-1 52 -> 48-52 at 0.05-1;
//   - oneStep, connective and consistent (below, 0 by default): measured each time the bench runs
//     (its sweep rows); none wins on QuixBugs, HumanEvalFix JS and the held-out functions together;
//   - constantOnly (below, 0 by default): taking a little off blocks that only set literals or
//     return one helps HumanEvalFix JS (top-3 64 -> 68 at 0.05) and costs QuixBugs two programs
//     whose bug is such a return (`return []`, `return True`).

import type { Block } from '../blocks/basicBlocks';
import type { SourceRange } from '../blocks/positions';
import { namesRead, namesWritten, onlyConstants } from './blockDataFlow';
import { guards, innermostLoopHeader } from './controlFlow';
import { reachingTests, type TestSpectrum } from './spectra';
import type { BlockMutationEvidence } from './mutants';
import type { BlockValueEvidence } from './valueEvidence';

export interface SuspicionWeights {
  readonly raised: number;
  /** The same for a test stopped by the timeout: over six runs' spectra 0 gave top-1 27-28 / 40, 0.1 gave 26-29. */
  readonly raisedByTimeout: number;
  /**
   * Above raised (plus the Ochiai gap between a guard and its block) so the guard comes first; the
   * QuixBugs sweep is flat from 0.2 up on six runs' spectra (`npm run bench suspicion` prints it).
   */
  readonly guard: number;
  readonly feedsResult: number;
  /** Kept below the smallest Ochiai difference that matters: it breaks ties, it does not overrule. */
  readonly recency: number;
  /**
   * The guard of a crash on a name that does not exist (NameError, ReferenceError "x is not
   * defined"): the code at the crash is wrong, not the state it was reached in, so 0 by default.
   */
  readonly guardOfNameError: number;
  /** The header of the loop a runaway test (endless loop) was stopped in: the loop that does not end. */
  readonly runawayLoop: number;
  /**
   * Taken off a block that only sets names to literals or returns one (`out = []`, `return -1`):
   * among blocks the spectra cannot tell apart, those that compute something from the inputs first.
   */
  readonly constantOnly: number;
  /** Value evidence (valueEvidence.ts): a comparison met equal values, in failing more than in passing traced tests. */
  readonly boundary: number;
  /** Value evidence: after this block a returned variable first took a value the expected result excludes. */
  readonly deviation: number;
  /** Value evidence: the block wrote the variable the deviating value came from (valueEvidence.ts: origin). */
  readonly origin: number;
  /** Value evidence: the loop that wrote a result with the right elements in the wrong number (valueEvidence.ts: count). */
  readonly count: number;
  /** Value evidence: a branch that chose between a return of the wrong literal and one of the expected (valueEvidence.ts: wrong exit). */
  readonly wrongExit: number;
  /** Value evidence: the decision a runaway recursion stuck on a smallest input got past. */
  readonly baseCase: number;
  /** Value evidence: the block wrote other values than in a passing test from the same inputs. */
  readonly sameInputs: number;
  /** Value evidence: the failing call returned from this block while a variable held the expected value. */
  readonly expectedAtHand: number;
  /** Value evidence: the loop (and its deciding branch) that built a returned number one step past or short of the expected one. */
  readonly oneStep: number;
  /** Value evidence, taken off: the block wrote in the failing test what passing tests wrote from the same inputs. */
  readonly consistent: number;
  /** Value evidence: the failing call returned from this block a list element whose neighbour is the expected value. */
  readonly neighbour: number;
  /** Value evidence: an and/or of the condition had one side true and one false, in failing more than in passing traced tests. */
  readonly connective: number;
  /**
   * Mutation evidence (mutants.ts): the block's best mutant turned failing tests to passing without
   * breaking passing ones. 0.5: first place summed over both benchmarks is best from 0.5 up
   * (QuixBugs 31, HumanEvalFix JS 56); QuixBugs alone peaks at 0.1 (32), HumanEvalFix JS at 1 (57).
   */
  readonly mutant: number;
}

export const defaultSuspicionWeights: SuspicionWeights = {
  raised: 0.1,
  raisedByTimeout: 0,
  guard: 0.3,
  feedsResult: 0.05,
  recency: 0.001,
  guardOfNameError: 0,
  runawayLoop: 0,
  constantOnly: 0,
  boundary: 0.3,
  deviation: 0,
  origin: 0.3,
  count: 0.3,
  wrongExit: 0.5,
  baseCase: 0.3,
  sameInputs: 0.3,
  expectedAtHand: 0,
  oneStep: 0,
  consistent: 0,
  neighbour: 0.3,
  connective: 0,
  mutant: 0.5,
};

/** Value evidence for the ranking, and how many failing and passing tests were traced for it. */
export interface ValueEvidenceInput {
  readonly blocks: ReadonlyMap<string, BlockValueEvidence>;
  readonly tracedFailing: number;
  readonly tracedPassing: number;
}

export interface BlockEvidence {
  /** Failing / passing tests that ran the block. */
  readonly failed: number;
  readonly passed: number;
  readonly ochiai: number;
  /** Failing tests whose exception left the function from this block. */
  readonly raised: number;
  /** Failing tests that crashed in a block this block guards (its nearest dominating predicate). */
  readonly guard: number;
  /** Failing tests (wrong result) in which this block wrote a name the last block read. */
  readonly feedsResult: number;
  /** Names behind `feedsResult`. */
  readonly resultNames: readonly string[];
  /** Mean over failing tests of 1/(position among blocks by last execution, latest first). */
  readonly recency: number;
  /** Failing tests stopped by the timeout while this block was running. */
  readonly timedOut: number;
  /** Failing tests that crashed on a missing name in a block this block guards. */
  readonly guardOfNameError: number;
  /** Failing runaway tests stopped inside the loop this block is the header of. */
  readonly runawayLoop: number;
  /** From the traced tests, when the ranking had any. */
  readonly values?: BlockValueEvidence;
  /** From the mutant runs, when the ranking had any. */
  readonly mutation?: BlockMutationEvidence;
}

export interface SuspiciousBlock {
  readonly id: string;
  readonly range: SourceRange;
  readonly score: number;
  /** 1 = most suspicious; tied blocks share a rank (1, 1, 3). */
  readonly rank: number;
  /** Score over the best score, 0..1: what a heat mark's intensity should follow. */
  readonly heat: number;
  /** One line for the hover. */
  readonly reason: string;
  readonly evidence: BlockEvidence;
}

export interface SuspicionSummary {
  readonly failingTests: number;
  readonly passingTests: number;
  readonly blocks: SuspiciousBlock[];
}

const epsilon = 1e-9;

/** Ranks every block of the function, best first; blocks no failing test ran score 0. */
export function rankSuspiciousBlocks(
  blocks: readonly Block[],
  spectra: readonly TestSpectrum[],
  weights: Partial<SuspicionWeights> = {},
  values?: ValueEvidenceInput,
  mutation?: ReadonlyMap<string, BlockMutationEvidence>,
): SuspicionSummary {
  const w = { ...defaultSuspicionWeights, ...weights };
  const tests = reachingTests(spectra);
  const failing = tests.filter((t) => t.outcome === 'failed');
  const passing = tests.filter((t) => t.outcome === 'passed');
  const textOf = new Map(blocks.map((b) => [b.id, b.text]));
  const written = new Map(blocks.map((b) => [b.id, namesWritten(b.text)]));
  const guardOf = guards(blocks);

  const acc = new Map(blocks.map((b) => [b.id, { failed: 0, passed: 0, raised: 0, guard: 0, feedsResult: 0, names: new Set<string>(), recency: 0, timedOut: 0, guardOfNameError: 0, runawayLoop: 0 }]));
  for (const t of passing) for (const id of t.blocks) if (acc.has(id)) acc.get(id)!.passed++;
  for (const t of failing) {
    for (const id of t.blocks) if (acc.has(id)) acc.get(id)!.failed++;
    t.recency?.forEach((id, i) => {
      const a = acc.get(id);
      if (a) a.recency += 1 / (i + 1) / failing.length;
    });
    if (t.timedOut) {
      const header = innermostLoopHeader(blocks, t.raisedBlock ?? t.lastBlock);
      if (header && acc.has(header)) acc.get(header)!.runawayLoop++;
    }
    const raised = t.raisedBlock && acc.get(t.raisedBlock);
    if (raised) {
      raised.raised++;
      if (t.timedOut) raised.timedOut++;
      const guard = !isRunaway(t) && guardOf.get(t.raisedBlock!);
      if (guard && acc.has(guard)) {
        if (isMissingName(t)) acc.get(guard)!.guardOfNameError++;
        else acc.get(guard)!.guard++;
      }
    } else if (t.lastBlock && textOf.has(t.lastBlock)) {
      const read = namesRead(textOf.get(t.lastBlock)!);
      for (const id of t.blocks) {
        if (id === t.lastBlock) continue;
        const names = [...(written.get(id) ?? [])].filter((n) => read.has(n));
        if (names.length) {
          const a = acc.get(id)!;
          a.feedsResult++;
          for (const n of names) a.names.add(n);
        }
      }
    }
  }

  const F = failing.length;
  const scored = blocks.map((block, order) => {
    const a = acc.get(block.id)!;
    const ochiai = a.failed === 0 ? 0 : a.failed / Math.sqrt(F * (a.failed + a.passed));
    const v = values?.blocks.get(block.id);
    const spectral =
      w.raised * (a.raised - a.timedOut) +
      w.raisedByTimeout * a.timedOut +
      w.guard * a.guard +
      w.guardOfNameError * a.guardOfNameError +
      w.runawayLoop * a.runawayLoop +
      w.feedsResult * a.feedsResult +
      w.recency * a.recency * F;
    const constant = onlyConstants(block.text);
    const m = mutation?.get(block.id);
    const score = a.failed === 0 ? 0 : ochiai + spectral / F + (v && values ? valueScore(v, values, w) : 0) - (constant ? w.constantOnly : 0) + w.mutant * (m?.score ?? 0);
    const evidence: BlockEvidence = {
      failed: a.failed,
      passed: a.passed,
      ochiai: round(ochiai),
      raised: a.raised,
      guard: a.guard,
      feedsResult: a.feedsResult,
      resultNames: [...a.names],
      recency: round(a.recency),
      timedOut: a.timedOut,
      guardOfNameError: a.guardOfNameError,
      runawayLoop: a.runawayLoop,
      ...(v ? { values: v } : {}),
      ...(m ? { mutation: m } : {}),
    };
    return { block, order, score, evidence };
  });
  scored.sort((x, y) => y.score - x.score || x.order - y.order);
  const best = scored[0]?.score ?? 0;
  const ranked: SuspiciousBlock[] = [];
  scored.forEach((s, i) => {
    const previous = ranked[i - 1];
    const rank = previous && Math.abs(scored[i - 1]!.score - s.score) < epsilon ? previous.rank : i + 1;
    ranked.push({
      id: s.block.id,
      range: s.block.range,
      score: round(s.score),
      rank,
      heat: best > 0 ? round(s.score / best) : 0,
      reason: reasonFor(s.evidence, F, passing.length, w),
      evidence: s.evidence,
    });
  });
  return { failingTests: F, passingTests: passing.length, blocks: ranked };
}

/** The value evidence's share of a block's score: each kind over the traced tests it was counted in. */
function valueScore(v: BlockValueEvidence, values: ValueEvidenceInput, w: SuspicionWeights): number {
  const failing = Math.max(1, values.tracedFailing);
  const passing = values.tracedPassing;
  const boundary = Math.max(0, v.boundaryFailed / failing - (passing ? v.boundaryPassed / passing : 0));
  // Only where a passing traced test read the same and/or too: its sides agreeing there is the contrast.
  const connective = v.connectiveSeenPassing ? Math.max(0, v.connectiveFailed / failing - v.connectivePassed / Math.max(1, passing)) : 0;
  return w.boundary * boundary + w.connective * connective + (w.deviation * v.deviation + w.origin * v.origin + w.count * v.count + w.wrongExit * v.wrongExit + w.baseCase * v.baseCase + w.sameInputs * v.sameInputs + w.expectedAtHand * v.expectedAtHand + w.oneStep * v.oneStep + w.neighbour * v.neighbour - w.consistent * v.consistent) / failing;
}

/** A crash on a name that does not exist: the code at the crash is wrong, whatever the state. */
export function isMissingName(t: Pick<TestSpectrum, 'message'>): boolean {
  return /^(NameError|UnboundLocalError)\b|^(ReferenceError: )?\S+ is not defined\b|^ReferenceError\b/.test(t.message ?? '');
}

/**
 * A failure that is about repetition rather than a bad state: stopped by the per-test timeout, or by
 * the recursion limit (Python's RecursionError, JavaScript's "Maximum call stack size exceeded").
 */
export function isRunaway(t: Pick<TestSpectrum, 'timedOut' | 'message'>): boolean {
  return Boolean(t.timedOut) || /^RecursionError\b|Maximum call stack size exceeded/.test(t.message ?? '');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line a person reads in a hover: the counts first, then the extra evidence. */
export function reasonFor(e: BlockEvidence, failing: number, passing: number, w: SuspicionWeights = defaultSuspicionWeights): string {
  if (failing === 0) return 'no failing test reached this function';
  if (e.failed === 0) return `not run by any of the ${plural(failing, 'failing test')}`;
  const parts = [
    `ran in ${e.failed} of ${plural(failing, 'failing test')}` + (passing > 0 ? ` and ${e.passed} of ${passing} passing` : ' (no passing test reached the function)'),
  ];
  if (e.passed === 0 && passing > 0) parts.push('only failing tests run it');
  if (e.timedOut) parts.push(`${plural(e.timedOut, 'test')} timed out here (endless loop?)`);
  if (e.raised > e.timedOut) parts.push(`the exception left the function here in ${plural(e.raised - e.timedOut, 'failing test')}`);
  if (e.guard) parts.push(`the last decision before the crash in ${plural(e.guard, 'failing test')}`);
  // The value evidence and the optional kinds are named only when they count in the score.
  if (e.runawayLoop && w.runawayLoop) parts.push(`the loop ${plural(e.runawayLoop, 'failing test')} never left`);
  if (e.feedsResult) parts.push(`writes ${e.resultNames.map((n) => `\`${n}\``).join(', ')}, which the wrong result is made of`);
  const v = e.values;
  if (v?.deviation && w.deviation) parts.push(`after it \`${v.deviationName}\` first took a value the expected result rules out`);
  if (v?.origin && w.origin) parts.push(`it wrote \`${v.originName}\`, which the wrong value in the result came from`);
  if (v?.count && w.count) parts.push('the loop that wrote the result ran too few or too many times: its elements are right, their number is not');
  if (v?.wrongExit && w.wrongExit) parts.push('it chose between a return of the wrong value and one that hands back the expected value');
  if (v?.boundaryFailed && w.boundary) parts.push(`\`${v.boundaryText}\` compared equal values in a failing test${v.boundaryPassed ? ' (in a passing one too)' : ''}, where < and <= differ`);
  if (v?.baseCase && w.baseCase) parts.push('the runaway recursion got past this decision on its smallest input');
  if (v?.sameInputs && w.sameInputs) parts.push('from the same inputs it wrote other values in a failing test than in a passing one');
  if (v?.expectedAtHand && w.expectedAtHand) parts.push('the failing call returned from here while a variable held the expected value');
  if (v?.oneStep && w.oneStep) parts.push('the returned number is one step of this loop past or short of the expected one');
  if (v?.neighbour && w.neighbour) parts.push('it returned an element of a list whose neighbour is the expected value (an index one off?)');
  if (v?.connectiveFailed && w.connective) parts.push(`its and/or had one side true and the other false in a failing test${v.connectivePassed ? ' (in a passing one too)' : ''}, where and and or decide differently`);
  if (v?.consistent && w.consistent) parts.push('in the failing test it wrote what it wrote in a passing one from the same inputs (less suspicious)');
  const best = e.mutation?.best;
  if (best && w.mutant) parts.push(`with ${best.description} here, ${best.fixed} of ${plural(failing, 'failing test')} pass${best.fixed === 1 ? 'es' : ''}${passing ? (best.broke ? ` and ${best.broke} passing fail` : ', no passing test breaks') : ''}`);
  return parts.join('; ');
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
