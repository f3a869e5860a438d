// Runs one Python test under Ducktrace's tracer (dist/ducktrace_tracer.py) and reads the trace
// back. The test runs in the tracer's process (`python -m ducktrace_tracer ... -- pytest ...`), so
// its output and exit code are the test's own. Only the selected test runs: pytest's node id, or
// `-k` for a name filter.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { applyTraceBudget, settleRunEnd, type RawTrace } from '../../core/trace/traceBudget';
import type { Trace } from '../../core/trace/traceModel';
import { runProcessTreeOrThrow, type ProcessTreeResult } from '../process/processTree';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import type { ResolvedTarget } from './traceTarget';

export const pythonTracerModule = 'ducktrace_tracer';
/** The tracer's exit code when it stopped the program (step budget, or told to stop at the time limit). */
export const tracerStoppedExitCode = 124;
/** How long a tracer told to stop (SIGTERM) has to write its trace before its process tree is killed. */
export const tracerStopGraceMs = 5000;

/** The trace file a tracer left, or undefined when there is none (or only a torn one). */
export async function readRawTrace(file: string): Promise<RawTrace | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RawTrace;
  } catch {
    return undefined;
  }
}

/** The folder holding ducktrace_tracer.py: dist/ in the extension and CLI, the source folder in unit tests. */
export function pythonTracerDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'dist'), join(dir, 'src', 'host', 'tracers', 'python')]) {
      if (existsSync(join(candidate, `${pythonTracerModule}.py`))) return candidate;
    }
    if (existsSync(join(dir, `${pythonTracerModule}.py`))) return dir;
    if (dirname(dir) === dir) throw new Error(`${pythonTracerModule}.py not found above ${from}: run 'npm run build'`);
  }
}

export interface PythonTestOptions {
  readonly cwd: string;
  /** A pytest node id (`tests/test_x.py::test_y[1]`), a test file, or a `-k` expression. */
  readonly test: string;
  /** `python3` unless given. */
  readonly python?: string;
  /** More pytest arguments, e.g. `--runslow`. */
  readonly pytestArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Cancels the run: the tracer is told to stop and its trace so far comes back. */
  readonly signal?: AbortSignal;
  /** Runs the traced test fenced (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
}

/** pytest's arguments for one test; plugins that fork or repeat tests are off, nothing is cached. */
export function pytestArgsFor(test: string, extra: readonly string[] = []): string[] {
  const looksLikeId = test.includes('::') || /\.py$/.test(test) || test.includes('/') || test.includes('\\');
  return ['-p', 'no:xdist', '-p', 'no:benchmark', '-p', 'no:cacheprovider', '-q', ...extra, ...(looksLikeId ? [test] : ['-k', test])];
}

/**
 * The interpreter's flags for every Python run Ducktrace makes (traced, coverage, census): no .pyc
 * files written into the project (`-B`), output unbuffered so a killed run still shows it (`-u`).
 * Flags, not PYTHONDONTWRITEBYTECODE / PYTHONUNBUFFERED: the tests would see those.
 */
export const pythonFlags: readonly string[] = ['-B', '-u'];

/**
 * The test's environment: the user's, with Ducktrace's Python helpers (the tracer folder) on
 * PYTHONPATH when given. Nothing else the tests could see (see pythonFlags).
 */
export function pythonEnv(options: Pick<PythonTestOptions, 'env'>, tracerDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (tracerDir) env.PYTHONPATH = [tracerDir, env.PYTHONPATH].filter(Boolean).join(delimiter);
  return env;
}

export interface TraceRun {
  readonly trace: Trace;
  /** The test's exit code (pytest's), or the tracer's 124 when it stopped the program. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
  readonly command: readonly string[];
}

/** The same test without the tracer: what a benchmark compares a traced run against. */
export async function runPythonTestUntraced(options: PythonTestOptions, timeoutMs = 60_000): Promise<ProcessTreeResult> {
  const python = options.python ?? 'python3';
  return runProcessTreeOrThrow(python, [...pythonFlags, '-m', 'pytest', ...pytestArgsFor(options.test, options.pytestArgs)], { cwd: options.cwd, env: pythonEnv(options), timeoutMs });
}

export async function tracePythonTest(target: ResolvedTarget, options: PythonTestOptions): Promise<TraceRun> {
  const budget = target.plan.budget;
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-trace-'));
  try {
    const planFile = join(dir, 'plan.json');
    const outFile = join(dir, 'trace.json');
    await writeFile(planFile, JSON.stringify(target.plan));
    const python = options.python ?? 'python3';
    const args = [
      ...pythonFlags,
      '-m',
      pythonTracerModule,
      '--plan',
      planFile,
      '--out',
      outFile,
      '--',
      'pytest',
      ...pytestArgsFor(options.test, options.pytestArgs),
    ];
    // One clock for the time limit, ours: when it is over, SIGTERM tells the tracer to write what
    // it has and end; it gets a few seconds before the kill (a checkpoint covers even that).
    const sandbox = withWritable(options.sandbox, dir);
    const result = await runProcessTreeOrThrow(python, args, {
      cwd: options.cwd,
      env: pythonEnv(options, pythonTracerDir()),
      timeoutMs: budget.timeoutMs,
      stopGraceMs: tracerStopGraceMs,
      signal: options.signal,
      ...(sandbox ? { sandbox } : {}),
    });
    const raw = settleRunEnd(await readRawTrace(outFile), result);
    const trace = applyTraceBudget(raw, { file: target.file, function: target.blocks.function.name, language: target.language }, budget, result.elapsedMs);
    return { trace, exitCode: result.exitCode, timedOut: result.timedOut, stdout: result.stdout, stderr: result.stderr, elapsedMs: result.elapsedMs, command: [python, ...args] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
