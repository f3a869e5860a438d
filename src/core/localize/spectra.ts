// Block spectra: for each test that reached the target function, which of its blocks ran, and what
// the failure looked like from inside the function. Built from the coverage tracers' records: per
// line for Python (`ducktrace_spectra.py`, with the plan's line -> block map), per block for
// JavaScript (jsCoverage.ts); plain data for the scorer.

import type { Block } from '../blocks/basicBlocks';
import { lastLineOf } from '../trace/tracePlan';

export type SpectrumOutcome = 'passed' | 'failed' | 'skipped';

export interface TestSpectrum {
  readonly testId: string;
  readonly outcome: SpectrumOutcome;
  /** Blocks executed at least once, in block order. */
  readonly blocks: readonly string[];
  /** Block -> how many times it ran (its most executed line's count). */
  readonly hits?: Readonly<Record<string, number>>;
  /** Executed blocks by when they last ran, the most recent first. */
  readonly recency?: readonly string[];
  /** The block where the failure's exception left the function (innermost frame of the target). */
  readonly raisedBlock?: string;
  /** The last block of the function that ran during the test. */
  readonly lastBlock?: string;
  /** The test was stopped by the per-test timeout (an endless loop, most likely). */
  readonly timedOut?: boolean;
  readonly message?: string;
  /** The expected value, when the runner's report gives it apart from the message. */
  readonly expected?: string;
}

/** One line of the coverage tracer's JSONL output. */
export interface RawSpectrumRecord {
  readonly test: string;
  readonly outcome: string;
  /** Line -> [times executed, sequence number of its last execution]. */
  readonly lines: Readonly<Record<string, readonly [number, number]>>;
  readonly raisedLine?: number | null;
  readonly lastLine?: number | null;
  readonly timedOut?: boolean;
  readonly message?: string;
}

/** Converts one raw record to block terms; lines outside every block (the `def` line) are ignored. */
export function spectrumOfRecord(record: RawSpectrumRecord, lineBlocks: Readonly<Record<string, string>>, blockOrder: readonly string[]): TestSpectrum {
  const counts: Record<string, [number, number]> = {};
  for (const [line, [count, seq]] of Object.entries(record.lines ?? {})) {
    const block = lineBlocks[line];
    if (!block) continue;
    const c = (counts[block] ??= [0, 0]);
    c[0] = Math.max(c[0], count);
    c[1] = Math.max(c[1], seq);
  }
  const outcome: SpectrumOutcome = record.outcome === 'failed' || record.outcome === 'skipped' ? record.outcome : 'passed';
  const raisedBlock = record.raisedLine != null ? lineBlocks[String(record.raisedLine)] : undefined;
  return spectrumOfBlockCounts({
    testId: record.test,
    outcome,
    counts,
    blockOrder,
    ...(raisedBlock ? { raisedBlock } : {}),
    ...(record.timedOut ? { timedOut: true } : {}),
    ...(record.message ? { message: record.message } : {}),
  });
}

/** What a coverage tracer saw of one test, per block. */
export interface BlockCounts {
  readonly testId: string;
  readonly outcome: SpectrumOutcome;
  /** Block id -> [times it ran, the sequence number of its last run within the test]. */
  readonly counts: Readonly<Record<string, readonly [number, number]>>;
  readonly blockOrder: readonly string[];
  readonly raisedBlock?: string;
  readonly timedOut?: boolean;
  readonly message?: string;
  readonly expected?: string;
}

/** A test's spectrum from its per-block counts; the last block is the one that ran last. */
export function spectrumOfBlockCounts(b: BlockCounts): TestSpectrum {
  const blocks = b.blockOrder.filter((id) => (b.counts[id]?.[0] ?? 0) > 0);
  const hits = Object.fromEntries(blocks.map((id) => [id, b.counts[id]![0]]));
  const recency = [...blocks].sort((x, y) => b.counts[y]![1] - b.counts[x]![1]);
  return {
    testId: b.testId,
    outcome: b.outcome,
    blocks,
    hits,
    recency,
    ...(b.raisedBlock ? { raisedBlock: b.raisedBlock } : {}),
    ...(recency[0] ? { lastBlock: recency[0] } : {}),
    ...(b.timedOut ? { timedOut: true } : {}),
    ...(b.message ? { message: b.message } : {}),
    ...(b.expected !== undefined ? { expected: b.expected } : {}),
  };
}

/**
 * The block holding a 1-based line and column (a stack frame's position); without a column, or
 * when the column falls between blocks, the first block on that line.
 */
export function blockAtPosition(blocks: readonly Block[], line: number, column?: number): Block | undefined {
  const onLine = blocks.filter((b) => b.range.start.line <= line && line <= lastLineOf(b));
  if (column !== undefined) {
    const c = column - 1;
    const inside = onLine.find((b) => {
      const { start, end } = b.range;
      const afterStart = line > start.line || c >= start.character;
      const beforeEnd = line < end.line || c < end.character;
      return afterStart && beforeEnd;
    });
    if (inside) return inside;
  }
  return onLine[0];
}

/** Parses the tracer's JSONL; a torn last line (the run was killed mid-write) is skipped. */
export function parseSpectraJsonl(text: string): RawSpectrumRecord[] {
  const out: RawSpectrumRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as RawSpectrumRecord;
      if (value && typeof value.test === 'string') out.push(value);
    } catch {
      // the process was killed while writing this line
    }
  }
  return out;
}

/** The tests that ran at least one block of the target: the only ones that say anything about it. */
export function reachingTests(spectra: readonly TestSpectrum[]): TestSpectrum[] {
  return spectra.filter((s) => s.outcome !== 'skipped' && s.blocks.length > 0);
}
