// Block spectra of a Python function: one pytest run of the tests that reach it, under the coverage
// tracer (dist/ducktrace_spectra.py), which records per test the lines of the function that ran.
// A per-test timeout inside the run ends endless loops; an overall timeout kills the process tree,
// and the tests finished by then still count (the tracer writes one line per test as it ends).

import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseSpectraJsonl, spectrumOfRecord } from '../../core/localize/spectra';
import type { SpectraRun } from './spectraRun';
import { targetWords, testFilesMentioning } from './testFilesMentioning';
import { commandSegments } from '../../core/failures/commandLine';
import { runProcessTreeOrThrow } from '../process/processTree';
import { pythonEnv, pythonFlags, pythonTracerDir } from '../tracers/pythonTracer';
import type { ResolvedTarget } from '../tracers/traceTarget';

export const pythonSpectraModule = 'ducktrace_spectra';

export interface PythonSpectraOptions {
  readonly cwd: string;
  /** pytest's arguments selecting the tests (files, node ids, `-k ...`) and any others. */
  readonly pytestArgs: readonly string[];
  /** `python3` unless given. */
  readonly python?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Per-test limit: a test that hangs fails and the run goes on (default 10 s). */
  readonly testTimeoutSeconds?: number;
  /**
   * Lines of the target one test may run before it fails as timed out (default 1,000,000): an
   * endless loop stops at the same line on every run, whatever the machine's speed.
   */
  readonly maxLines?: number;
  /** The whole run's limit; the process tree is killed after it (default 5 minutes). */
  readonly timeoutMs?: number;
  /** Cancels the run: the process tree is killed. */
  readonly signal?: AbortSignal;
}

export type { SpectraRun } from './spectraRun';

export async function runPythonSpectra(target: ResolvedTarget, options: PythonSpectraOptions): Promise<SpectraRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-spectra-'));
  try {
    const planFile = join(dir, 'plan.json');
    const outFile = join(dir, 'spectra.jsonl');
    await writeFile(planFile, JSON.stringify(target.plan));
    await writeFile(outFile, '');
    const python = options.python ?? 'python3';
    const args = tracedPytestArgs(pythonSpectraModule, ['--plan', planFile, '--out', outFile], options);
    const env = pythonEnv({ env: options.env }, pythonTracerDir());
    const result = await runProcessTreeOrThrow(python, args, { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? 300_000, ...(options.signal ? { signal: options.signal } : {}) });
    const blockOrder = target.blocks.blocks.map((b) => b.id);
    const records = parseSpectraJsonl(await readFile(outFile, 'utf8'));
    return {
      spectra: records.map((r) => spectrumOfRecord(r, target.plan.lineBlocks, blockOrder)),
      records,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      stdout: result.stdout,
      stderr: result.stderr,
      elapsedMs: result.elapsedMs,
      command: [python, ...args],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The command line of one pytest run under one of Ducktrace's Python modules (the coverage mode,
 * the mutant runs): the module's own options and limits, then pytest's, plugins that would fork or
 * time the tests left out.
 */
export function tracedPytestArgs(module: string, moduleArgs: readonly string[], options: Pick<PythonSpectraOptions, 'testTimeoutSeconds' | 'maxLines' | 'pytestArgs'>): string[] {
  return [
    ...pythonFlags,
    '-m',
    module,
    ...moduleArgs,
    '--test-timeout',
    String(options.testTimeoutSeconds ?? 10),
    '--max-lines',
    String(options.maxLines ?? 1_000_000),
    '--',
    'pytest',
    '-p',
    'no:xdist',
    '-p',
    'no:benchmark',
    '-p',
    'no:cacheprovider',
    '-q',
    ...options.pytestArgs,
  ];
}

const skippedDirs = new Set(['node_modules', '__pycache__', 'site-packages', 'venv', 'env', 'build', 'dist']);

/**
 * Test files that mention the target's module or function by name (`test_*.py`, `*_test.py`), as
 * paths relative to `cwd`: the tests that can reach it. Empty when none does (run them all then).
 */
export async function pythonTestFilesReaching(cwd: string, targetFile: string, functionName: string, maxFiles = 5000): Promise<string[]> {
  const words = targetWords(targetFile, functionName, /\.py$/, /^\w+$/);
  const found = await testFilesMentioning(cwd, words, {
    skippedDirs,
    maxFiles,
    isTestFile: (name) => /^test_.*\.py$|_test\.py$/.test(name),
    // Driver scripts named *_test.py hold no tests: collecting them only risks import errors.
    accept: (text) => /^\s*(async\s+)?def test|^\s*class Test/m.test(text),
  });
  return found.map((path) => relative(cwd, path));
}

/** The words of a command line's first command (shell-quote: quotes and escapes respected). */
export function splitCommandLine(text: string): string[] {
  return commandSegments(text)[0]?.words.map((w) => w.text) ?? [];
}

/**
 * A pytest command (`pytest ARGS`, `python -m pytest ARGS`, `/path/python3 -m pytest ARGS`) as the
 * interpreter and pytest's arguments; a string saying why when it is not one.
 */
export function parsePytestCommand(command: string): { python?: string; pytestArgs: string[] } | string {
  const words = splitCommandLine(command);
  if (words[0] === 'pytest' || words[0] === 'py.test') return { pytestArgs: words.slice(1) };
  if (words[0] && /python[\d.]*(\.exe)?$/.test(basename(words[0])) && words[1] === '-m' && words[2] === 'pytest') {
    return { python: words[0], pytestArgs: words.slice(3) };
  }
  return `the test command must run pytest ('pytest ARGS' or 'python -m pytest ARGS'), not '${command}'`;
}
