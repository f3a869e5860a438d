// Block spectra of a JavaScript or TypeScript function: one run per runner and project of the test
// files that reach it, with the function rewritten in coverage mode (src/core/trace/jsInstrument.ts;
// the runtime is src/host/tracers/js/jsCoverage.ts), swapped in as the tracer swaps its text in
// (jsRegister.ts, the Vite plugin). The runner writes its own report (node and mocha: Ducktrace's
// reporters; jest and vitest: their JSON), which gives each test's outcome and failure; the coverage
// runtime gives the blocks each test ran. The two are joined on the test's file and full name.
// mocha runs as the project runs it (its options as its own mocha merges them, only the files its
// own file collection finds), its CLI in one process with the register module and a root hook
// plugin that tells the recorder which test runs. Nothing on disk is modified; jest's transform
// cache and Vite's cache go to a temporary folder.

import { existsSync, realpathSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Block } from '../../core/blocks/basicBlocks';
import type { SourceLanguage } from '../../core/blocks/languages';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { SourceMapJson } from '../../core/trace/jsInstrument';
import { parseJestJson, parseJestReport } from '../../core/failures/jestReport';
import { parseRunProgress } from '../../core/failures/progressReport';
import { parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import { v8Frames } from '../../core/failures/frames';
import type { StackFrame } from '../../core/failures/stackFrames';
import { testIdOf, type TestCaseResult } from '../../core/failures/testFailure';
import { blockAtPosition, spectrumOfBlockCounts, type RawSpectrumRecord, type TestSpectrum } from '../../core/localize/spectra';
import { lastLineOf } from '../../core/trace/tracePlan';
import { escapeRegExp } from '../runners/adapter';
import { runEnv } from '../runners/jsRunners';
import { filesMochaRuns, loadMochaProject, mochaArgs, mochaHelpersDir, mochaNodeLaunch, mochaReporterModule } from '../runners/mochaAdapter';
import { runProcessTree } from '../process/processTree';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import { watchProgress } from '../process/progressWatch';
import type { JsSpectrumLine } from '../tracers/js/jsCoverage';
import { planEnv, type JsRunner, type JsTracePlan } from '../tracers/js/jsPlan';
import { instrumentTarget, jsMochaHooksModule, jsRegisterModule, jsTracerDir, typeScriptLoaderArgs } from '../tracers/jsTracer';
import { detectJsRunner, jsProjectDir, runnerEntry, writeVitestConfig } from '../tracers/jsTestLaunch';
import type { ResolvedTarget } from '../tracers/traceTarget';
import type { SpectraRun } from './spectraRun';
import { targetWords, testFilesMentioning } from './testFilesMentioning';

export interface JsSpectraOptions {
  /** Where the files are named from; each runner runs in its test files' project folder. */
  readonly cwd: string;
  /** The test files to run (absolute, or relative to cwd). */
  readonly testFiles: readonly string[];
  /** The runner for every file; detected per file (its imports, then its project) when absent. */
  readonly framework?: JsRunner;
  /** The node binary (default `node` from PATH). */
  readonly node?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The runner's per-test timeout (default 10 s); endless loops in the function stop at maxBlocksPerTest. */
  readonly testTimeoutSeconds?: number;
  /** Blocks of the function one test may start before it fails as an endless loop (default 5,000,000). */
  readonly maxBlocksPerTest?: number;
  /** The whole run's limit (default 5 minutes). */
  readonly timeoutMs?: number;
  readonly parser?: SourceParser;
  readonly signal?: AbortSignal;
  /** Runs the tests fenced (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
}

interface Group {
  readonly runner: JsRunner;
  readonly project: string;
  readonly files: string[];
}

export async function runJsSpectra(target: ResolvedTarget, options: JsSpectraOptions): Promise<SpectraRun> {
  const started = Date.now();
  const { unprobed: _unprobed, ...instrumented } = await instrumentTarget(target, options.parser, 'coverage');
  const coverage = await runJsCoverage({ ...instrumented, language: target.language }, options);
  const { spectra, records } = await joinSpectra(target, coverage.results, coverage.lines, instrumented.map);
  const { results: _results, lines: _lines, ...run } = coverage;
  return { ...run, spectra, records, elapsedMs: Date.now() - started };
}

/** What the coverage runtime and the runners' reports gave, before they are joined to a target. */
export interface JsCoverageRun extends Omit<SpectraRun, 'spectra' | 'records'> {
  /** Each test's outcome and failure, from the runners' reports. */
  readonly results: readonly TestCaseResult[];
  /** Per test (`file\0suites > name`), the probes it ran: the last record written. */
  readonly lines: ReadonlyMap<string, JsSpectrumLine>;
}

/** An instrumented file in coverage mode: a function's blocks, or several functions' entries (instrumentFunctionEntries). */
export type JsCoverageInstrumented = Omit<JsTracePlan, 'outDir' | 'runner' | 'maxBlocksPerTest'> & { readonly language: SourceLanguage };

/** One run per runner and project of the test files, with the coverage runtime counting the instrumented file's probes per test. */
export async function runJsCoverage(instrumented: JsCoverageInstrumented, options: JsSpectraOptions): Promise<JsCoverageRun> {
  const started = Date.now();
  const { language, ...planBase } = instrumented;
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-jsspectra-'));
  const tracerDir = jsTracerDir();
  const out = { stdout: '', stderr: '', exitCode: 0 as number | null, timedOut: false, commands: [] as string[], problems: [] as string[] };
  const results: TestCaseResult[] = [];
  try {
    const groups = groupByRunner(options);
    for (const [i, group] of groups.entries()) {
      const runDir = join(dir, `run${i}`);
      await mkdir(runDir);
      const plan: JsTracePlan = { ...planBase, outDir: dir, runner: group.runner, ...(options.maxBlocksPerTest ? { maxBlocksPerTest: options.maxBlocksPerTest } : {}) };
      const planFile = join(runDir, 'plan.json');
      await writeFile(planFile, JSON.stringify(plan));
      const launch = await coverageLaunch(group, { file: instrumented.file, language }, options, { runDir, planFile, tracerDir, spectraDir: dir });
      out.commands.push([launch.command, ...launch.args].join(' '));
      const remaining = (options.timeoutMs ?? 300_000) - (Date.now() - started);
      const sandbox = withWritable(options.sandbox, dir);
      const result = await runProcessTree(launch.command, launch.args, {
        cwd: group.project,
        env: launch.env,
        timeoutMs: Math.max(1000, remaining),
        ...(launch.isIdle ? { isIdle: launch.isIdle } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(sandbox ? { sandbox } : {}),
      });
      if (result.idleKilled) out.problems.push(`a test under ${group.runner} ran past ${options.testTimeoutSeconds ?? 10} s outside the function (it loops or waits forever?): the run was stopped there, the tests after it are not counted`);
      out.stdout += stripVTControlCharacters(result.stdout);
      out.stderr += stripVTControlCharacters(result.stderr);
      if (result.exitCode !== 0) out.exitCode = result.exitCode;
      if (result.timedOut || result.idleKilled) out.timedOut = true;
      if (result.startError) out.problems.push(`${group.runner} could not be started: ${result.startError}`);
      if (launch.skipped) out.problems.push(launch.skipped);
      const report = existsSync(launch.report) ? await readFile(launch.report, 'utf8') : '';
      if (!report) {
        out.problems.push(`${group.runner} wrote no report${result.timedOut ? ` (the run was stopped after ${Math.round(remaining / 1000)} s)` : ` (exit code ${result.exitCode})`}`);
        continue;
      }
      try {
        results.push(...launch.parse(report));
      } catch (e) {
        out.problems.push(`${group.runner}'s report could not be read: ${String(e)}`);
      }
    }
    return {
      results,
      lines: await readSpectrumLines(dir),
      exitCode: out.exitCode,
      timedOut: out.timedOut,
      stdout: out.stdout,
      stderr: out.stderr,
      elapsedMs: Date.now() - started,
      command: out.commands,
      ...(out.problems.length ? { problems: out.problems } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function groupByRunner(options: JsSpectraOptions): Group[] {
  const groups = new Map<string, Group>();
  for (const given of options.testFiles) {
    const file = resolve(options.cwd, given);
    const project = jsProjectDir(resolve(options.cwd), file);
    const runner = options.framework ?? detectJsRunner(project, file);
    const key = `${runner}\0${project}`;
    const group = groups.get(key) ?? { runner, project, files: [] };
    group.files.push(file);
    groups.set(key, group);
  }
  return [...groups.values()];
}

interface CoverageLaunch {
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where the runner writes its report. */
  readonly report: string;
  /** The report's tests, outcomes and failures. */
  readonly parse: (report: string) => TestCaseResult[];
  /** Test files of the group the runner does not run, said as a problem. */
  readonly skipped?: string;
  /** True once the run has made no progress for the per-test limit: its process tree is then killed. */
  readonly isIdle?: () => boolean;
}

/** The runner's command for the group's files, with the coverage runtime loaded and a report written. */
async function coverageLaunch(group: Group, target: { readonly file: string; readonly language: SourceLanguage }, options: JsSpectraOptions, where: { runDir: string; planFile: string; tracerDir: string; spectraDir: string }): Promise<CoverageLaunch> {
  const node = options.node ?? 'node';
  const register = join(where.tracerDir, jsRegisterModule);
  const timeoutMs = Math.round((options.testTimeoutSeconds ?? 10) * 1000);
  // Only what the coverage runtime needs (the plan's path; vitest's workers: NODE_OPTIONS): no CI
  // or colour switches, which the tests would see. Reports are files; their parsers strip colours.
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, [planEnv]: where.planFile };
  // Set when Ducktrace itself runs under `node --test`: a child `node --test` would report to it.
  delete env.NODE_TEST_CONTEXT;
  if (group.runner === 'node') {
    const report = join(where.runDir, 'node-report.jsonl');
    const typeScript = target.language !== 'javascript' || group.files.some((f) => /\.[cm]?tsx?$/.test(f));
    const loader = typeScript ? typeScriptLoaderArgs(group.project) : [];
    if (!loader) throw new Error(`${target.file}: TypeScript under node's test runner needs the project's own tsx (Ducktrace adds --import tsx), and tsx is not installed in ${group.project}`);
    const args = [
      '--test',
      '--require',
      register,
      ...loader,
      `--test-reporter=${join(where.tracerDir, 'nodeTestReporter.js')}`,
      `--test-reporter-destination=${report}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      ...group.files,
    ];
    // Not --test-timeout: node applies it to each file's process as a whole too. A test runs past
    // the limit when no test has ended for that long (each one's afterEach writes a record) and it
    // has not been running the function either (a long one writes its record every 2^20 blocks).
    return { command: node, args, env, report, parse: (text) => parseNodeTestEvents(text, group.project), isIdle: watchProgress(report, { limitMs: timeoutMs, alsoWatch: [where.spectraDir] }).isIdle };
  }
  if (group.runner === 'mocha') return mochaCoverageLaunch(group, options, where, register);
  const entry = runnerEntry(group.project, group.runner);
  if (group.runner === 'jest') {
    const report = join(where.runDir, 'jest.json');
    const args = [
      '--require',
      register,
      entry,
      '--ci',
      '--json',
      '--testLocationInResults',
      `--outputFile=${report}`,
      `--cacheDirectory=${join(where.runDir, 'jest-cache')}`,
      `--testTimeout=${timeoutMs}`,
      ...group.files.map((f) => `^${escapeRegExp(f)}$`),
    ];
    return { command: node, args, env, report, parse: (text) => parseJestJson(text, 'jest', group.project) };
  }
  const report = join(where.runDir, 'vitest.json');
  const config = await writeVitestConfig(group.project, where.runDir, where.planFile, where.tracerDir);
  const args = [entry, 'run', '--config', config, '--reporter=json', `--outputFile=${report}`, `--testTimeout=${timeoutMs}`, ...group.files.map((f) => relative(group.project, f).split('\\').join('/'))];
  const nodeOptions = `${env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(register)}`.trim();
  return { command: node, args, env: { ...env, NODE_OPTIONS: nodeOptions }, report, parse: (text) => parseJestJson(text, 'vitest', group.project) };
}

/**
 * mocha as the project runs it: `node [its node-options] --require <register> <mocha>/bin/_mocha`
 * with its merged options as a config of this run (plus the root hook plugin that tells the
 * recorder which test runs), Ducktrace's progress reporter, `--timeout`, and the group's files that
 * mocha's own file collection finds (a script under test/ its spec leaves out never runs). The
 * environment is the project's (what its test script sets), not the quiet one of the other runners.
 */
async function mochaCoverageLaunch(group: Group, options: JsSpectraOptions, where: { runDir: string; planFile: string; tracerDir: string; spectraDir: string }, register: string): Promise<CoverageLaunch> {
  const loaded = await loadMochaProject(group.project, where.runDir);
  if (typeof loaded === 'string') throw new Error(loaded);
  const { run, setup } = loaded;
  const files = filesMochaRuns(setup, group.files);
  const left = group.files.filter((f) => !files.some((m) => sameFile(m, f)));
  if (!files.length) throw new Error(`none of ${group.files.map((f) => relative(group.project, f)).join(', ')} is a test file the project's mocha runs (its spec finds ${setup.files.length ? setup.files.map((f) => relative(group.project, f)).join(', ') : 'no file'})`);
  const timeoutMs = Math.round((options.testTimeoutSeconds ?? 10) * 1000);
  const report = join(where.runDir, 'mocha-progress.jsonl');
  const { nodeFlags, entry } = mochaNodeLaunch(run, setup);
  const args = [
    ...nodeFlags,
    '--require',
    register,
    entry,
    ...mochaArgs(setup, {
      tempDir: where.runDir,
      files,
      reporter: mochaReporterModule(run, { helpersDir: mochaHelpersDir(), tempDir: where.runDir }, report),
      timeoutMs,
      require: [join(where.tracerDir, jsMochaHooksModule)],
    }),
  ];
  return {
    command: options.node ?? 'node',
    args,
    env: { ...runEnv(run.invocation), ...options.env, [planEnv]: where.planFile },
    report,
    parse: (text) => parseJestReport(parseRunProgress(text).report, 'mocha', group.project),
    // A test stuck outside the function (a loop mocha cannot interrupt): no test ends, no block runs.
    isIdle: watchProgress(report, { limitMs: timeoutMs, startupMs: Math.max(timeoutMs, 60_000), alsoWatch: [where.spectraDir] }).isIdle,
    ...(left.length ? { skipped: `left out: ${left.map((f) => relative(group.project, f)).join(', ')} (not a test file of the project's mocha: its spec does not find it)` } : {}),
  };
}

function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Every record the coverage runtime wrote, the last one per test (records are cumulative). */
async function readSpectrumLines(dir: string): Promise<Map<string, JsSpectrumLine>> {
  const out = new Map<string, JsSpectrumLine>();
  for (const name of (await readdir(dir)).filter((f) => /^spectra-\d+-\d+\.jsonl$/.test(f)).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as JsSpectrumLine;
        if (typeof record.test === 'string' && typeof record.file === 'string') out.set(testKey(record.file, record.test), record);
      } catch {
        // a line torn by a killed process
      }
    }
  }
  return out;
}

export const testKey = (file: string, fullName: string) => `${file}\0${fullName}`;

async function realOrSame(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}

/**
 * Where a frame of the instrumented target is in the user's text. Under node's runner and mocha the
 * coverage runtime leaves Node's source maps off (they cost each test file's process ~10 ms or
 * more of start-up), so their stacks give the instrumented text's columns (its lines are the
 * user's: no line is added or removed); they are mapped back here as Node would have, through the
 * same map (node:module's SourceMap), unless the test's record says source maps were on anyway
 * (tsx turns them on). jest and vitest map their stacks themselves.
 */
function userPosition(map: SourceMapJson | undefined): (line: number, column: number) => { line: number; column: number } {
  if (!map) return (line, column) => ({ line, column });
  let decoded: SourceMap | undefined;
  return (line, column) => {
    try {
      decoded ??= new SourceMap(map as ConstructorParameters<typeof SourceMap>[0]);
      const entry = decoded.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
      return entry.originalLine === undefined || entry.originalColumn === undefined ? { line, column } : { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    } catch {
      return { line, column };
    }
  };
}

/** The runner's results joined with the blocks each test ran; the block an exception left from, from its stack. */
export async function joinSpectra(target: ResolvedTarget, results: readonly TestCaseResult[], lines: ReadonlyMap<string, JsSpectrumLine>, map?: SourceMapJson): Promise<{ spectra: TestSpectrum[]; records: RawSpectrumRecord[] }> {
  const blocks = target.blocks.blocks;
  const blockOrder = blocks.map((b) => b.id);
  const targetFile = await realOrSame(target.file);
  const { start, end } = target.blocks.function.range;
  const spectra: TestSpectrum[] = [];
  const records: RawSpectrumRecord[] = [];
  const toUser = userPosition(map);
  const raisedIn = async (frames: readonly StackFrame[], unmapped: boolean): Promise<Block | undefined> => {
    // The innermost frame in the function: where the exception left it.
    for (const frame of frames) {
      if (frame.line < start.line || frame.line > end.line || (await realOrSame(frame.file)) !== targetFile) continue;
      const at = unmapped && frame.column !== undefined ? toUser(frame.line, frame.column) : { line: frame.line, column: frame.column };
      return blockAtPosition(blocks, at.line, at.column);
    }
    return undefined;
  };
  const add = (testId: string, outcome: TestCaseResult['outcome'], line: JsSpectrumLine | undefined, raisedBlock: Block | undefined, message: string | undefined, expected?: string) => {
    const counts = line?.blocks ?? {};
    const timedOut = line?.timedOut || /^DucktraceRunaway\b|Ducktrace stopped this test/.test(message ?? '');
    const extra = { ...(timedOut ? { timedOut: true } : {}), ...(message ? { message } : {}) };
    spectra.push(spectrumOfBlockCounts({ testId, outcome, counts, blockOrder, ...(raisedBlock ? { raisedBlock: raisedBlock.id } : {}), ...extra, ...(expected !== undefined ? { expected } : {}) }));
    records.push({ test: testId, outcome, lines: linesOf(blocks, counts), ...(raisedBlock ? { raisedLine: raisedBlock.range.start.line } : {}), ...extra });
  };
  const joined = new Set<string>();
  for (const r of results) {
    if (r.fileLevel) continue;
    const key = testKey(await realOrSame(r.file), [...r.suitePath, r.name].join(' > '));
    joined.add(key);
    const line = lines.get(key);
    const unmapped = (r.framework === 'node' || r.framework === 'mocha') && !line?.sourceMapped;
    add(r.testId, r.outcome, line, await raisedIn(r.failure?.stack ?? [], unmapped), r.failure?.message, r.failure?.expected);
  }
  // Tests the report does not have (node killed a test file's process that never finished): the
  // outcome their afterEach hook saw.
  for (const [key, line] of lines) {
    if (joined.has(key) || !line.outcome) continue;
    const frames = line.error ? v8Frames(line.error.stack, dirname(line.file)) : [];
    // Written by node's and mocha's hooks.
    add(testIdOf(line.file, line.test.split(' > ').slice(0, -1), line.test.split(' > ').pop()!), line.outcome, line, await raisedIn(frames, !line.sourceMapped), line.error?.message);
  }
  return { spectra, records };
}

/** Line -> [times, last]: a line ran when a block holding it ran (for line-level baselines). */
function linesOf(blocks: readonly Block[], counts: Readonly<Record<string, readonly [number, number]>>): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const b of blocks) {
    const c = counts[b.id];
    if (!c) continue;
    for (let line = b.range.start.line; line <= lastLineOf(b); line++) {
      const seen = (out[String(line)] ??= [0, 0]);
      seen[0] = Math.max(seen[0], c[0]);
      seen[1] = Math.max(seen[1], c[1]);
    }
  }
  return out;
}

const skippedDirs = new Set(['node_modules', 'dist', 'build', 'out', 'coverage', '__pycache__']);
const testFileName = /\.(test|spec)\.[cm]?[jt]sx?$|^test\.[cm]?[jt]sx?$|[-_]test\.[cm]?[jt]sx?$/;
const testDir = /(^|[\\/])(__tests__|tests?)[\\/]/;

/**
 * The JavaScript/TypeScript test files under `cwd` that mention the target's module (its file's
 * name) or function by name: the tests that can reach it, as absolute paths. Empty when none does.
 */
export async function jsTestFilesReaching(folder: string, targetFile: string, functionName: string, maxFiles = 5000): Promise<string[]> {
  const cwd = resolve(folder);
  const target = await realOrSame(resolve(cwd, targetFile));
  const words = targetWords(targetFile, functionName, /\.[cm]?[jt]sx?$/, /^[\w$]+$/);
  return testFilesMentioning(cwd, words, {
    skippedDirs,
    maxFiles,
    isTestFile: (name, path) => /\.[cm]?[jt]sx?$/.test(name) && (testFileName.test(name) || testDir.test(relative(cwd, path))),
    // The target's own file is not one of its tests.
    accept: async (_text, path) => (await realOrSame(path)) !== target,
  });
}
