// Tracing overhead: the same failing test (bench/fixtures/overhead: a 4,000-iteration loop in the
// target calling ordinary helpers, and the test's own untraced work) run plain, under the tracer
// (values per block) and under the coverage mode (blocks per test), on Python 3.11 (sys.settrace)
// and 3.12 / 3.13 (sys.monitoring) when pyenv has them. Wall time of the whole pytest process,
// the fastest of 7 interleaved runs of each (on a shared machine the fastest run is the one least
// disturbed by others), as ratios to the plain run; peak RSS extra (medians) over the plain run.
// Targets: 3.12+ ≤ 1.3×, 3.11 ≤ 2.5×, ≤ 50 MiB extra.
//
// JavaScript under node's test runner (bench/fixtures/overhead-js, the same program): traceTest
// (instrumenting in this process, the run, reading the trace back) against runJavaScriptTestUntraced
// on the same failing test, median of 5 interleaved runs; peak RSS of the largest process of each
// run through the same wrapper. Target ≤ 1.5×, ≤ 50 MiB extra.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { defaultTraceBudget } from '../src/core/trace/traceModel';
import { runJavaScriptTestUntraced } from '../src/host/tracers/jsTracer';
import { runProcessTree } from '../src/host/process/processTree';
import { pythonTracerDir } from '../src/host/tracers/pythonTracer';
import { traceTest } from '../src/host/tracers/traceTest';
import { resolveTarget } from '../src/host/tracers/traceTarget';
import type { BenchSection, Figure } from './benchTypes';

// Runs the command and prints its wall time and peak RSS (KiB) as the last line of stderr.
const measure =
  'import resource, subprocess, sys, time\n' +
  't = time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n' +
  'sys.stderr.write("%f %d\\n" % (time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))';

interface Sample {
  readonly seconds: number;
  readonly kib: number;
}

export const tracingOverheadBench: BenchSection = {
  name: 'tracing',
  async run({ repoRoot }) {
    const cwd = join(repoRoot, 'bench/fixtures/overhead');
    const pytestArgs = ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-p', 'no:hypothesispytest', '-p', 'no:xdist', 'test_scoring.py'];
    const sitePackages = spawnSync('python3', ['-c', 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))'], { encoding: 'utf8' }).stdout.trim();
    const pythons: [string, string, string][] = [
      ['py311', 'python3', 'sys.settrace'],
      ['py312', '/root/.pyenv/versions/3.12.1/bin/python', 'sys.monitoring'],
      ['py313', '/root/.pyenv/versions/3.13.0/bin/python', 'sys.monitoring'],
    ];
    const target = await resolveTarget(cwd, { file: 'scoring.py', function: 'score' });
    const dir = await mkdtemp(join(tmpdir(), 'ducktrace-overhead-'));
    const figures: Figure[] = [];
    try {
      const plan = join(dir, 'plan.json');
      await writeFile(plan, JSON.stringify({ ...target.plan, budget: defaultTraceBudget }));
      const env = (extra: string) => ({ ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: [pythonTracerDir(), extra].filter(Boolean).join(delimiter) });
      for (const [key, python, backend] of pythons) {
        if (python !== 'python3' && !existsSync(python)) {
          figures.push({ key: `${key}.tracedRatio`, label: `${key}: tracer overhead`, value: null, note: `skipped: no ${python}` });
          continue;
        }
        const extra = python === 'python3' ? '' : sitePackages;
        const modes: Record<string, string[]> = {
          plain: pytestArgs,
          traced: ['-m', 'ducktrace_tracer', '--plan', plan, '--out', join(dir, `${key}.trace.json`), '--', 'pytest', ...pytestArgs.slice(2)],
          coverage: ['-m', 'ducktrace_spectra', '--plan', plan, '--out', join(dir, `${key}.jsonl`), '--', 'pytest', ...pytestArgs.slice(2)],
        };
        const samples: Record<string, Sample[]> = { plain: [], traced: [], coverage: [] };
        for (let round = 0; round < rounds; round++) {
          for (const [mode, args] of Object.entries(modes)) {
            const r = await runProcessTree(python, ['-c', measure, python, ...args], { cwd, env: env(extra), timeoutMs: 120_000 });
            const [seconds, kib] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
            samples[mode]!.push({ seconds: seconds!, kib: kib! });
          }
        }
        const med = (mode: string, f: (s: Sample) => number) => median(samples[mode]!.map(f));
        const fastest = (mode: string) => Math.min(...samples[mode]!.map((s) => s.seconds));
        const plain = fastest('plain');
        const target = backend === 'sys.settrace' ? '≤ 2.5×' : '≤ 1.3×';
        figures.push({ key: `${key}.plainSeconds`, label: `${key}: plain pytest run of the failing test`, value: round(plain), unit: 's' });
        figures.push({ key: `${key}.tracedRatio`, label: `${key}: tracer (${backend}) / plain`, value: round(fastest('traced') / plain), unit: '×', target, note: `median ratio ${round(med('traced', (s) => s.seconds) / med('plain', (s) => s.seconds))}` });
        figures.push({ key: `${key}.coverageRatio`, label: `${key}: coverage mode (${backend}) / plain`, value: round(fastest('coverage') / plain), unit: '×', target, note: `median ratio ${round(med('coverage', (s) => s.seconds) / med('plain', (s) => s.seconds))}` });
        const plainMiB = med('plain', (s) => s.kib) / 1024;
        figures.push({ key: `${key}.tracedExtraMiB`, label: `${key}: tracer peak memory extra`, value: round(med('traced', (s) => s.kib) / 1024 - plainMiB), unit: 'MiB', target: '≤ 50 MiB' });
        figures.push({ key: `${key}.coverageExtraMiB`, label: `${key}: coverage mode peak memory extra`, value: round(med('coverage', (s) => s.kib) / 1024 - plainMiB), unit: 'MiB', target: '≤ 50 MiB' });
      }
      figures.push(...(await javaScriptOverhead(join(repoRoot, 'bench/fixtures/overhead-js'), dir)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return figures;
  },
};

/** node's test runner: the traced / untraced wall time and the peak memory extra. */
async function javaScriptOverhead(cwd: string, dir: string): Promise<Figure[]> {
  // `node` for both runs is this wrapper: it runs node and prints its peak RSS (KiB) last on stderr.
  const measurePy = join(dir, 'measure.py');
  await writeFile(measurePy, 'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:])\nsys.stderr.write("\\n%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)\n');
  const node = join(dir, 'node-measured');
  await writeFile(node, `#!/bin/sh\nexec python3 ${JSON.stringify(measurePy)} ${JSON.stringify(process.execPath)} "$@"\n`);
  await chmod(node, 0o755);
  const test = 'scoring.test.js::score';
  const kibOf = (stderr: string) => Number(stderr.trim().split('\n').pop());
  const samples: Record<'plain' | 'traced', Sample[]> = { plain: [], traced: [] };
  // One traced run first: tree-sitter's grammar loads once per process, not per trace.
  await traceTest({ cwd, test, target: { file: 'scoring.js', function: 'score' }, node });
  for (let round = 0; round < rounds; round++) {
    let t = performance.now();
    const plain = await runJavaScriptTestUntraced({ cwd, test, node });
    samples.plain.push({ seconds: (performance.now() - t) / 1000, kib: kibOf(plain.stderr) });
    t = performance.now();
    const traced = await traceTest({ cwd, test, target: { file: 'scoring.js', function: 'score' }, node });
    samples.traced.push({ seconds: (performance.now() - t) / 1000, kib: kibOf(traced.stderr) });
    if (traced.trace.calls.length !== 1 || plain.exitCode !== traced.exitCode) throw new Error(`node:test tracing: ${traced.trace.calls.length} calls, exit codes ${plain.exitCode} / ${traced.exitCode}`);
  }
  const med = (mode: 'plain' | 'traced', f: (s: Sample) => number) => median(samples[mode].map(f));
  const fastest = (mode: 'plain' | 'traced') => Math.min(...samples[mode].map((s) => s.seconds));
  const plain = fastest('plain');
  return [
    { key: 'jsNode.plainSeconds', label: 'js (node:test): plain run of the failing test', value: round(plain), unit: 's' },
    { key: 'jsNode.tracedRatio', label: 'js (node:test): tracer / plain', value: round(fastest('traced') / plain), unit: '×', target: '≤ 1.5×', note: `median ratio ${round(med('traced', (s) => s.seconds) / med('plain', (s) => s.seconds))}` },
    { key: 'jsNode.tracedExtraMiB', label: 'js (node:test): tracer peak memory extra', value: round((med('traced', (s) => s.kib) - med('plain', (s) => s.kib)) / 1024), unit: 'MiB', target: '≤ 50 MiB' },
  ];
}

/** Interleaved runs of each mode: the ratios compare the fastest of each. */
const rounds = 7;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const round = (x: number) => Math.round(x * 100) / 100;
