// The JavaScript tracer's overhead on small real functions: every HumanEvalFix-JS task under
// node's test runner. Per task, interleaved rounds of four runs: the task's test file plain and in
// the coverage mode (runJsSpectra: instrumenting in this process, the run, reading the spectra
// back), and one failing test plain and under the value tracer (traceTest, the same way). Each
// ratio is the fastest traced run over the fastest plain one of that task (on a shared machine the
// fastest run is the least disturbed); the figures are the median and the 90th percentile over the
// tasks. Peak memory: the largest process of each run (a wrapper around node reports its peak RSS),
// traced minus plain, the median over rounds; the largest such extra over the tasks is printed.
// A task whose plain test file never ends (a test loops forever; the coverage mode stops it at the
// block budget, a plain run only at the time limit, its wrapper killed with it) has no plain
// figure to compare with: it is left out of the coverage ratio and memory and named. For those the
// coverage run's peak at the default budget is compared with its peak at a tenth of it: memory
// that grew with the blocks run would show there.

import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJsSpectra } from '../src/host/localize/jsSpectra';
import { runProcessTree } from '../src/host/process/processTree';
import { defaultMaxBlocksPerTest } from '../src/host/tracers/js/jsCoverage';
import { runJavaScriptTestUntraced } from '../src/host/tracers/jsTracer';
import { traceTest } from '../src/host/tracers/traceTest';
import { resolveTarget } from '../src/host/tracers/traceTarget';
import type { BenchSection, Figure } from './benchTypes';
import { humanEvalFixDir, humanEvalFixTasks } from './suspicionJsBench';
import { median } from './suspicionScoring';

const rounds = 3;

interface TaskOverhead {
  readonly task: string;
  /** NaN when the plain run of the test file did not end. */
  readonly coverage: number;
  readonly traced: number;
  readonly coverageExtraMiB: number;
  readonly tracedExtraMiB: number;
}

export const jsOverheadBench: BenchSection = {
  name: 'tracingJs',
  async run({ repoRoot }) {
    const dir = humanEvalFixDir(repoRoot);
    if (!dir) return [{ key: 'humanevalfix.tracedRatio', label: 'JS tracer overhead on HumanEvalFix-JS', value: null, note: 'skipped: ../shared/bench/humanevalfix-js not found' }];
    const scratch = await mkdtemp(join(tmpdir(), 'ducktrace-jsoverhead-'));
    try {
      const measurePy = join(scratch, 'measure.py');
      await writeFile(measurePy, 'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:])\nsys.stderr.write("\\n%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)\n');
      const node = join(scratch, 'node-measured');
      await writeFile(node, `#!/bin/sh\nexec python3 ${JSON.stringify(measurePy)} ${JSON.stringify(process.execPath)} "$@"\n`);
      await chmod(node, 0o755);
      // The wrapper's last line; a run killed at its time limit (the wrapper with it) has none.
      const kibOf = (run: { stderr: string; timedOut: boolean }) => {
        const last = run.stderr.trim().split('\n').pop() ?? '';
        return !run.timedOut && /^\d+$/.test(last) ? Number(last) : NaN;
      };
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const results: TaskOverhead[] = [];
      const neverEnding: { task: string; budgetExtraMiB: number }[] = [];
      for (const task of humanEvalFixTasks(dir)) {
        const cwd = join(dir, 'tasks', task.task);
        const spec = { file: 'solution.js', function: String(task.bug_lines[0]) };
        const target = await resolveTarget(cwd, spec);
        // The first run also learns a failing test to trace (and loads the grammars once).
        const first = await runJsSpectra(target, { cwd, testFiles: ['solution.test.js'], node });
        const failing = first.spectra.find((s) => s.outcome === 'failed' && s.blocks.length > 0 && !s.timedOut);
        if (!failing) continue;
        const test = `solution.test.js::${failing.testId.split('::').pop()}`;
        const samples = { plainFile: [] as number[][], coverage: [] as number[][], plainTest: [] as number[][], traced: [] as number[][] };
        let plainEnds = true;
        for (let r = 0; r < rounds; r++) {
          let t = performance.now();
          if (plainEnds) {
            const plainFile = await runProcessTree(node, ['--test', 'solution.test.js'], { cwd, env, timeoutMs: 120_000 });
            plainEnds = !plainFile.timedOut;
            samples.plainFile.push([performance.now() - t, kibOf(plainFile)]);
          }
          t = performance.now();
          const coverage = await runJsSpectra(target, { cwd, testFiles: ['solution.test.js'], node });
          samples.coverage.push([performance.now() - t, kibOf(coverage)]);
          t = performance.now();
          const plainTest = await runJavaScriptTestUntraced({ cwd, test, node });
          samples.plainTest.push([performance.now() - t, kibOf(plainTest)]);
          t = performance.now();
          const traced = await traceTest({ cwd, test, target: spec, node });
          samples.traced.push([performance.now() - t, kibOf(traced)]);
        }
        const fastest = (s: number[][]) => Math.min(...s.map((x) => x[0]!));
        const mem = (s: number[][]) => median(s.map((x) => x[1]!).filter((x) => !Number.isNaN(x))) / 1024;
        if (!plainEnds) {
          // The same coverage run with a tenth of the block budget: what the blocks run cost in memory.
          const tenth = await runJsSpectra(target, { cwd, testFiles: ['solution.test.js'], node, maxBlocksPerTest: defaultMaxBlocksPerTest / 10 });
          neverEnding.push({ task: task.task, budgetExtraMiB: mem(samples.coverage) - kibOf(tenth) / 1024 });
        }
        results.push({
          task: task.task,
          coverage: plainEnds ? fastest(samples.coverage) / fastest(samples.plainFile) : NaN,
          traced: fastest(samples.traced) / fastest(samples.plainTest),
          coverageExtraMiB: plainEnds ? mem(samples.coverage) - mem(samples.plainFile) : NaN,
          tracedExtraMiB: mem(samples.traced) - mem(samples.plainTest),
        });
      }
      const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;
      const worstOf = (ts: TaskOverhead[], pick: (t: TaskOverhead) => number) => ts.reduce((m, t) => (pick(t) > pick(m) ? t : m), ts[0]!);
      // The coverage figures leave out the tasks whose plain run never ends (no plain figure to compare).
      const comparable = results.filter((t) => !Number.isNaN(t.coverage));
      const leftOut = neverEnding.length ? `; left out, their plain run never ends (a test loops forever): ${neverEnding.map((t) => t.task).join(', ')}` : '';
      const figures: Figure[] = [
        { key: 'humanevalfix.tasks', label: 'JS tracer overhead: HumanEvalFix-JS tasks measured (node:test)', value: results.length },
        { key: 'humanevalfix.tracedRatio', label: 'JS value tracer / plain run of one failing test (median over tasks)', value: round(median(results.map((t) => t.traced))), unit: '×', target: '≤ 1.3×', note: `p90 ${round(p90(results.map((t) => t.traced)))}×; fastest of ${rounds} interleaved runs per task` },
        { key: 'humanevalfix.coverageRatio', label: 'JS coverage mode / plain run of the test file (median over tasks)', value: round(median(comparable.map((t) => t.coverage))), unit: '×', target: '≤ 1.15×', note: `p90 ${round(p90(comparable.map((t) => t.coverage)))}× over ${comparable.length} tasks${leftOut}` },
      ];
      if (results.length) {
        const wt = worstOf(results, (t) => t.tracedExtraMiB);
        const wc = worstOf(comparable, (t) => t.coverageExtraMiB);
        figures.push({ key: 'humanevalfix.tracedExtraMiB', label: 'JS value tracer peak memory extra (median over tasks)', value: round(median(results.map((t) => t.tracedExtraMiB))), unit: 'MiB', target: '≤ 50 MiB', note: `largest ${round(wt.tracedExtraMiB)} MiB (task ${wt.task})` });
        figures.push({ key: 'humanevalfix.coverageExtraMiB', label: 'JS coverage mode peak memory extra (median over tasks)', value: round(median(comparable.map((t) => t.coverageExtraMiB))), unit: 'MiB', target: '≤ 50 MiB', note: `largest ${round(wc.coverageExtraMiB)} MiB (task ${wc.task})${leftOut}` });
      }
      for (const t of neverEnding) {
        figures.push({ key: `humanevalfix.budgetExtraMiB.${t.task}`, label: `JS coverage mode, task ${t.task} (tests loop until the block budget): peak at ${defaultMaxBlocksPerTest.toLocaleString('en-US')} blocks per test minus peak at a tenth of it`, value: round(t.budgetExtraMiB), unit: 'MiB' });
      }
      return figures;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

const round = (x: number) => Math.round(x * 100) / 100;
