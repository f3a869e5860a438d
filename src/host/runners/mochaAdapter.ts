// mocha (8 and later), from the project's own node_modules/.bin, as the project runs it. Its options
// are mocha's own merge of the package.json script's arguments, `.mocharc.*` and package.json's
// "mocha" key, asked of the project's mocha (dist/ducktraceMochaOptions.js, mochaOptionsHelper.ts);
// a run passes them back as a config file of its own without `spec` (with `--no-package`), so that
// the files it names are the files that run: mocha would add them to the config's spec. Ducktrace
// adds its progress reporter (mocha's spec reporter inside it for the output shown), a per-test
// `--timeout` (not in a plain run) and, for chosen tests, `--grep` with their full titles anchored.
// No collection mode: tests are discovered by reading the files; mocha's report has no lines, so a
// test's line is its declaration's. A test that never finishes (a synchronous loop mocha cannot
// interrupt) is found and reported as a timeout (hangIsolation.ts); mocha's own timeout covers
// tests that wait forever.
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseJestReport } from '../../core/failures/jestReport';
import { parseRunProgress } from '../../core/failures/progressReport';
import { atLeast, showVersion, type Version } from '../../core/failures/runnerFeatures';
import { splitRunnerArgs, type RunnerInvocation } from '../../core/failures/testCommand';
import type { TestCaseResult, TestRunReport } from '../../core/failures/testFailure';
import { capText, testIdOf } from '../../core/failures/testFailure';
import { v8Frames } from '../../core/failures/frames';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { runIsolatingHangs, singleRun, type AttemptOutcome } from './hangIsolation';
import { filesOf, findBin, installedVersion, invocationIn, namePattern, noProgressLimitMs, runEnv, runProblem, startRunner, staticDiscovery, withDeclaredLines } from './jsRunners';
import { runProcessTree } from '../process/processTree';
import type { SandboxSpec } from '../process/sandbox';

export interface MochaRun {
  readonly bin: string;
  /** The mocha package's folder (its lib/cli is asked for options, its spec reporter shows the output). */
  readonly dir: string;
  readonly version: Version | undefined;
  readonly invocation: RunnerInvocation | undefined;
}

/** The project's mocha, or the problem to report. */
export function mochaRunner(cwd: string): MochaRun | string {
  const bin = findBin(cwd, 'mocha');
  if (!bin) return `mocha is not installed in ${cwd} (no node_modules/.bin/mocha). Run npm install there.`;
  let dir = join(dirname(dirname(bin)), 'mocha');
  try {
    // .bin/mocha -> ../mocha/bin/mocha(.js): the package folder is two up from the real file.
    dir = dirname(dirname(realpathSync(bin)));
  } catch {
    // keep the sibling folder
  }
  const version = installedVersion(bin, ['mocha']);
  if (version && !atLeast(version, 8)) return `mocha ${showVersion(version)} is too old for Ducktrace (it runs mocha 8 and later): update mocha in ${cwd}.`;
  return { bin, dir, version, invocation: invocationIn(cwd, 'mocha') };
}

/** What the project's mocha makes of its arguments and config. */
export interface MochaSetup {
  readonly options: Record<string, unknown>;
  /** The test files a plain `mocha` of the project runs, absolute, in its order (`--file` ones left out). */
  readonly files: string[];
  readonly problems: string[];
}

/** The project's arguments as mocha reads them for its options: the script's, minus what only shows or watches. */
function projectArgs(invocation: RunnerInvocation | undefined): string[] {
  if (!invocation) return [];
  return splitRunnerArgs('mocha', invocation.args)
    .filter((a) => !a.flag || !['--watch', '--watch-files', '--watch-ignore', '--reporter', '--reporter-option', '--list-files', '--list-interfaces', '--list-reporters', '--help', '--version'].includes(a.flag))
    .flatMap((a) => a.words.map((w) => w.text));
}

let runCounter = 0;

export const mochaOptionsModule = 'ducktraceMochaOptions.js';

/** The folder holding dist/ducktraceMochaOptions.js, from where this code runs (dist/ itself, or out/ in the repository). */
export function mochaHelpersDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, mochaOptionsModule))) return dir;
    if (existsSync(join(dir, 'dist', mochaOptionsModule))) return join(dir, 'dist');
    if (dirname(dir) === dir) return from;
  }
}

/** Asks the project's mocha for its merged options and test files (runs its .mocharc.js if it has one). */
export async function mochaSetup(run: MochaRun, cwd: string, helpersDir: string, tempDir: string, { signal, sandbox }: { signal?: AbortSignal; sandbox?: SandboxSpec } = {}): Promise<MochaSetup | string> {
  const out = join(tempDir, `mocha-options-${process.pid}-${++runCounter}.json`);
  const result = await runProcessTree('node', [join(helpersDir, mochaOptionsModule), run.dir, out, ...projectArgs(run.invocation)], {
    cwd,
    env: runEnv(run.invocation),
    timeoutMs: 120_000,
    ...(signal ? { signal } : {}),
    ...(sandbox ? { sandbox } : {}),
  });
  if (!existsSync(out)) {
    const tail = result.output.trim().split('\n').slice(-6).join('\n');
    return `mocha could not read its options in ${cwd} (${result.startError ?? `exit code ${result.exitCode}`})${tail ? `:\n${tail}` : ''}`;
  }
  const read = JSON.parse(readFileSync(out, 'utf8')) as { options?: Record<string, unknown>; files?: string[]; problems?: string[] };
  return { options: read.options ?? {}, files: read.files ?? [], problems: read.problems ?? [] };
}

/** The project's mocha and what it makes of its options: what every start of mocha needs, or the problem to report. */
export async function loadMochaProject(cwd: string, tempDir: string, options: { helpersDir?: string; signal?: AbortSignal; sandbox?: SandboxSpec } = {}): Promise<{ run: MochaRun; setup: MochaSetup } | string> {
  const run = mochaRunner(cwd);
  if (typeof run === 'string') return run;
  const setup = await mochaSetup(run, cwd, options.helpersDir ?? mochaHelpersDir(), tempDir, { ...(options.signal ? { signal: options.signal } : {}), ...(options.sandbox ? { sandbox: options.sandbox } : {}) });
  return typeof setup === 'string' ? setup : { run, setup };
}

/** The config file of one run: the project's options, minus what Ducktrace sets or must not have, plus modules to load first (root hook plugins). */
export function writeMochaConfig(setup: MochaSetup, file: string, selecting: boolean, extraRequire: readonly string[] = []): void {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(setup.options)) {
    if (['reporter', 'reporter-option', 'watch', 'watch-files', 'watch-ignore', 'parallel', 'jobs', 'bail', 'list-files', 'list-interfaces', 'list-reporters', 'dry-run'].includes(key)) continue;
    if (selecting && ['grep', 'fgrep', 'invert'].includes(key)) continue;
    options[key] = value;
  }
  if (extraRequire.length) {
    const own = options.require;
    options.require = [...(Array.isArray(own) ? own : own === undefined ? [] : [own]), ...extraRequire];
  }
  writeFileSync(file, JSON.stringify(options, null, 2));
}

/** One start of mocha: what it runs and what Ducktrace adds. */
export interface MochaStart {
  /** Where the run's config file is written. */
  readonly tempDir: string;
  /** The test files, in the order they run. */
  readonly files: readonly string[];
  /** `--grep`: the chosen tests' full titles, anchored. */
  readonly pattern?: string;
  /** A reporter module (Ducktrace's progress reporter); mocha's configured one when absent. */
  readonly reporter?: string;
  /** `--timeout` per test (0: none, under a debugger); the project's own when absent. */
  readonly timeoutMs?: number;
  /** Modules mocha loads before the tests (its `require`): root hook plugins. */
  readonly require?: readonly string[];
}

/**
 * mocha's arguments for one start: the project's options as a config file of this run (without
 * `spec`, so only `files` load), `--no-package`, then Ducktrace's reporter, timeout and grep. The
 * one place every start of mocha (runs, traced runs, coverage runs, the debugger) gets them from.
 */
export function mochaArgs(setup: MochaSetup, start: MochaStart): string[] {
  const config = join(start.tempDir, `mocharc-${process.pid}-${++runCounter}.json`);
  writeMochaConfig(setup, config, start.pattern !== undefined, start.require);
  return [
    '--config',
    config,
    '--no-package',
    ...(start.reporter ? ['--reporter', start.reporter] : []),
    ...(start.timeoutMs !== undefined ? ['--timeout', String(start.timeoutMs)] : []),
    ...(start.pattern ? ['--grep', start.pattern] : []),
    ...start.files,
  ];
}

/**
 * Started as `node [flags] <mocha>/bin/_mocha ...` (mocha's CLI in that one process, so a module
 * given to node's --require is there when the tests run): the project's `node-option`s become
 * node's own flags, as bin/mocha would pass them to the child it starts.
 */
export function mochaNodeLaunch(run: MochaRun, setup: MochaSetup): { readonly nodeFlags: string[]; readonly entry: string } {
  const nodeOptions = setup.options['node-option'];
  const nodeFlags = (Array.isArray(nodeOptions) ? nodeOptions : []).map((o) => `--${String(o).replace(/^-+/, '')}`);
  return { nodeFlags, entry: join(run.dir, 'bin', '_mocha') };
}

/** The test files of `wanted` that the project's mocha runs (its own file collection), in mocha's order. */
export function filesMochaRuns(setup: MochaSetup, wanted: readonly string[]): string[] {
  const real = (f: string) => {
    try {
      return realpathSync(f);
    } catch {
      return f;
    }
  };
  const chosen = new Set(wanted.map(real));
  return setup.files.filter((f) => chosen.has(real(f)));
}

/** A reporter module for this run: Ducktrace's progress reporter, told where to write (no environment variable needed). */
export function mochaReporterModule(run: MochaRun, where: { helpersDir: string; tempDir: string }, progress: string): string {
  const file = join(where.tempDir, `ducktrace-mocha-reporter-${process.pid}-${++runCounter}.cjs`);
  writeFileSync(
    file,
    `const { ProgressReporter } = require(${JSON.stringify(join(where.helpersDir, 'ducktraceMochaReporter.js'))});\nmodule.exports = class extends ProgressReporter { constructor(runner, options) { super(runner, options, ${JSON.stringify(progress)}, ${JSON.stringify(run.dir)}); } };\n`,
  );
  return file;
}

/**
 * A run that ended before mocha's first event (a test file that does not load: a syntax error, a
 * missing module): a file-level failure of the test file its error names, when it names one.
 */
function loadFailure(output: string, files: readonly string[], cwd: string): TestCaseResult | undefined {
  const file = files.find((f) => output.includes(f));
  if (!file) return undefined;
  const lines = output.split('\n');
  const cause = lines.find((l) => /^\s*(\w*Error\b|Error:)/.test(l))?.trim() ?? lines.find((l) => l.trim())?.trim() ?? 'the test file failed to load';
  const message = cause.replace(/^[\w$.]*(?:Error|Exception)(?: \[[A-Z_]+\])?: /, '');
  const testId = testIdOf(file, [], '(file)');
  const location = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(output);
  const text = capText(output);
  return {
    testId,
    framework: 'mocha',
    file,
    name: '(file)',
    suitePath: [],
    outcome: 'failed',
    output: text,
    fileLevel: true,
    failure: { testId, framework: 'mocha', file, line: location ? Number(location[1]) : 0, name: file, message, stack: v8Frames(output, cwd), output: text },
  };
}

export async function runMocha(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
  const loaded = await loadMochaProject(ctx.cwd, ctx.tempDir, { helpersDir: ctx.helpersDir, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}) });
  if (typeof loaded === 'string') return { framework: 'mocha', cwd: ctx.cwd, results: [], problems: [loaded] };
  const { run, setup } = loaded;
  const limit = noProgressLimitMs(ctx.testTimeoutMs);
  const attempt = async (sel: RunSelection): Promise<AttemptOutcome> => {
    const progressFile = join(ctx.tempDir, `mocha-progress-${process.pid}-${++runCounter}.jsonl`);
    const pattern = namePattern(sel);
    const chosen = filesOf(sel);
    // Everything: the files mocha itself would run, in its order.
    const files = chosen.length ? chosen : setup.files;
    const args = mochaArgs(setup, {
      tempDir: ctx.tempDir,
      files,
      reporter: mochaReporterModule(run, ctx, progressFile),
      ...(ctx.plain ? {} : { timeoutMs: ctx.testTimeoutMs }),
      ...(pattern ? { pattern } : {}),
    });
    const { result, report } = await startRunner(ctx, run.bin, args, { env: runEnv(run.invocation), progressFile, limitMs: limit });
    const progress = parseRunProgress(report);
    let results = withDeclaredLines(parseJestReport(progress.report, 'mocha', ctx.cwd));
    const problems: string[] = [];
    if (!progress.started && !result.idleKilled && !result.cancelled) {
      const failed = loadFailure(result.output, files, ctx.cwd);
      if (failed) results = [failed];
      else problems.push(runProblem('mocha', result, limit));
    }
    if (sel.tests?.length) {
      // Tests the name filter left out are reported as skipped: they were not chosen.
      const chosenIds = new Set(sel.tests.map((t) => [t.file, ...t.suitePath, t.name].join('::')));
      results = results.filter((r) => chosenIds.has(r.testId) || r.fileLevel);
    }
    return { results, stopped: result.idleKilled, cancelled: result.cancelled, problems, startedFiles: progress.startedFiles, finishedFiles: progress.finishedFiles, running: progress.running };
  };
  const report = ctx.plain ? await singleRun('mocha', ctx, selection, attempt) : await runIsolatingHangs('mocha', ctx, selection, attempt);
  return setup.problems.length ? { ...report, problems: [...setup.problems, ...report.problems] } : report;
}

export const mochaAdapter: FrameworkAdapter = {
  framework: 'mocha',
  async discover(_ctx, files) {
    return staticDiscovery('mocha', files);
  },
  run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    return runMocha(ctx, selection);
  },
};
