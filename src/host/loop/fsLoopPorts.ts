// Iterate Until Green's ports over the file system and the test runners of one folder: what the
// CLI's `fix` and `explain` and the benchmark drive. The loop's rules stay in src/core/loop; this
// only says how to run the tests (fenced by the sandbox once a model's change is on disk), ask for
// a fix (the shared diagnosis pipeline), and read and write files.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { isWithin } from '../../core/blocks/moduleResolution';
import { isConventionalTestFile } from '../../core/blocks/targetFinder';
import { defaultNeverSend } from '../../core/duck/redaction';
import type { PromptTrace } from '../../core/duck/prompt';
import type { FixProposal, LoopPorts } from '../../core/loop/iterateUntilGreen';
import { testFileOutcomes, testRunOf, type LoopFailure, type TestRun } from '../../core/loop/testRun';
import type { ModelClient } from '../../core/modelClient';
import type { Framework, TestRunReport } from '../../core/failures/testFailure';
import { matchesTest, traceSelector } from '../../core/failures/testSelectors';
import type { TraceBudget } from '../../core/trace/traceModel';
import { diagnoseFailure, fixProposalOf, type DiagnoseEvent, type DiagnoseResult, type NamedTarget } from '../duck/diagnoseFailure';
import { NodeSourceFiles } from '../nodeSourceFiles';
import type { SandboxSpec } from '../process/sandbox';
import { findTestProjects, type TestProject } from '../runners/projects';
import { runFolder, runProject, type RunOptions } from '../runners/testService';
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
  /** Run only this test file (relative to cwd), not the whole folder: for diagnosing one test (`explain`), never for the loop. */
  readonly runOnlyFile?: string;
  /** The function to blame for every failure (`--target`); found from each failure when absent. */
  readonly target?: NamedTarget;
  /** True: a proposal is written to disk. False: `review` refuses (the CLI's dry run never calls the loop). */
  readonly write: boolean;
  readonly allowTestEdits?: boolean;
  /** Record runtime values for the prompt (Python targets); on by default. */
  readonly trace?: boolean;
  readonly traceBudget?: Partial<TraceBudget>;
  /** Files never sent to a model (globs); default: the editor setting's default list. */
  readonly neverSend?: readonly string[];
  /** Values redacted from every prompt besides the workspace's .env values (the API key). */
  readonly secretValues?: readonly string[];
  /** Fences every test run and trace after the first model change is written (bubblewrap). */
  readonly sandbox?: SandboxSpec;
  /** Replies above this many UTF-8 bytes are refused unread (the endpoint's cap; default 1 MB). */
  readonly maxReplyBytes?: number;
  readonly parser?: SourceParser;
  readonly files?: SourceFiles;
  readonly onDiagnose?: (failure: LoopFailure, event: DiagnoseEvent) => void;
  /** Every test run's report, e.g. for a benchmark's timing. */
  readonly onRun?: (reports: readonly TestRunReport[], ms: number) => void;
}

export interface FsLoopPorts extends LoopPorts {
  /** The checkpoint file while the loop holds originals (crash safety). */
  readonly checkpointFile: string;
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
  let baselineFailing: Set<string> | undefined;
  let last: DiagnoseResult | undefined;
  // Once a model's change is on disk, every run executes code the model wrote: fence it.
  let modelChanged = false;
  const sandbox = () => (modelChanged ? options.sandbox : undefined);
  const checkpointDir = join(tmpdir(), 'ducktrace-checkpoints');
  const checkpointFile = join(checkpointDir, `${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}.json`);
  const checkpoints: Record<string, string> = {};

  const inScope = (f: { testId: string; name: string; file: string }) => !options.only || matchesTest(options.only, f, cwd);

  return {
    checkpointFile,
    lastDiagnosis: () => last,

    async runTests(signal): Promise<TestRun> {
      const started = Date.now();
      const fence = sandbox();
      const runOptions: RunOptions = { helpersDir, python, testTimeoutMs: options.testTimeoutMs, signal, ...(fence ? { sandbox: fence } : {}) };
      const { projects, reports } = options.runOnlyFile ? await runOneFile(cwd, options.framework, options.runOnlyFile, runOptions) : await runFolder(cwd, options.framework, runOptions);
      options.onRun?.(reports, Date.now() - started);
      if (projects.length === 0) throw new Error(`no test framework found in ${cwd} (looked for pytest, node --test, jest and vitest; use --framework to choose one)`);
      if (reports.every((r) => r.results.length === 0)) throw new Error(reports.flatMap((r) => r.problems).join('\n') || 'no tests ran');
      const results = reports.flatMap((r) => r.results);
      // Out-of-scope tests that already failed stay out of the loop; one the loop breaks comes in.
      baselineFailing ??= new Set(results.filter((r) => r.failure && !inScope(r)).map((r) => r.testId));
      const run = testRunOf(results);
      return { ...run, failures: run.failures.filter((f) => inScope(f) || !baselineFailing!.has(f.testId)) };
    },

    async propose(failure, notes, signal, checked, run): Promise<FixProposal> {
      parser ??= new TreeSitterParser();
      const result = await diagnoseFailure({
        failure,
        ...(options.target ? { target: options.target } : {}),
        roots: [cwd],
        files,
        parser,
        model: options.model,
        notes,
        ...(checked?.length ? { skip: checked } : {}),
        signal,
        neverSend: options.neverSend ?? defaultNeverSend,
        secretValues: options.secretValues,
        ...(options.maxReplyBytes ? { maxReplyBytes: options.maxReplyBytes } : {}),
        // Unsure from the code alone, the finder may run the failing test once to see what ran.
        locate: {
          // How each test file fared: the finder ranks its candidates by it when unsure.
          ...(run ? { outcomes: testFileOutcomes(run) } : {}),
          ...(options.trace === false ? {} : { run: { cwd, test: traceSelector(failure, cwd), python, timeoutMs: Math.max(10_000, options.testTimeoutMs * 2), ...(sandbox() ? { sandbox: sandbox()! } : {}) } }),
        },
        trace: options.trace === false ? undefined : (target) => traceFor(target.file, target.functionName, failure, signal),
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
      modelChanged = true;
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

  async function traceFor(file: string, functionName: string, failure: LoopFailure, signal: AbortSignal | undefined): Promise<PromptTrace | undefined> {
    if (signal?.aborted) return undefined;
    const test = traceSelector(failure, cwd);
    const budget = { timeoutMs: Math.max(10_000, options.testTimeoutMs * 3), ...options.traceBudget };
    const fence = sandbox();
    const run = await traceTest({ cwd, test, target: { file, function: functionName }, python, budget, ...(parser ? { parser } : {}), ...(fence ? { sandbox: fence } : {}) });
    return toPromptTrace(run.trace);
  }
}

/** The projects holding one test file, each running only that file. */
async function runOneFile(cwd: string, framework: Framework | 'auto', file: string, options: RunOptions): Promise<{ projects: TestProject[]; reports: TestRunReport[] }> {
  const abs = resolve(cwd, file);
  // The innermost project holding the file runs it (a monorepo root would run it from the wrong folder).
  const python = /\.py$/.test(abs);
  const holding = (await findTestProjects(cwd, framework, { signal: options.signal, sandbox: options.sandbox })).filter((p) => isWithin(abs, p.root) && (p.testFiles.includes(abs) || (p.framework === 'pytest') === python));
  const deepest = Math.max(...holding.map((p) => p.root.length));
  const projects = holding.filter((p) => p.root.length === deepest);
  const reports: TestRunReport[] = [];
  for (const project of projects) {
    if (options.signal?.aborted) break;
    reports.push(await runProject(project, options, { files: [abs] }));
  }
  return { projects, reports };
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
