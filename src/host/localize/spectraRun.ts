// What one coverage run of the tests that reach a function produced, whatever the language: the
// spectra the ranking reads, the raw per-line records (line-level baselines in the benchmark), and
// the run itself for messages and cost figures.

import type { RawSpectrumRecord, TestSpectrum } from '../../core/localize/spectra';

export interface SpectraRun {
  readonly spectra: TestSpectrum[];
  /** Per test, the lines of the function that ran, for line-level comparisons (benchmarks). */
  readonly records: RawSpectrumRecord[];
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
  /** The command(s) that ran the tests, one per runner and project. */
  readonly command: readonly string[];
  /** Run-level problems in plain words (a runner that could not start, a report that was not written). */
  readonly problems?: readonly string[];
}
