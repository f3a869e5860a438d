// Suspicious blocks on the 40 QuixBugs programs: one coverage run per program (the test file that
// mentions it, per-test timeout), then the ranking, with plain block Ochiai, line-level Ochiai and
// the ablations scored from the same spectra. The target is the function holding the known buggy
// line (function-level localisation is assumed, as in the tracer's QuixBugs test).
// Figures: top-1 / top-3 hit rates of a block holding a buggy line, and lines to inspect (the lines
// of every block ranked at or above the first buggy block, ties counted pessimistically). The one
// tuned weight (the guard's) gets a sweep and a 5-fold leave-out check in the same run.

import { join } from 'node:path';
import type { Block } from '../src/core/blocks/basicBlocks';
import { reachingTests, type RawSpectrumRecord, type TestSpectrum } from '../src/core/localize/spectra';
import { rankSuspiciousBlocks, type SuspicionWeights } from '../src/core/localize/suspicion';
import { lastLineOf } from '../src/core/trace/tracePlan';
import { pythonTestFilesReaching, runPythonSpectra } from '../src/host/localize/pythonSpectra';
import { resolveTarget } from '../src/host/tracers/traceTarget';
import type { BenchSection, Figure } from './benchTypes';
import { bugLines, quixbugsDir } from './quixbugs';

interface ProgramSpectra {
  readonly program: string;
  readonly blocks: readonly Block[];
  readonly bugLines: readonly number[];
  readonly spectra: readonly TestSpectrum[];
  readonly records: readonly RawSpectrumRecord[];
  readonly elapsedMs: number;
}

const variants: Readonly<Record<string, Partial<SuspicionWeights>>> = {
  ochiai: { raised: 0, guard: 0, feedsResult: 0, recency: 0 },
  ochiaiRaised: { guard: 0, feedsResult: 0, recency: 0 },
  ochiaiGuard: { raised: 0, feedsResult: 0, recency: 0 },
  ochiaiFeedsResult: { raised: 0, guard: 0, recency: 0 },
  ochiaiRecency: { raised: 0, guard: 0, feedsResult: 0 },
  withoutRaised: { raised: 0 },
  withoutGuard: { guard: 0 },
  withoutFeedsResult: { feedsResult: 0 },
  withoutRecency: { recency: 0 },
  withRaisedByTimeout: { raisedByTimeout: 0.1 },
  before: { guard: 0, raisedByTimeout: 0.1 },
  full: {},
};

/** The guard weights the sweep and the leave-out check try (the default is 0.3). */
const guardGrid = [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2];
const folds = 5;

export const suspicionBench: BenchSection = {
  name: 'suspicion',
  async run({ repoRoot }) {
    const dir = quixbugsDir(repoRoot);
    if (!dir) return [{ key: 'quixbugs.top1', label: 'suspicion on QuixBugs', value: null, note: 'skipped: ../shared/bench/quixbugs not found' }];
    const bugs = bugLines(dir);
    const programs = Object.keys(bugs);
    const collected = await inParallel(programs, 2, async (program): Promise<ProgramSpectra> => {
      const file = join('python_programs', `${program}.py`);
      const target = await resolveTarget(dir, { file, function: String(bugs[program]![0]) });
      const files = await pythonTestFilesReaching(dir, file, target.blocks.function.name);
      // Hypothesis's plugin takes a second to import and QuixBugs does not use it.
      // Endless loops are cut by the coverage mode's line budget (the same place on every run); the
      // per-test alarm is only a backstop for tests that hang outside the target.
      const run = await runPythonSpectra(target, { cwd: dir, pytestArgs: ['-p', 'no:hypothesispytest', ...files], testTimeoutSeconds: 20, timeoutMs: 300_000 });
      return { program, blocks: target.blocks.blocks, bugLines: bugs[program]!, spectra: run.spectra, records: run.records, elapsedMs: run.elapsedMs };
    });

    const figures: Figure[] = [];
    const n = collected.length;
    for (const [name, weights] of Object.entries(variants)) {
      const outcomes = collected.map((p) => blockOutcome(p, weights));
      const prefix = name === 'full' ? 'quixbugs' : `quixbugs.${name}`;
      const label =
        name === 'full'
          ? 'suspicious blocks'
          : name === 'ochiai'
            ? 'baseline: plain block Ochiai'
            : name === 'before'
              ? 'before (no guard; timeouts counted as raised)'
              : `ablation: ${name}`;
      const top = (k: number) => outcomes.filter((o) => o.position <= k).length;
      figures.push({ key: `${prefix}.top1`, label: `${label}: buggy block first`, value: top(1), unit: `/ ${n}`, ...(name === 'full' ? { target: '≥ 28 / 40' } : {}) });
      figures.push({ key: `${prefix}.top3`, label: `${label}: buggy block in top 3`, value: top(3), unit: `/ ${n}` });
      figures.push({
        key: `${prefix}.medianLinesToInspect`,
        label: `${label}: median lines to inspect`,
        value: median(outcomes.map((o) => o.lines)),
        unit: 'lines',
        ...(name === 'full' ? { target: '≤ 3' } : {}),
      });
      if (name === 'full') {
        const misses = collected.filter((_, i) => outcomes[i]!.position > 1).map((p) => p.program);
        figures.push({ key: `${prefix}.notFirst`, label: 'programs whose buggy block is not first', value: misses.length, note: misses.join(' ') });
      }
    }
    // The guard weight is the one tuned constant: its sweep, and a leave-out check (pick the weight
    // on 4/5 of the programs, count the held-out fifth) to see that it does not fit a few programs.
    const firstWith = (weights: Partial<SuspicionWeights>, ps: readonly ProgramSpectra[]) => ps.filter((p) => blockOutcome(p, weights).position <= 1).length;
    figures.push({
      key: 'quixbugs.guardSweep',
      label: 'guard weight sweep: buggy block first',
      value: guardGrid.map((g) => `${g}:${firstWith({ guard: g }, collected)}`).join(' '),
    });
    let heldOut = 0;
    const picked: number[] = [];
    for (let k = 0; k < folds; k++) {
      const train = collected.filter((_, i) => i % folds !== k);
      const test = collected.filter((_, i) => i % folds === k);
      const scores = guardGrid.map((g) => firstWith({ guard: g }, train));
      const g = guardGrid[scores.indexOf(Math.max(...scores))]!; // the smallest of the best
      picked.push(g);
      heldOut += firstWith({ guard: g }, test);
    }
    figures.push({
      key: 'quixbugs.guardLeaveOut.top1',
      label: `guard weight picked on 4/${folds} of the programs: held-out buggy block first`,
      value: heldOut,
      unit: `/ ${n}`,
      note: `picked ${picked.join(', ')}`,
    });
    const lineRanks = collected.map(lineOchiaiRank);
    figures.push({ key: 'quixbugs.lineOchiai.top1', label: 'baseline: line Ochiai, buggy line first', value: lineRanks.filter((r) => r <= 1).length, unit: `/ ${n}`, note: 'anchor 7 / 40' });
    figures.push({ key: 'quixbugs.lineOchiai.top3', label: 'baseline: line Ochiai, buggy line in top 3', value: lineRanks.filter((r) => r <= 3).length, unit: `/ ${n}`, note: 'anchor 14 / 40' });
    figures.push({ key: 'quixbugs.lineOchiai.medianRank', label: 'baseline: line Ochiai, median rank of the buggy line', value: median(lineRanks), note: 'anchor 5.5' });
    const times = collected.map((p) => p.elapsedMs);
    figures.push({ key: 'quixbugs.coverageRunMsMedian', label: 'coverage run per program (median)', value: median(times), unit: 'ms' });
    figures.push({ key: 'quixbugs.tests', label: 'tests that reached their target', value: collected.reduce((s, p) => s + reachingTests(p.spectra).length, 0) });
    return figures;
  },
};

/** Where the first buggy block lands (pessimistic: last of its tie group) and the lines up to it. */
function blockOutcome(p: ProgramSpectra, weights: Partial<SuspicionWeights>): { position: number; lines: number } {
  const ranked = rankSuspiciousBlocks(p.blocks, p.spectra, weights).blocks;
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

/** The anchor's measure: Ochiai per line over the same tests, pessimistic rank of the best buggy line. */
function lineOchiaiRank(p: ProgramSpectra): number {
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

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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
