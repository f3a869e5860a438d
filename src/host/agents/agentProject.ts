// One project folder as the agent tools see it: the root nothing may leave, how its tests run
// (the same runners as the Testing view and `ducktrace failures`), the last results while they are
// fresh, the failing test an agent means, the function that failure points at (the pipeline's own
// first stage), and the redaction every answer goes through before a model reads it.
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Block } from '../../core/blocks/basicBlocks';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/targetFinder';
import { defaultNeverSend, redactSecrets } from '../../core/duck/redaction';
import type { Framework, TestCaseResult, TestFailure } from '../../core/failures/testFailure';
import { matchesTest, pytestNodeId, selectorFile } from '../../core/failures/testSelectors';
import { locateTarget } from '../duck/diagnoseFailure';
import { NodeSourceFiles } from '../nodeSourceFiles';
import { findTestProjects, ignoredFolders, type TestProject } from '../runners/projects';
import { runProject, type RunOptions } from '../runners/testService';
import { parseTargetSpec } from '../tracers/traceTarget';
import { TreeSitterParser } from '../treeSitter';
import { ProjectRoot } from './projectRoot';
import { AgentToolError } from './toolResult';

export interface AgentProjectOptions {
  /** Folder holding ducktrace_pytest.py, the node reporter and the tracers (the extension's or CLI's dist/). */
  readonly helpersDir: string;
  /** The Python interpreter for pytest and the Python tracer (asked each time: the editor's choice may change). */
  readonly python?: () => Promise<string> | string;
  /** Per-test timeout of a test run (default 30 s). */
  readonly testTimeoutMs?: number;
  readonly framework?: Framework | 'auto';
  /** Files never sent to a model (globs): no tool returns their code (default: the default neverSend list). */
  readonly neverSend?: readonly string[];
  /** Values hidden from every answer besides those in the project's .env files (an API key). */
  readonly secretValues?: () => Promise<readonly string[]> | readonly string[];
  readonly parser?: SourceParser;
  /** Results older than this are run again even when no file changed (default 10 minutes). */
  readonly maxResultAgeMs?: number;
  readonly now?: () => number;
}

/** A test's result, with the folder its runner ran in (where a tracer must run it too). */
export interface KnownResult {
  readonly result: TestCaseResult;
  readonly cwd: string;
  /** How an agent names the test: its file relative to the root, then its suites and name. */
  readonly id: string;
}

export interface TestRun {
  /** '.' for the whole project, else the file or folder run, relative to the root. */
  readonly scope: string;
  readonly at: number;
  readonly stamp: string;
  readonly results: readonly KnownResult[];
  readonly problems: readonly string[];
  readonly frameworks: readonly Framework[];
}

export interface LocatedFunction {
  readonly target: Target;
  readonly fileText: string;
  readonly blocks: readonly Block[];
  /** The target's file relative to the root. */
  readonly file: string;
}

let sharedParser: SourceParser | undefined;

export class AgentProject {
  readonly files = new NodeSourceFiles();
  readonly parser: SourceParser;
  private readonly runs = new Map<string, TestRun>();

  private constructor(
    readonly root: ProjectRoot,
    private readonly options: AgentProjectOptions,
  ) {
    this.parser = options.parser ?? (sharedParser ??= new TreeSitterParser());
  }

  static async open(folder: string, options: AgentProjectOptions): Promise<AgentProject> {
    return new AgentProject(await ProjectRoot.open(folder), options);
  }

  /** Files whose code no answer may carry (globs). */
  get neverSend(): readonly string[] {
    return this.options.neverSend ?? defaultNeverSend;
  }

  async python(): Promise<string> {
    return (await this.options.python?.()) || 'python3';
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  // ---------------------------------------------------------------- test runs

  /** The last run of `scope` while no file of the project changed since and it is not too old. */
  async freshRun(scope: string): Promise<TestRun | undefined> {
    const run = this.runs.get(scope);
    if (!run || this.now() - run.at > (this.options.maxResultAgeMs ?? 10 * 60_000)) return undefined;
    return run.stamp === (await this.stamp()) ? run : undefined;
  }

  /**
   * Runs the tests of the project, or of one test file or folder (`path`), with every framework
   * the project uses, and remembers the results.
   */
  async runTests(path: string | undefined, signal?: AbortSignal): Promise<TestRun> {
    const scopeFile = path ? await this.root.resolve(path, 'file or folder') : undefined;
    const scope = scopeFile ? this.root.relative(scopeFile) : '.';
    const isDir = scopeFile ? (await stat(scopeFile)).isDirectory() : true;
    const inScope = (file: string) => !scopeFile || file === scopeFile || (isDir && file.startsWith(scopeFile + sep));
    const projects = await findTestProjects(this.root.path, this.options.framework ?? 'auto', signal ? { signal } : {});
    if (!projects.length) {
      throw new AgentToolError(`No tests found in ${this.root.path}: Ducktrace looked for pytest, node:test, jest and vitest (test files, pytest.ini/conftest.py/pyproject.toml, package.json scripts and config files).`);
    }
    const stamp = await this.stamp();
    const at = this.now();
    const options: RunOptions = { helpersDir: this.options.helpersDir, python: await this.python(), testTimeoutMs: this.options.testTimeoutMs ?? 30_000, ...(signal ? { signal } : {}) };
    const results: KnownResult[] = [];
    const problems: string[] = [];
    const frameworks: Framework[] = [];
    for (const project of projects) {
      if (signal?.aborted) break;
      const files = scopeFile ? this.testFilesIn(project, inScope, scopeFile, isDir) : undefined;
      if (files && !files.length) continue;
      const report = await runProject(project, options, files ? { files } : {});
      frameworks.push(project.framework);
      problems.push(...report.problems.map((p) => `${project.framework}: ${p}`));
      for (const result of report.results) results.push({ result, cwd: report.cwd, id: this.agentTestId(result.testId) });
    }
    if (signal?.aborted) throw new AgentToolError('Cancelled: the test run was stopped.');
    if (scopeFile && !frameworks.length) throw new AgentToolError(`${path} holds no test file Ducktrace can run.`);
    const run: TestRun = { scope, at, stamp, results, problems, frameworks };
    this.runs.set(scope, run);
    return run;
  }

  /** The project's test files in the scope; a file asked for by name counts even when the project's conventions do not list it. */
  private testFilesIn(project: TestProject, inScope: (file: string) => boolean, scopeFile: string, isDir: boolean): string[] {
    const known = project.testFiles.filter(inScope);
    if (known.length || isDir) return known;
    const ownFile = scopeFile.startsWith(project.root + sep) && (project.framework === 'pytest' ? scopeFile.endsWith('.py') : !scopeFile.endsWith('.py'));
    return ownFile ? [scopeFile] : [];
  }

  /** `<abs file>::suite::name` -> `relative/file::suite::name`. */
  agentTestId(testId: string): string {
    return pytestNodeId(testId, this.root.path);
  }

  /**
   * The test an agent means by `selector` (an id as listed, an absolute id, a pytest node id, or a
   * name), from fresh results, else by running its file; without a selector, the only failing test.
   */
  async findTest(selector: string | undefined, signal?: AbortSignal): Promise<KnownResult> {
    if (!selector) {
      const run = (await this.freshRun('.')) ?? (await this.runTests(undefined, signal));
      const failing = run.results.filter((r) => r.result.failure);
      if (failing.length === 1) return failing[0]!;
      if (!failing.length) throw new AgentToolError('No test fails in the project: there is no failing test to trace. Name a test and a target to trace a passing test.');
      throw new AgentToolError(`${failing.length} tests fail; say which one in "test":\n${failing.slice(0, 20).map((f) => `- ${f.id}`).join('\n')}`, { failing: failing.map((f) => f.id) });
    }
    const fresh = [...this.runs.keys()].map((scope) => this.freshRun(scope));
    for (const run of await Promise.all(fresh)) {
      const found = run && matchTest(run.results, selector, this.root.path);
      if (found) return found;
    }
    const file = selectorFile(selector);
    if (!file) {
      const run = await this.runTests(undefined, signal);
      const found = matchTest(run.results, selector, this.root.path);
      if (found) return found;
      throw new AgentToolError(`No test of the project is called ${selector}. Call ducktrace_failingTests for the ids.`);
    }
    const run = await this.runTests(file, signal);
    const found = matchTest(run.results, selector, this.root.path);
    if (found) return found;
    throw new AgentToolError(`No test ${selector} ran in ${file}. Call ducktrace_failingTests for the ids.`, { ran: run.results.map((r) => r.id).slice(0, 50) });
  }

  // ---------------------------------------------------------------- targets

  /**
   * The function to work on: the one named in `spec` (`FILE:FUNCTION`), or the one the failure
   * points at, by the same first stage as Explain and Fix.
   */
  async locate(spec: string | undefined, failure: TestFailure | undefined, files: SourceFiles = this.files): Promise<LocatedFunction> {
    let named: { file: string; function: string } | undefined;
    if (spec) {
      const parsed = parseTargetSpec(spec);
      if (!parsed) throw new AgentToolError(`"target" needs FILE:FUNCTION (for example "src/cart.py:Cart.total"), not "${spec}".`);
      named = { file: await this.root.resolve(parsed.file), function: parsed.function };
    } else if (!failure) {
      throw new AgentToolError('Say which function in "target" ("path/to/file.py:function_name"): the test passed, so there is no failure to follow.');
    }
    const located = await locateTarget({
      failure: failure ?? {},
      ...(named ? { target: named } : {}),
      roots: [this.root.path],
      files,
      parser: this.parser,
      neverSend: this.neverSend,
    });
    if (!located.ok) throw new AgentToolError(located.error.replaceAll(this.root.path + '/', ''));
    return { ...located, file: this.root.relative(located.target.file) };
  }

  // ---------------------------------------------------------------- what leaves

  /** Every string of `value` with the project's secrets replaced (the .env files' values, key-shaped strings). */
  async redact<T>(value: T): Promise<T> {
    const envTexts = await this.envTexts();
    const secretValues = [...((await this.options.secretValues?.()) ?? [])];
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return redactSecrets(v, { envTexts, secretValues }).text;
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  private async envTexts(): Promise<string[]> {
    const names = ['.env', '.env.local', '.env.development', '.env.production', '.env.test'];
    const texts = await Promise.all(names.map((n) => this.files.read(join(this.root.path, n))));
    return texts.filter((t): t is string => typeof t === 'string');
  }

  /**
   * What the project's files look like now: their count and newest modification. Any edit, added or
   * deleted file changes it (installed and generated folders are not looked at).
   */
  private async stamp(): Promise<string> {
    let count = 0;
    let newest = 0;
    const queue = [this.root.path];
    while (queue.length && count < 20_000) {
      const dir = queue.shift()!;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      const stats = await Promise.all(
        entries.map(async (e) => {
          const p = join(dir, e.name);
          if (e.isDirectory()) {
            if (!ignoredFolders.has(e.name) && !e.name.startsWith('.')) queue.push(p);
            return undefined;
          }
          return e.isFile() ? stat(p).catch(() => undefined) : undefined;
        }),
      );
      for (const s of stats) {
        if (!s) continue;
        count++;
        newest = Math.max(newest, s.mtimeMs);
      }
    }
    return `${count}:${newest}`;
  }
}

/**
 * The result `selector` names (matchesTest: its id as listed or absolute, its pytest node id, its
 * name, or a file or class holding it): an exact id first, else a failing one, else the first.
 */
function matchTest(results: readonly KnownResult[], selector: string, root: string): KnownResult | undefined {
  const named = results.filter((r) => matchesTest(selector, r.result, root));
  return named.find((r) => r.id === selector || r.result.testId === selector) ?? named.find((r) => r.result.failure) ?? named[0];
}
