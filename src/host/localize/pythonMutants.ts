// Mutants of a Python function run against the tests that reach it: ONE pytest run for all of them
// (dist/ducktrace_mutants.py collects the tests once, then per mutant compiles the mutated file text
// in memory, puts the function's new code object in place of the live one's, runs every test and
// restores it). The target file on disk is never touched and nothing is written beside it. Each
// test is bounded like the coverage run (lines of the target, per-test timeout); the run by a
// budget (the mutants left are skipped) and an overall timeout (the finished mutants still count:
// the runner writes one line per mutant as it ends).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mutant, MutantOutcome, MutantRun, MutantTestOutcome } from '../../core/localize/mutants';
import { runProcessTree } from '../process/processTree';
import { pythonEnv, pythonTracerDir } from '../tracers/pythonTracer';
import type { ResolvedTarget } from '../tracers/traceTarget';
import { tracedPytestArgs, type PythonSpectraOptions } from './pythonSpectra';

export const pythonMutantsModule = 'ducktrace_mutants';

export interface PythonMutantsOptions extends PythonSpectraOptions {
  /**
   * Time for the whole run, pytest's start-up included: once it is spent no further mutant
   * starts, and one under way is dropped; those are skipped as `budget`. None by default (the
   * run is still bounded by timeoutMs).
   */
  readonly budgetMs?: number;
}

/** One line of ducktrace_mutants.py's JSONL output. */
interface MutantLine {
  readonly index?: number;
  readonly mutant?: string;
  readonly tests?: Record<string, string>;
  readonly skipped?: string;
  readonly problem?: string;
}

/**
 * Runs `mutants` (edits of `target.source`, the target file's text) in the given order, each
 * against every test pytestArgs selects. Outcomes come back in the same order; a mutant that did
 * not run has `skipped` set (it did not compile, could not replace the function, the budget or
 * the run's time ran out, the run was cancelled).
 */
export async function runPythonMutants(target: ResolvedTarget, mutants: readonly Mutant[], options: PythonMutantsOptions): Promise<MutantRun> {
  if (mutants.length === 0) return { outcomes: [], elapsedMs: 0 };
  const invalid = new Map<number, string>();
  mutants.forEach((m, i) => {
    const reason = invalidEdit(target.source, m);
    if (reason) invalid.set(i, reason);
  });
  const runnable = mutants.map((m, i) => ({ m, i })).filter(({ i }) => !invalid.has(i));
  const lines = new Map<number, MutantLine>();
  const problems: string[] = [];
  let elapsedMs = 0;
  let ended: string | undefined;
  if (runnable.length > 0) {
    const dir = await mkdtemp(join(tmpdir(), 'ducktrace-mutants-'));
    try {
      const planFile = join(dir, 'plan.json');
      const mutantsFile = join(dir, 'mutants.json');
      const outFile = join(dir, 'mutants.jsonl');
      await writeFile(planFile, JSON.stringify(target.plan));
      const edits = codePointEdits(target.source, runnable.map(({ m }) => m));
      await writeFile(mutantsFile, JSON.stringify({ source: target.source, mutants: edits }));
      await writeFile(outFile, '');
      const python = options.python ?? 'python3';
      const args = tracedPytestArgs(pythonMutantsModule, ['--plan', planFile, '--mutants', mutantsFile, '--out', outFile, '--budget-ms', String(options.budgetMs ?? 0)], options);
      const env = pythonEnv({ env: options.env }, pythonTracerDir());
      const result = await runProcessTree(python, args, { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? 300_000, ...(options.signal ? { signal: options.signal } : {}) });
      elapsedMs = result.elapsedMs;
      for (const line of parseMutantLines(await readFile(outFile, 'utf8'))) {
        if (line.problem) problems.push(line.problem);
        else if (typeof line.index === 'number' && runnable[line.index]) lines.set(runnable[line.index]!.i, line);
      }
      if (result.startError) ended = `${python} did not start (${result.startError})`;
      else if (result.cancelled) ended = 'cancelled';
      else if (result.timedOut) ended = `the run's time limit (${options.timeoutMs ?? 300_000} ms) ended it first`;
      else if (lines.size < runnable.length) ended = `the run ended before it (exit code ${result.exitCode ?? result.signal})`;
      if (ended && ended !== 'cancelled') problems.push(`mutant run: ${ended}${tail(result.stderr || result.stdout)}`);
      else if (lines.size === 0 && result.exitCode !== 0) problems.push(`pytest exited with code ${result.exitCode}${tail(result.stdout + result.stderr)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const outcomes = mutants.map((m, i): MutantOutcome => {
    const bad = invalid.get(i);
    if (bad) return { mutant: m.id, tests: {}, skipped: bad };
    const line = lines.get(i);
    if (!line) return { mutant: m.id, tests: {}, skipped: ended ?? 'not run' };
    if (line.skipped) return { mutant: m.id, tests: {}, skipped: line.skipped };
    const tests: Record<string, MutantTestOutcome> = {};
    for (const [id, outcome] of Object.entries(line.tests ?? {})) tests[id] = outcome === 'passed' ? 'passed' : 'failed';
    return { mutant: m.id, tests };
  });
  return { outcomes, elapsedMs, ...(problems.length ? { problems } : {}) };
}

function invalidEdit(source: string, m: Mutant): string | undefined {
  const ok = Number.isInteger(m.start) && Number.isInteger(m.end) && m.start >= 0 && m.start <= m.end && m.end <= source.length;
  if (!ok) return `its edit (${m.start}..${m.end}) is outside the file's text (${source.length} characters)`;
  if (isInsidePair(source, m.start) || isInsidePair(source, m.end)) return `its edit (${m.start}..${m.end}) splits a character in two`;
  return undefined;
}

/** True when `offset` falls between the two halves of a surrogate pair. */
function isInsidePair(source: string, offset: number): boolean {
  const before = source.charCodeAt(offset - 1);
  const at = source.charCodeAt(offset);
  return before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff;
}

/** The edits with UTF-16 offsets turned into code point offsets (Python's string indices). */
export function codePointEdits(source: string, mutants: readonly Pick<Mutant, 'id' | 'start' | 'end' | 'replacement'>[]): { id: string; start: number; end: number; replacement: string }[] {
  const astral = /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(source);
  let toCodePoint = (offset: number) => offset;
  if (astral) {
    // Before each UTF-16 offset, how many pairs: prefix counts over the text, once.
    const pairsBefore = new Uint32Array(source.length + 1);
    for (let i = 0, pairs = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
        const p = source.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) pairs++;
      }
      pairsBefore[i + 1] = pairs;
    }
    toCodePoint = (offset) => offset - pairsBefore[offset]!;
  }
  return mutants.map((m) => ({ id: m.id, start: toCodePoint(m.start), end: toCodePoint(m.end), replacement: m.replacement }));
}

function parseMutantLines(text: string): MutantLine[] {
  const out: MutantLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === 'object') out.push(value as MutantLine);
    } catch {
      // A line torn by a kill: the mutant it was for did not finish.
    }
  }
  return out;
}

function tail(text: string): string {
  const t = text.trim();
  return t ? `: ${t.length > 600 ? `…${t.slice(-600)}` : t}` : '';
}
