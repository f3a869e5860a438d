// Block spectra: for each test that reached the target function, which of its blocks ran, and what
// the failure looked like from inside the function. Built from the coverage tracer's per-line
// records (`ducktrace_spectra.py`) with the plan's line -> block map; plain data for the scorer.

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
  const hits: Record<string, number> = {};
  const last: Record<string, number> = {};
  for (const [line, [count, seq]] of Object.entries(record.lines ?? {})) {
    const block = lineBlocks[line];
    if (!block) continue;
    hits[block] = Math.max(hits[block] ?? 0, count);
    last[block] = Math.max(last[block] ?? 0, seq);
  }
  const blocks = blockOrder.filter((id) => id in hits);
  const outcome: SpectrumOutcome = record.outcome === 'failed' || record.outcome === 'skipped' ? record.outcome : 'passed';
  const raisedBlock = record.raisedLine != null ? lineBlocks[String(record.raisedLine)] : undefined;
  const lastBlock = record.lastLine != null ? lineBlocks[String(record.lastLine)] : undefined;
  return {
    testId: record.test,
    outcome,
    blocks,
    hits,
    recency: [...blocks].sort((a, b) => last[b]! - last[a]!),
    ...(raisedBlock ? { raisedBlock } : {}),
    ...(lastBlock ? { lastBlock } : {}),
    ...(record.timedOut ? { timedOut: true } : {}),
    ...(record.message ? { message: record.message } : {}),
  };
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
