// Which blocks of the target function most likely hold the bug, from the block spectra of the tests
// that reached it. Ochiai (ran in failing tests, seldom in passing ones) is the base; on top of it,
// evidence that measurably helped on QuixBugs (`npm run bench suspicion` prints the ablation):
//   - raised: the failure's exception left the function from this block;
//   - feeds the result: for a wrong result (no exception), the block writes a name that the last
//     block to run reads (usually `return x`: the blocks that computed x);
//   - recency: among otherwise equal blocks, those that ran closer to the failure come first.
// With one failing test and no passing ones Ochiai is 1 for every block that ran, and the other
// evidence alone orders them. Tried and dropped (no gain once recency is in): a bonus for the last
// block itself.

import type { Block } from '../blocks/basicBlocks';
import type { SourceRange } from '../blocks/positions';
import { namesRead, namesWritten } from './blockDataFlow';
import { reachingTests, type TestSpectrum } from './spectra';

export interface SuspicionWeights {
  readonly raised: number;
  readonly feedsResult: number;
  /** Kept below the smallest Ochiai difference that matters: it breaks ties, it does not overrule. */
  readonly recency: number;
}

export const defaultSuspicionWeights: SuspicionWeights = { raised: 0.1, feedsResult: 0.05, recency: 0.001 };

export interface BlockEvidence {
  /** Failing / passing tests that ran the block. */
  readonly failed: number;
  readonly passed: number;
  readonly ochiai: number;
  /** Failing tests whose exception left the function from this block. */
  readonly raised: number;
  /** Failing tests (wrong result) in which this block wrote a name the last block read. */
  readonly feedsResult: number;
  /** Names behind `feedsResult`. */
  readonly resultNames: readonly string[];
  /** Mean over failing tests of 1/(position among blocks by last execution, latest first). */
  readonly recency: number;
  /** Failing tests stopped by the timeout while this block was running. */
  readonly timedOut: number;
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
): SuspicionSummary {
  const w = { ...defaultSuspicionWeights, ...weights };
  const tests = reachingTests(spectra);
  const failing = tests.filter((t) => t.outcome === 'failed');
  const passing = tests.filter((t) => t.outcome === 'passed');
  const textOf = new Map(blocks.map((b) => [b.id, b.text]));
  const written = new Map(blocks.map((b) => [b.id, namesWritten(b.text)]));

  const acc = new Map(blocks.map((b) => [b.id, { failed: 0, passed: 0, raised: 0, feedsResult: 0, names: new Set<string>(), recency: 0, timedOut: 0 }]));
  for (const t of passing) for (const id of t.blocks) if (acc.has(id)) acc.get(id)!.passed++;
  for (const t of failing) {
    for (const id of t.blocks) if (acc.has(id)) acc.get(id)!.failed++;
    t.recency?.forEach((id, i) => {
      const a = acc.get(id);
      if (a) a.recency += 1 / (i + 1) / failing.length;
    });
    const raised = t.raisedBlock && acc.get(t.raisedBlock);
    if (raised) {
      raised.raised++;
      if (t.timedOut) raised.timedOut++;
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
    const score = a.failed === 0 ? 0 : ochiai + (w.raised * a.raised + w.feedsResult * a.feedsResult + w.recency * a.recency * F) / F;
    const evidence: BlockEvidence = {
      failed: a.failed,
      passed: a.passed,
      ochiai: round(ochiai),
      raised: a.raised,
      feedsResult: a.feedsResult,
      resultNames: [...a.names],
      recency: round(a.recency),
      timedOut: a.timedOut,
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
      reason: reasonFor(s.evidence, F, passing.length),
      evidence: s.evidence,
    });
  });
  return { failingTests: F, passingTests: passing.length, blocks: ranked };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line a person reads in a hover: the counts first, then the extra evidence. */
export function reasonFor(e: BlockEvidence, failing: number, passing: number): string {
  if (failing === 0) return 'no failing test reached this function';
  if (e.failed === 0) return `not run by any of the ${plural(failing, 'failing test')}`;
  const parts = [
    `ran in ${e.failed} of ${plural(failing, 'failing test')}` + (passing > 0 ? ` and ${e.passed} of ${passing} passing` : ' (no passing test reached the function)'),
  ];
  if (e.passed === 0 && passing > 0) parts.push('only failing tests run it');
  if (e.timedOut) parts.push(`${plural(e.timedOut, 'test')} timed out here (endless loop?)`);
  if (e.raised > e.timedOut) parts.push(`the exception left the function here in ${plural(e.raised - e.timedOut, 'failing test')}`);
  if (e.feedsResult) parts.push(`writes ${e.resultNames.map((n) => `\`${n}\``).join(', ')}, which the wrong result is made of`);
  return parts.join('; ');
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
