// What the JavaScript adapters (node, jest and vitest, mocha) share: the project's own runner (its
// binary from node_modules/.bin, looking up through parent folders for monorepos, and its version),
// how the project's package.json starts it, the environment of its runs, how a run is started and
// watched (startRunner: the watchdog that stops a run making no progress), static discovery, and
// plain-words problems.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scanJsTests } from '../../core/failures/jsTestScanner';
import { parseVersion, type Version } from '../../core/failures/runnerFeatures';
import { projectInvocation, type RunnerInvocation } from '../../core/failures/testCommand';
import type { DiscoveredTest, Framework, TestCaseResult } from '../../core/failures/testFailure';
import type { Discovery, RunnerContext, RunSelection } from './adapter';
import { escapeRegExp } from './adapter';
import { runProcessTree, type ProcessTreeResult } from '../process/processTree';
import { watchProgress, type ProgressWatch } from '../process/progressWatch';

export function findBin(cwd: string, name: string): string | undefined {
  let dir = cwd;
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The version of the package whose binary `bin` is (`<dir>/node_modules/.bin/jest` -> `<dir>/node_modules/jest`). */
export function installedVersion(bin: string, packages: readonly string[]): Version | undefined {
  const modules = dirname(dirname(bin));
  for (const name of packages) {
    try {
      const pkg = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as { version?: string };
      const version = parseVersion(pkg.version);
      if (version) return version;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const nodeVersions = new Map<string, Promise<Version | undefined>>();

/** `node --version` of the node Ducktrace starts (the PATH's, not the editor's), once per command. */
export function nodeVersion(command = 'node'): Promise<Version | undefined> {
  let known = nodeVersions.get(command);
  if (!known) {
    known = runProcessTree(command, ['--version'], { cwd: process.cwd(), timeoutMs: 30_000 }).then((r) => parseVersion(r.stdout));
    nodeVersions.set(command, known);
  }
  return known;
}

export interface PackageJson {
  readonly scripts?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly jest?: unknown;
  readonly type?: string;
}

export function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** How the project's package.json runs this framework (undefined: no script does; the runner's defaults apply). */
export function invocationIn(cwd: string, framework: Framework): RunnerInvocation | undefined {
  const scripts = readPackageJson(cwd)?.scripts;
  return scripts && typeof scripts === 'object' ? projectInvocation(framework, scripts) : undefined;
}

/**
 * The environment of a test run: the user's own, plus only what the project's command itself sets
 * (`NODE_ENV=test jest`, `cross-env TZ=UTC ...`, `$VAR` expanded from the user's). Nothing of
 * Ducktrace's: no colour switches, no CI flag. NODE_TEST_CONTEXT is removed: set when Ducktrace
 * itself runs under `node --test`, it turns a child `node --test` into a subtest stream.
 */
export function runEnv(invocation: RunnerInvocation | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  for (const [name, value] of Object.entries(invocation?.env ?? {})) {
    env[name] = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, v: string) => process.env[v] ?? '');
  }
  return env;
}

/** How long a run may go without progress: the per-test timeout plus room for the runner's own work between tests. */
export function noProgressLimitMs(testTimeoutMs: number): number {
  return testTimeoutMs + Math.max(10_000, testTimeoutMs);
}

/**
 * A JavaScript runner's progress report, watched: idle when it has not grown for `limitMs`. Before
 * its first byte the runner is still starting (loading a config, compiling): it gets a minute at least.
 */
export function watchRunnerReport(file: string, limitMs: number): ProgressWatch {
  return watchProgress(file, { limitMs, startupMs: Math.max(limitMs, 60_000) });
}

/**
 * One start of a JavaScript runner for a run of the Testing view, the CLI or the loop: the command
 * echoed to the run's output, its process tree run in the project with the run's signal and
 * sandbox, stopped when its progress report stops growing for `limitMs`. Returns how it ended and
 * the report as it was when the watch called it idle (what a runner writes while being killed is
 * no result); each adapter parses its own report.
 */
export async function startRunner(ctx: RunnerContext, command: string, args: readonly string[], run: { readonly env: NodeJS.ProcessEnv; readonly progressFile: string; readonly limitMs: number }): Promise<{ result: ProcessTreeResult; report: string }> {
  ctx.onOutput?.(`$ ${command} ${args.join(' ')}\r\n`);
  const watch = watchRunnerReport(run.progressFile, run.limitMs);
  const result = await runProcessTree(command, [...args], {
    cwd: ctx.cwd,
    env: run.env,
    timeoutMs: 0,
    isIdle: watch.isIdle,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
    ...(ctx.onOutput ? { onOutput: (t: string) => ctx.onOutput?.(t.replace(/\r?\n/g, '\r\n')) } : {}),
  });
  return { result, report: watch.read(result.idleKilled) };
}

export function staticDiscovery(framework: Framework, files: readonly string[]): Discovery {
  const tests: DiscoveredTest[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      tests.push(...scanJsTests(readFileSync(file, 'utf8'), file, framework));
    } catch (err) {
      problems.push(`could not read ${file}: ${String(err)}`);
    }
  }
  return { tests, problems };
}

/**
 * Results without a line (jest leaves the location out for a test that timed out; vitest before
 * 1.4 has none) get the line of the test's declaration, from reading its file.
 */
export function withDeclaredLines(results: TestCaseResult[]): TestCaseResult[] {
  const scanned = new Map<string, Map<string, number>>();
  const lineOf = (r: TestCaseResult): number | undefined => {
    let lines = scanned.get(r.file);
    if (!lines) {
      lines = new Map();
      try {
        for (const t of scanJsTests(readFileSync(r.file, 'utf8'), r.file, r.framework)) if (t.line && !lines.has(t.testId)) lines.set(t.testId, t.line);
      } catch {
        // unreadable: no line
      }
      scanned.set(r.file, lines);
    }
    return lines.get(r.testId);
  };
  return results.map((r) => {
    if (r.line || r.fileLevel) return r;
    const line = lineOf(r);
    if (!line) return r;
    return { ...r, line, ...(r.failure && !r.failure.line ? { failure: { ...r.failure, line } } : {}) };
  });
}

/** A `-t` / `--test-name-pattern` regex matching exactly the selected tests' full names. */
export function namePattern(selection: RunSelection, joiner = ' '): string | undefined {
  if (!selection.tests?.length) return undefined;
  const names = [...new Set(selection.tests.map((t) => [...t.suitePath, t.name].join(joiner)))];
  return `^(?:${names.map(escapeRegExp).join('|')})$`;
}

export function filesOf(selection: RunSelection): string[] {
  if (selection.tests?.length) return [...new Set(selection.tests.map((t) => t.file))];
  return [...(selection.files ?? [])];
}

export function runProblem(framework: Framework, result: ProcessTreeResult, limitMs: number): string {
  if (result.startError) return `${framework} could not be started: ${result.startError}.`;
  if (result.timedOut || result.idleKilled) return `The ${framework} run made no progress for ${Math.round(limitMs / 1000)} s; Ducktrace killed its process tree.`;
  const lines = result.output.trim().split('\n');
  const tail = lines.slice(-10);
  // The error's own line is often above a long stack.
  const cause = lines.find((l) => /^\s*(\w*Error\b|error:)/i.test(l));
  return `${framework} did not write a report (exit code ${result.exitCode}):\n${[...(cause && !tail.includes(cause) ? [cause, '…'] : []), ...tail].join('\n')}`;
}
