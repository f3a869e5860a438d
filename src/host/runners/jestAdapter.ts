// jest, from the project's own node_modules/.bin, as the project's package.json runs it (its
// config flags and environment assignments), with `--json --testLocationInResults` into a file
// and Ducktrace's progress reporter beside jest's default one. Flags are passed only when the
// installed jest has them: `--testTimeout` came in 24.9, and jest 22 refuses flags it does not
// know. `--ci` keeps jest from writing new snapshot files into the project.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJestReport, type JestJson } from '../../core/failures/jestReport';
import { parseRunProgress, withProgressMessages } from '../../core/failures/progressReport';
import { jestFeatures, vitestFeatures, type Version } from '../../core/failures/runnerFeatures';
import { keptArguments, type RunnerInvocation } from '../../core/failures/testCommand';
import type { TestCaseResult, TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { escapeRegExp } from './adapter';
import { runIsolatingHangs, singleRun, type AttemptOutcome } from './hangIsolation';
import { filesOf, findBin, installedVersion, withDeclaredLines, invocationIn, namePattern, noProgressLimitMs, runEnv, runProblem, startRunner, staticDiscovery } from './jsRunners';

type JestLike = 'jest' | 'vitest';

export interface JestLikeRun {
  readonly framework: JestLike;
  readonly bin: string;
  readonly version: Version | undefined;
  readonly invocation: RunnerInvocation | undefined;
}

/** The project's jest or vitest, or the problem to report when it is not installed. */
export function jestLikeRunner(framework: JestLike, cwd: string): JestLikeRun | string {
  const bin = findBin(cwd, framework);
  if (!bin) return `${framework} is not installed in ${cwd} (no node_modules/.bin/${framework}). Run npm install there.`;
  return { framework, bin, version: installedVersion(bin, framework === 'jest' ? ['jest-cli', 'jest'] : ['vitest']), invocation: invocationIn(cwd, framework) };
}

let runCounter = 0;

/** The command line of one jest or vitest run: the project's kept flags, Ducktrace's report flags, the selection. */
function argsFor(run: JestLikeRun, ctx: RunnerContext, sel: RunSelection, files: { json: string; progress: string; reporter: string }): string[] {
  // vitest 1 names a file's tests after an unnamed root suite (" name"): an optional leading space.
  const pattern = run.framework === 'vitest' ? namePattern(sel)?.replace(/^\^/, '^ ?') : namePattern(sel);
  const chosen = filesOf(sel);
  const timeout = !ctx.plain && (run.framework === 'vitest' || jestFeatures(run.version).testTimeoutFlag);
  const replaced = [...(timeout ? ['--testTimeout'] : []), ...(pattern ? ['--testNamePattern'] : []), ...(chosen.length ? ['--testPathPattern', '--testPathPatterns'] : [])];
  const kept = keptArguments(run.invocation ?? { framework: run.framework, args: [] }, replaced);
  // The project's own path filters stay when Ducktrace runs everything; chosen files replace them.
  const targets = chosen.length ? (run.framework === 'jest' ? chosen.map((f) => `^${escapeRegExp(f)}$`) : chosen) : kept.positionals.map((p) => p.text);
  if (run.framework === 'jest') {
    // Path patterns first: jest's array flags (--reporters, and the project's own) take every word after them.
    return [
      ...targets,
      ...kept.flags,
      '--ci',
      '--json',
      `--outputFile=${files.json}`,
      ...(jestFeatures(run.version).testLocation ? ['--testLocationInResults'] : []),
      '--reporters=default',
      `--reporters=${files.reporter}`,
      ...(timeout ? [`--testTimeout=${ctx.testTimeoutMs}`] : []),
      ...(pattern ? ['-t', pattern] : []),
    ];
  }
  return [
    'run',
    ...targets,
    ...kept.flags,
    '--reporter=default',
    '--reporter=json',
    `--reporter=${files.reporter}`,
    `--outputFile=${files.json}`,
    ...(vitestFeatures(run.version).taskLocation ? ['--includeTaskLocation'] : []),
    ...(timeout ? [`--testTimeout=${ctx.testTimeoutMs}`] : []),
    ...(pattern ? ['-t', pattern] : []),
  ];
}

/** A reporter module for this run: Ducktrace's progress reporter, told where to write (no environment variable needed). */
function reporterModule(run: JestLikeRun, ctx: RunnerContext, progress: string, stamp: string): string {
  if (run.framework === 'jest') {
    const file = join(ctx.tempDir, `ducktrace-jest-reporter-${stamp}.js`);
    writeFileSync(file, `const { ProgressReporter } = require(${JSON.stringify(join(ctx.helpersDir, 'ducktraceJestReporter.js'))});\nmodule.exports = class extends ProgressReporter { constructor() { super(${JSON.stringify(progress)}); } };\n`);
    return file;
  }
  const file = join(ctx.tempDir, `ducktrace-vitest-reporter-${stamp}.mjs`);
  const url = new URL(`file://${join(ctx.helpersDir, 'ducktraceVitestReporter.mjs').replace(/\\/g, '/').replace(/^(?=[A-Za-z]:)/, '/')}`).href;
  writeFileSync(file, `import { ProgressReporter } from ${JSON.stringify(url)};\nexport default class extends ProgressReporter { constructor() { super(${JSON.stringify(progress)}); } }\n`);
  return file;
}

/** Runs jest or vitest: with hang isolation, or once for a plain run. */
export async function runJestLike(framework: JestLike, ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
  const run = jestLikeRunner(framework, ctx.cwd);
  if (typeof run === 'string') return { framework, cwd: ctx.cwd, results: [], problems: [run] };
  const limit = noProgressLimitMs(ctx.testTimeoutMs);
  const attempt = async (sel: RunSelection): Promise<AttemptOutcome> => {
    const stamp = `${process.pid}-${++runCounter}`;
    const json = join(ctx.tempDir, `${framework}-${stamp}.json`);
    const progressFile = join(ctx.tempDir, `${framework}-progress-${stamp}.jsonl`);
    const reporter = reporterModule(run, ctx, progressFile, stamp);
    const args = argsFor(run, ctx, sel, { json, progress: progressFile, reporter });
    const { result, report } = await startRunner(ctx, run.bin, args, { env: runEnv(run.invocation), progressFile, limitMs: limit });
    const progress = parseRunProgress(report);
    const problems: string[] = [];
    let results: TestCaseResult[] = [];
    if (existsSync(json) && !result.idleKilled) {
      try {
        const report = JSON.parse(readFileSync(json, 'utf8')) as JestJson;
        results = parseJestReport(framework === 'vitest' ? withProgressMessages(report, progress.report) : report, framework, ctx.cwd);
      } catch (err) {
        problems.push(`${framework}'s report could not be read: ${String(err)}`);
        results = parseJestReport(progress.report, framework, ctx.cwd);
      }
    } else {
      results = parseJestReport(progress.report, framework, ctx.cwd);
      if (!result.idleKilled && !result.cancelled && !progress.done) problems.push(runProblem(framework, result, limit));
    }
    results = withDeclaredLines(results);
    if (sel.tests?.length) {
      // Tests the name filter left out are reported as skipped: they were not chosen.
      const chosenIds = new Set(sel.tests.map((t) => [t.file, ...t.suitePath, t.name].join('::')));
      results = results.filter((r) => chosenIds.has(r.testId) || r.fileLevel);
    }
    return { results, stopped: result.idleKilled, cancelled: result.cancelled, problems, startedFiles: progress.startedFiles, finishedFiles: progress.finishedFiles, running: progress.running };
  };
  if (ctx.plain) return singleRun(framework, ctx, selection, attempt);
  return runIsolatingHangs(framework, ctx, selection, attempt);
}

export const jestAdapter: FrameworkAdapter = {
  framework: 'jest',
  async discover(_ctx, files) {
    return staticDiscovery('jest', files);
  },
  run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    return runJestLike('jest', ctx, selection);
  },
};
