// Runs one JavaScript test (node's test runner, jest or vitest) with one function instrumented and
// reads the trace back, in the same RawTrace format as the Python tracer, so the budget and the CLI
// are shared.
//
// The function is rewritten here, in Ducktrace's process (tree-sitter, src/core/trace/jsInstrument.ts),
// and the rewritten file text travels to the test process in a plan file; there
// dist/ducktrace_js_register.js installs the recorder and, depending on the runner, swaps the text in
// (jsTestLaunch.ts says how for each). The test process never parses anything and the file on disk
// is never modified. Only the selected test runs, by the runner's own filter.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { listFunctions } from '../../core/blocks/functionFinder';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { instrumentFunction, type InstrumentMode } from '../../core/trace/jsInstrument';
import { applyTraceBudget, settleRunEnd, type RawTrace } from '../../core/trace/traceBudget';
import { TreeSitterParser } from '../treeSitter';
import { planEnv, plannedSource, type JsRunner, type JsTracePlan } from './js/jsPlan';
import { detectJsRunner, jsLaunch, jsProjectDir, parseJsTestId, type JsLaunch } from './jsTestLaunch';
import { runProcessTreeOrThrow, type ProcessTreeResult } from '../process/processTree';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import { readRawTrace, tracerStopGraceMs, tracerStoppedExitCode, type TraceRun } from './pythonTracer';
import type { ResolvedTarget } from './traceTarget';

export const jsRegisterModule = 'ducktrace_js_register.js';
/** The root hook plugin of the coverage runs under mocha (jsMochaHooks.ts), next to the register module. */
export const jsMochaHooksModule = 'ducktrace_mocha_hooks.js';

export { nodeTestArgsFor } from './jsTestLaunch';

export interface JsTestOptions {
  readonly cwd: string;
  /**
   * A test file, or `FILE::NAME` for one test by name (node:test: its own name, not its suite's);
   * jest and vitest also take `FILE::SUITE::...::NAME`.
   */
  readonly test: string;
  /** The runner; detected from the test file and its project when absent. */
  readonly framework?: JsRunner;
  readonly env?: NodeJS.ProcessEnv;
  /** The node binary (default `node` from PATH: the user's, not an editor's embedded runtime). */
  readonly node?: string;
  /** Cancels the run: the recorder is told to stop and its trace so far comes back. */
  readonly signal?: AbortSignal;
  /** Runs the traced test fenced (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
  /** The tree-sitter parser that finds the function again to instrument it (a shared one when absent). */
  readonly parser?: SourceParser;
}

/** The folder holding ducktrace_js_register.js and ducktrace_js_hooks.mjs (dist/). */
export function jsTracerDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, jsRegisterModule))) return dir;
    if (existsSync(join(dir, 'dist', jsRegisterModule))) return join(dir, 'dist');
    if (dirname(dir) === dir) throw new Error(`${jsRegisterModule} not found above ${from}: run 'npm run build'`);
  }
}

function testEnv(options: JsTestOptions, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ...extra };
  // Set when Ducktrace itself runs under `node --test`: a child `node --test` would report to it.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Which runner runs the test, in which folder, and the test as that runner's launch wants it. */
export function resolveJsRun(options: JsTestOptions): { runner: JsRunner; cwd: string; test: string } {
  const id = parseJsTestId(options.cwd, options.test);
  const project = jsProjectDir(options.cwd, id.file);
  const runner = options.framework ?? detectJsRunner(project, id.file);
  // node's runner runs where it is asked to (its tests' names are relative to there).
  if (runner === 'node') return { runner, cwd: options.cwd, test: options.test };
  return { runner, cwd: project, test: [id.file, ...id.names].join('::') };
}

/**
 * The same test without the tracer: what a benchmark or a test compares a traced run against.
 * `lingerMs`: how long the runner's workers may go on after it exits (see runProcessTree).
 */
export async function runJavaScriptTestUntraced(options: JsTestOptions, timeoutMs = 60_000, lingerMs = 0): Promise<ProcessTreeResult & { launch: JsLaunch }> {
  const run = resolveJsRun(options);
  const loader = run.runner === 'node' && /\.[cm]?tsx?$/.test(parseJsTestId(options.cwd, options.test).file) ? (typeScriptLoaderArgs(options.cwd) ?? []) : [];
  const tempDir = await mkdtemp(join(tmpdir(), 'ducktrace-jsrun-'));
  try {
    const launch = await jsLaunch({ ...run, node: options.node ?? 'node', env: testEnv(options), loader, tempDir });
    const sandbox = withWritable(options.sandbox, tempDir);
    const result = await runProcessTreeOrThrow(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, timeoutMs, signal: options.signal, lingerMs, ...(sandbox ? { sandbox } : {}) });
    return { ...result, launch };
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * TypeScript runs through the project's own tsx (Node 20 cannot run .ts by itself); the TypeScript
 * source is instrumented and tsx compiles the result. Undefined when the project has no tsx.
 */
export function typeScriptLoaderArgs(cwd: string): string[] | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', 'tsx', 'package.json'))) return ['--import', 'tsx'];
    if (dirname(dir) === dir) return undefined;
  }
}

let sharedParser: SourceParser | undefined;

/** The target's file with the function instrumented, and what the runtime needs to read the probes. */
export async function instrumentTarget(target: ResolvedTarget, parser: SourceParser = (sharedParser ??= new TreeSitterParser()), mode: InstrumentMode = 'values'): Promise<Omit<JsTracePlan, 'outDir'> & { unprobed: readonly string[] }> {
  const tree = await parser.parse(target.source, target.language);
  try {
    const lines = new LineIndex(target.source);
    const { start, end } = target.blocks.function.range;
    const fn = listFunctions(tree.rootNode, target.language, lines).find(
      (f) => f.range.start.line === start.line && f.range.start.character === start.character && f.range.end.line === end.line && f.range.end.character === end.character,
    );
    if (!fn) throw new Error(`${target.file}: ${target.blocks.function.name} not found again`);
    const out = instrumentFunction(target.source, fn, target.blocks.blocks, target.plan.selfFields, { mode, sourceName: basename(target.file) });
    return {
      file: target.file,
      source: plannedSource(target.source),
      instrumented: out.text,
      map: out.map,
      mode,
      probes: out.probes,
      params: out.params,
      thisArg: out.thisArg,
      selfFields: target.plan.selfFields.filter((f) => !f.startsWith('#')),
      budget: target.plan.budget,
      unprobed: out.unprobed,
    };
  } finally {
    tree.delete();
  }
}

function mergeRaw(traces: readonly RawTrace[]): RawTrace {
  if (traces.length === 1) return traces[0];
  const sum = (pick: (t: RawTrace) => number | undefined) => traces.reduce((n, t) => n + (pick(t) ?? 0), 0);
  const notes = traces.flatMap((t) => t.notes ?? []);
  const stopper = traces.find((t) => t.stoppedBy);
  const stoppedBy = stopper?.stoppedBy;
  return {
    calls: traces.flatMap((t) => t.calls),
    droppedCalls: sum((t) => t.droppedCalls),
    droppedDeepCalls: sum((t) => t.droppedDeepCalls),
    executedSteps: sum((t) => t.executedSteps),
    elapsedMs: Math.max(...traces.map((t) => t.elapsedMs ?? 0)),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(stopper?.exitCode !== undefined ? { exitCode: stopper.exitCode } : {}),
    ...(traces.some((t) => t.partial) ? { partial: true } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

export async function traceJavaScriptTest(target: ResolvedTarget, options: JsTestOptions): Promise<TraceRun> {
  const run = resolveJsRun(options);
  // jest and vitest compile TypeScript with the project's own transform; node's runner needs tsx.
  const loader = target.language === 'javascript' || run.runner !== 'node' ? [] : typeScriptLoaderArgs(options.cwd);
  if (!loader) {
    throw new Error(`${target.file}: tracing TypeScript needs the project's own loader: Ducktrace runs node --test with --import tsx, and tsx is not installed in ${options.cwd}`);
  }
  const budget = target.plan.budget;
  const instrumented = await instrumentTarget(target, options.parser);
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-jstrace-'));
  try {
    const { unprobed, ...rest } = instrumented;
    const plan: JsTracePlan = { ...rest, outDir: dir, runner: run.runner };
    const planFile = join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const tracerDir = jsTracerDir();
    // Our hooks first: a TypeScript loader registered after them transforms the instrumented source.
    const launch = await jsLaunch({
      ...run,
      node: options.node ?? 'node',
      env: testEnv(options, { [planEnv]: planFile }),
      loader,
      traced: { register: join(tracerDir, jsRegisterModule), planFile, tempDir: dir, tracerDir },
    });
    // One clock for the time limit, ours: when it is over, SIGTERM tells the recorder to write what
    // it has and end; it gets a few seconds before the kill (its checkpoints cover even that).
    const sandbox = withWritable(options.sandbox, dir);
    const result = await runProcessTreeOrThrow(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      timeoutMs: budget.timeoutMs,
      stopGraceMs: tracerStopGraceMs,
      signal: options.signal,
      ...(sandbox ? { sandbox } : {}),
    });
    const files = (await readdir(dir)).filter((f) => /^trace-\d+-\d+\.json$/.test(f)).sort();
    const traces: RawTrace[] = [];
    for (const f of files) {
      const raw = await readRawTrace(join(dir, f));
      if (raw) traces.push(settleRunEnd(raw, result));
    }
    let raw: RawTrace = traces.length ? mergeRaw(traces) : settleRunEnd(undefined, result);
    if (unprobed.length) raw = { ...raw, notes: [...(raw.notes ?? []), `block${unprobed.length === 1 ? '' : 's'} ${unprobed.join(', ')} could not be instrumented and never show`] };
    const trace = applyTraceBudget(raw, { file: target.file, function: target.blocks.function.name, language: target.language }, budget, result.elapsedMs);
    const stopped = raw.stoppedBy === 'steps' || raw.stoppedBy === 'time';
    return {
      trace,
      exitCode: stopped ? tracerStoppedExitCode : result.exitCode,
      timedOut: result.timedOut,
      // Shown as the run's tail: a project that forces colours (FORCE_COLOR in the user's environment) gets them stripped.
      stdout: stripVTControlCharacters(result.stdout),
      stderr: stripVTControlCharacters(result.stderr),
      elapsedMs: result.elapsedMs,
      command: [launch.command, ...launch.args],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
