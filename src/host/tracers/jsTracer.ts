// Runs one JavaScript test (node's test runner) with one function instrumented and reads the trace
// back, in the same RawTrace format as the Python tracer, so the budget and the CLI are shared.
//
// The function is rewritten here, in Ducktrace's process (tree-sitter, src/core/trace/jsInstrument.ts),
// and the rewritten file text travels to the test process in a plan file; there
// dist/ducktrace_js_register.js (`--require`) swaps it in as Node loads the file, CommonJS or ESM.
// The test process never parses anything and the file on disk is never modified. Only the selected
// test runs: `FILE::NAME` becomes `--test-name-pattern=^NAME$`.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listFunctions } from '../../core/blocks/functionFinder';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { instrumentFunction } from '../../core/trace/jsInstrument';
import { applyTraceBudget, type RawTrace } from '../../core/trace/traceBudget';
import { escapeRegExp } from '../runners/adapter';
import { TreeSitterParser } from '../treeSitter';
import { planEnv, sourceHash, type JsTracePlan } from './js/jsPlan';
import { runProcessTree, type ProcessResult } from './processTree';
import { tracerStoppedExitCode, type TraceRun } from './pythonTracer';
import type { ResolvedTarget } from './traceTarget';

export const jsRegisterModule = 'ducktrace_js_register.js';

export interface JsTestOptions {
  readonly cwd: string;
  /** A test file, or `FILE::NAME` for one test by name (node:test's own name, not its suite's). */
  readonly test: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The node binary (default `node` from PATH: the user's, not an editor's embedded runtime). */
  readonly node?: string;
}

/** The folder holding ducktrace_js_register.js and ducktrace_js_hooks.mjs (dist/). */
export function jsTracerDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, jsRegisterModule))) return dir;
    if (existsSync(join(dir, 'dist', jsRegisterModule))) return join(dir, 'dist');
    if (dirname(dir) === dir) throw new Error(`${jsRegisterModule} not found above ${from}: run 'npm run build'`);
  }
}

/** `node --test` arguments that run only the selected test: its file, and its name as an exact regex. */
export function nodeTestArgsFor(test: string): string[] {
  const split = test.indexOf('::');
  const file = split >= 0 ? test.slice(0, split) : test;
  const name = split >= 0 ? test.slice(split + 2) : '';
  return [...(name ? [`--test-name-pattern=^${escapeRegExp(name)}$`] : []), file];
}

function testEnv(options: JsTestOptions, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ...extra };
  // Set when Ducktrace itself runs under `node --test`: a child `node --test` would report to it.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** The same test without the tracer: what a benchmark compares a traced run against. */
export async function runJavaScriptTestUntraced(options: JsTestOptions, timeoutMs = 60_000): Promise<ProcessResult> {
  return runProcessTree(options.node ?? 'node', ['--test', ...nodeTestArgsFor(options.test)], { cwd: options.cwd, env: testEnv(options), timeoutMs });
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
export async function instrumentTarget(target: ResolvedTarget, parser: SourceParser = (sharedParser ??= new TreeSitterParser())): Promise<Omit<JsTracePlan, 'outDir' | 'deadlineAt'> & { unprobed: readonly string[] }> {
  const tree = await parser.parse(target.source, target.language);
  try {
    const lines = new LineIndex(target.source);
    const { start, end } = target.blocks.function.range;
    const fn = listFunctions(tree.rootNode, target.language, lines).find(
      (f) => f.range.start.line === start.line && f.range.start.character === start.character && f.range.end.line === end.line && f.range.end.character === end.character,
    );
    if (!fn) throw new Error(`${target.file}: ${target.blocks.function.name} not found again`);
    const out = instrumentFunction(target.source, fn, target.blocks.blocks, target.plan.selfFields);
    return {
      file: target.file,
      sourceHash: sourceHash(target.source),
      instrumented: out.text,
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
  const stoppedBy = traces.find((t) => t.stoppedBy)?.stoppedBy;
  return {
    calls: traces.flatMap((t) => t.calls),
    droppedCalls: sum((t) => t.droppedCalls),
    droppedDeepCalls: sum((t) => t.droppedDeepCalls),
    executedSteps: sum((t) => t.executedSteps),
    elapsedMs: Math.max(...traces.map((t) => t.elapsedMs ?? 0)),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

export async function traceJavaScriptTest(target: ResolvedTarget, options: JsTestOptions): Promise<TraceRun> {
  const loader = target.language === 'javascript' ? [] : typeScriptLoaderArgs(options.cwd);
  if (!loader) {
    throw new Error(`${target.file}: tracing TypeScript needs the project's own loader: Ducktrace runs node --test with --import tsx, and tsx is not installed in ${options.cwd}`);
  }
  const budget = target.plan.budget;
  const instrumented = await instrumentTarget(target);
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-jstrace-'));
  try {
    const { unprobed, ...rest } = instrumented;
    // The tracer's own deadline writes the trace before we would have to kill the process.
    const plan: JsTracePlan = { ...rest, outDir: dir, deadlineAt: Date.now() + Math.max(500, budget.timeoutMs * 0.9 - 500) };
    const planFile = join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const node = options.node ?? 'node';
    // Our hooks first: a TypeScript loader registered after them transforms the instrumented source.
    const args = ['--test', '--require', join(jsTracerDir(), jsRegisterModule), ...loader, ...nodeTestArgsFor(options.test)];
    const result = await runProcessTree(node, args, { cwd: options.cwd, env: testEnv(options, { [planEnv]: planFile }), timeoutMs: budget.timeoutMs });
    const files = (await readdir(dir)).filter((f) => /^trace-\d+-\d+\.json$/.test(f)).sort();
    const traces: RawTrace[] = [];
    for (const f of files) {
      try {
        traces.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as RawTrace);
      } catch {
        // half-written by a killed process
      }
    }
    let raw: RawTrace = traces.length ? mergeRaw(traces) : { calls: [], ...(result.timedOut ? { stoppedBy: 'killed' as const } : {}), elapsedMs: result.elapsedMs };
    if (unprobed.length) raw = { ...raw, notes: [...(raw.notes ?? []), `block${unprobed.length === 1 ? '' : 's'} ${unprobed.join(', ')} could not be instrumented and never show`] };
    const trace = applyTraceBudget(raw, { file: target.file, function: target.blocks.function.name, language: target.language }, budget, result.elapsedMs);
    const stopped = raw.stoppedBy === 'steps' || raw.stoppedBy === 'time';
    return {
      trace,
      exitCode: stopped ? tracerStoppedExitCode : result.exitCode,
      timedOut: result.timedOut,
      stdout: result.stdout,
      stderr: result.stderr,
      elapsedMs: result.elapsedMs,
      command: [node, ...args],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
