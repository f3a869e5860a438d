// Iterate Until Green's ports over the file system and the test runners of one folder: what the
// CLI's `fix` and the benchmark drive. The loop's rules stay in src/core/loop; this only says how
// to run the tests, ask for a fix (the shared diagnosis pipeline), and read and write files.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { isConventionalTestFile } from '../../core/blocks/targetFinder';
import type { PromptTrace } from '../../core/duck/prompt';
import type { FixProposal, LoopFailure, LoopPorts, TestRun } from '../../core/loop/iterateUntilGreen';
import type { ModelClient } from '../../core/modelClient';
import type { Framework, TestFailure, TestRunReport } from '../../core/failures/testFailure';
import type { TraceBudget } from '../../core/trace/traceModel';
import { diagnoseFailure, fixProposalOf, type DiagnoseEvent, type DiagnoseResult } from '../duck/diagnoseFailure';
import { NodeSourceFiles } from '../nodeSourceFiles';
import { runFolder } from '../runners/testService';
import { toPromptTrace } from '../../core/trace/promptTrace';
import { traceTest } from '../tracers/traceTest';
import { TreeSitterParser } from '../treeSitter';

export interface FsLoopOptions {
  /** The project folder: tests run here, and targets must lie inside it. */
  readonly cwd: string;
  readonly framework: Framework | 'auto';
  /** Per-test timeout of every run (QuixBugs-style endless loops fail instead of hanging). */
  readonly testTimeoutMs: number;
  readonly python?: string;
  /** Folder holding ducktrace_pytest.py and the node reporter (default: found above this file). */
  readonly helpersDir?: string;
  readonly model: () => Promise<ModelClient>;
  /** Only these tests are the loop's scope (a pytest node id, a test name, a test file); others are ignored unless the loop breaks them. */
  readonly only?: string;
  /** True: a proposal is written to disk. False: `review` refuses (the CLI's dry run never calls the loop). */
  readonly write: boolean;
  readonly allowTestEdits?: boolean;
  /** Record runtime values for the prompt (Python targets); on by default. */
  readonly trace?: boolean;
  readonly traceBudget?: Partial<TraceBudget>;
  readonly parser?: SourceParser;
  readonly files?: SourceFiles;
  readonly onDiagnose?: (failure: LoopFailure, event: DiagnoseEvent) => void;
  /** Every test run's report, e.g. for a benchmark's timing. */
  readonly onRun?: (reports: readonly TestRunReport[], ms: number) => void;
}

export interface FsLoopPorts extends LoopPorts {
  /** The checkpoint file while the loop holds originals (crash safety). */
  readonly checkpointFile: string;
  /** The TestFailure behind a loop failure, from the latest run. */
  failureOf(testId: string): TestFailure | undefined;
  /** The last diagnosis, for callers that show more than the loop records. */
  lastDiagnosis(): DiagnoseResult | undefined;
  /** Removes the checkpoint: call when the loop is over (its originals are then in the summary). */
  dispose(): Promise<void>;
}

export function createFsLoopPorts(options: FsLoopOptions): FsLoopPorts {
  const cwd = options.cwd;
  const files = options.files ?? new NodeSourceFiles();
  let parser = options.parser;
  const helpersDir = options.helpersDir ?? findHelpersDir();
  const python = options.python ?? 'python3';
  const latest = new Map<string, TestFailure>();
  let baselineFailing: Set<string> | undefined;
  let last: DiagnoseResult | undefined;
  const checkpointDir = join(tmpdir(), 'ducktrace-checkpoints');
  const checkpointFile = join(checkpointDir, `${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}.json`);
  const checkpoints: Record<string, string> = {};

  const inScope = (f: { testId: string; name: string; file: string }) => !options.only || matchesTest(options.only, f, cwd);

  return {
    checkpointFile,
    failureOf: (testId) => latest.get(testId),
    lastDiagnosis: () => last,

    async runTests(signal): Promise<TestRun> {
      const started = Date.now();
      const { projects, reports } = await runFolder(cwd, options.framework, { helpersDir, python, testTimeoutMs: options.testTimeoutMs, signal });
      options.onRun?.(reports, Date.now() - started);
      if (projects.length === 0) throw new Error(`no test framework found in ${cwd} (looked for pytest, node --test, jest and vitest; use --framework to choose one)`);
      if (reports.every((r) => r.results.length === 0)) throw new Error(reports.flatMap((r) => r.problems).join('\n') || 'no tests ran');
      const results = reports.flatMap((r) => r.results);
      const failing = results.filter((r) => r.failure);
      // Out-of-scope tests that already failed stay out of the loop; one the loop breaks comes in.
      baselineFailing ??= new Set(failing.filter((r) => !inScope(r)).map((r) => r.testId));
      latest.clear();
      const failures: LoopFailure[] = [];
      for (const r of failing) {
        if (!inScope(r) && baselineFailing.has(r.testId)) continue;
        const f = r.failure!;
        latest.set(f.testId, f);
        failures.push({ testId: f.testId, name: f.name, file: f.file, message: f.message, stack: f.stack.map((s) => ({ file: s.file, line: s.line })) });
      }
      return { failures, passed: results.filter((r) => r.outcome === 'passed').map((r) => r.testId) };
    },

    async propose(failure, notes, signal): Promise<FixProposal> {
      const full = latest.get(failure.testId);
      parser ??= new TreeSitterParser();
      const result = await diagnoseFailure({
        failure: full ?? { ...failure, line: 0 },
        roots: [cwd],
        files,
        parser,
        model: options.model,
        notes,
        signal,
        trace: options.trace === false ? undefined : (target) => traceFor(target.file, target.functionName, failure.testId, signal),
        onEvent: options.onDiagnose ? (e) => options.onDiagnose!(failure, e) : undefined,
      });
      last = result;
      return fixProposalOf(result);
    },

    readFile: (file) => readFile(file, 'utf8'),
    writeFile: atomicWrite,

    async review(file, newText): Promise<string> {
      // The CLI's dry run shows proposals without the loop; reaching here without --write is a bug.
      if (!options.write) throw new Error('refusing to write without --write');
      await atomicWrite(file, newText);
      return newText;
    },

    isTestFile: (file) => isConventionalTestFile(file, [cwd]),
    mayEditTests: async () => options.allowTestEdits === true,

    async checkpoint(file, original): Promise<void> {
      checkpoints[file] = original;
      mkdirSync(checkpointDir, { recursive: true });
      await atomicWrite(checkpointFile, JSON.stringify({ cwd, pid: process.pid, started: new Date().toISOString(), originals: checkpoints }, null, 1));
    },

    async dispose(): Promise<void> {
      // A checkpoint folder that could not be made (ENOTDIR...) must not hide how the loop ended.
      await rm(checkpointFile, { force: true }).catch(() => undefined);
    },
  };

  async function traceFor(file: string, functionName: string, testId: string, signal: AbortSignal | undefined): Promise<PromptTrace | undefined> {
    if (signal?.aborted) return undefined;
    // `FILE::SUITE::NAME` relative to cwd: pytest's node id, and what the JavaScript tracer takes
    // (jest and vitest select by the full name, node's runner by the test's own name).
    const test = pytestNodeId(testId, cwd);
    const budget = { timeoutMs: Math.max(10_000, options.testTimeoutMs * 3), ...options.traceBudget };
    const run = await traceTest({ cwd, test, target: { file, function: functionName }, python, budget });
    return toPromptTrace(run.trace);
  }
}

/** `<abs file>::<suite>::<name>` -> pytest's node id relative to the folder pytest runs in. */
export function pytestNodeId(testId: string, cwd: string): string {
  const [file, ...rest] = testId.split('::');
  if (!file || !isAbsolute(file)) return testId;
  return [relative(cwd, file).split('\\').join('/'), ...rest].join('::');
}

/** Whether `--test TEST` names this test: its node id (or a prefix of it: a file, a class), its name, or its id. */
export function matchesTest(selector: string, test: { testId: string; name: string; file: string }, cwd: string): boolean {
  const wanted = selector.replace(/\\/g, '/').replace(/^\.\//, '');
  const nodeId = pytestNodeId(test.testId, cwd);
  if (test.testId === selector || nodeId === wanted || test.name === selector) return true;
  // A parametrised test by its bare name, or everything under a file or a class.
  return test.name.startsWith(`${selector}[`) || nodeId.startsWith(`${wanted}::`) || nodeId.startsWith(`${wanted}[`);
}


/** Temp file beside the target, then rename: a crash never leaves a half-written source file. */
export async function atomicWrite(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.ducktrace-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  try {
    await writeFile(temp, text, 'utf8');
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** dist/ (CLI bundle) or the repository's dist/ above out/ (unit tests): where ducktrace_pytest.py is. */
export function findHelpersDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'ducktrace_pytest.py'))) return dir;
    if (existsSync(join(dir, 'dist', 'ducktrace_pytest.py'))) return join(dir, 'dist');
    if (dirname(dir) === dir) return from;
  }
}
