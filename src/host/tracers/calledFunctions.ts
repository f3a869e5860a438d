// Which workspace functions ran while one test ran: a cheap run that settles what the target
// finder cannot tell from the code alone (src/core/blocks/targetFinder.ts, `rankByRun`).
// Python: dist/ducktrace_calls.py counts calls of code under the workspace folders, in order.
// JavaScript (node:test, jest, vitest): V8's own coverage (NODE_V8_COVERAGE) counts calls per
// function, nothing is instrumented; it does not tell the order. Either way the test runs once,
// untraced otherwise, with the runner's own selection of that one test.

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFunctions, type FunctionInfo } from '../../core/blocks/functionFinder';
import { languageForFile } from '../../core/blocks/languages';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { RanFunction, Target } from '../../core/blocks/targetFinder';
import { runProcessTreeOrThrow } from '../process/processTree';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import { TreeSitterParser } from '../treeSitter';
import { coverageFlushEnv, type JsRunner } from './js/jsPlan';
import { jsRegisterModule, jsTracerDir, runJavaScriptTestUntraced } from './jsTracer';
import { pytestArgsFor, pythonEnv, pythonFlags, pythonTracerDir, tracerStopGraceMs } from './pythonTracer';

/** A function that ran, with the target it is (our name and range for it). */
export interface CalledFunction extends RanFunction {
  readonly target: Target;
}

export interface CalledFunctionsRequest {
  readonly cwd: string;
  /** As `traceTest` takes it: a pytest node id, or a JavaScript `FILE::NAME`. */
  readonly test: string;
  /** Workspace folders: only their functions count (node_modules, site-packages and virtual environments never). */
  readonly roots: readonly string[];
  readonly python?: string;
  readonly node?: string;
  readonly framework?: JsRunner;
  /** The run's time limit (default 60 s); a run stopped at it reports what it counted (Python). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly parser?: SourceParser;
  /** Runs the test fenced (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
}

export interface CalledFunctionsRun {
  /** Latest first where the order is known (Python), else by file and line. */
  readonly functions: readonly CalledFunction[];
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

export const pythonCallsModule = 'ducktrace_calls';

let sharedParser: SourceParser | undefined;

export async function calledFunctions(request: CalledFunctionsRequest): Promise<CalledFunctionsRun> {
  const testFile = request.test.split('::')[0];
  const python = languageForFile(testFile) === 'python' || (!languageForFile(testFile) && !/\.[cm]?[jt]sx?$/.test(testFile));
  const parser = request.parser ?? (sharedParser ??= new TreeSitterParser());
  const dir = await mkdtemp(join(tmpdir(), 'ducktrace-calls-'));
  try {
    return python ? await pythonCalls(request, dir, parser) : await javascriptCalls(request, dir, parser);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface RawCall {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly calls: number;
  readonly last: number;
}

async function pythonCalls(request: CalledFunctionsRequest, dir: string, parser: SourceParser): Promise<CalledFunctionsRun> {
  const out = join(dir, 'calls.json');
  const args = [...pythonFlags, '-m', pythonCallsModule, '--roots', request.roots.join(delimiter), '--out', out, '--', 'pytest', ...pytestArgsFor(request.test)];
  const result = await runProcessTreeOrThrow(request.python ?? 'python3', args, {
    cwd: request.cwd,
    env: { ...pythonEnv({ env: request.env }, pythonTracerDir()) },
    timeoutMs: request.timeoutMs ?? 60_000,
    stopGraceMs: tracerStopGraceMs,
    signal: request.signal,
    ...(request.sandbox ? { sandbox: withWritable(request.sandbox, dir)! } : {}),
  });
  let raw: RawCall[] = [];
  try {
    raw = (JSON.parse(await readFile(out, 'utf8')) as { functions: RawCall[] }).functions;
  } catch {
    raw = [];
  }
  const functions = await toTargets(raw, request.roots, parser, (fns, r) => {
    // co_firstlineno is the first decorator's line; ours is the `def`'s.
    const simple = r.name.split('.').pop() ?? r.name;
    return fns.filter((f) => f.name === simple && f.range.start.line >= r.line && f.range.start.line <= r.line + 20).sort((a, b) => a.range.start.line - b.range.start.line).slice(0, 1);
  });
  return { functions: functions.sort((a, b) => b.lastOrder - a.lastOrder), exitCode: result.exitCode, timedOut: result.timedOut, elapsedMs: result.elapsedMs };
}

interface V8Function {
  readonly functionName: string;
  readonly ranges: readonly { readonly startOffset: number; readonly endOffset: number; readonly count: number }[];
}

async function javascriptCalls(request: CalledFunctionsRequest, dir: string, parser: SourceParser): Promise<CalledFunctionsRun> {
  const coverage = join(dir, 'coverage');
  // Every process and worker of the run inherits both; the register module only flushes coverage on SIGTERM.
  const register = join(jsTracerDir(), jsRegisterModule);
  const base = request.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
  const env = { ...request.env, NODE_V8_COVERAGE: coverage, [coverageFlushEnv]: '1', NODE_OPTIONS: `${base} --require ${JSON.stringify(register)}`.trim() };
  const result = await runJavaScriptTestUntraced(
    { cwd: request.cwd, test: request.test, env, signal: request.signal, ...(request.node ? { node: request.node } : {}), ...(request.framework ? { framework: request.framework } : {}), ...(request.sandbox ? { sandbox: withWritable(request.sandbox, dir)! } : {}) },
    request.timeoutMs ?? 60_000,
    // vitest ends its forks with SIGTERM and exits at once: they are still writing their coverage.
    5000,
  );
  const raw: RawCall[] = [];
  const byFile = new Map<string, V8Function[]>();
  for (const name of await readdir(coverage).catch(() => [] as string[])) {
    let report: { result?: { url: string; functions: V8Function[] }[] };
    try {
      report = JSON.parse(await readFile(join(coverage, name), 'utf8')) as typeof report;
    } catch {
      continue;
    }
    for (const script of report.result ?? []) {
      const file = scriptPath(script.url);
      if (!file || !inWorkspace(file, request.roots)) continue;
      const list = byFile.get(file) ?? [];
      list.push(...script.functions.filter((f) => (f.ranges[0]?.count ?? 0) > 0));
      byFile.set(file, list);
    }
  }
  for (const [file, fns] of byFile) {
    for (const f of fns) {
      const range = f.ranges[0];
      // The module's own top-level code is an unnamed function at offset 0.
      if (range.startOffset === 0 && !f.functionName) continue;
      raw.push({ file, line: range.startOffset, name: f.functionName, calls: range.count, last: 0 });
    }
  }
  const functions = await toTargets(raw, request.roots, parser, (fns, r) => {
    // V8's offsets are the file's own unless a transform (TypeScript, babel) rewrote it: then the name decides.
    const atOffset = fns.filter((f) => Math.abs(f.node.startIndex - r.line) <= 1 || (f.node.startIndex <= r.line && r.line <= f.node.startIndex + 16 && f.name === r.name));
    if (atOffset.length) return atOffset.slice(-1);
    return fns.filter((f) => !f.anonymous && (f.name === r.name || (f.name === 'constructor' && f.className === r.name)));
  });
  return { functions: functions.sort((a, b) => a.target.file.localeCompare(b.target.file) || a.line - b.line), exitCode: result.exitCode, timedOut: result.timedOut, elapsedMs: result.elapsedMs };
}

function scriptPath(url: string): string | undefined {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url.replace(/[?#].*$/, ''));
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? url.replace(/[?#].*$/, '') : undefined;
}

function inWorkspace(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const rel = relative(root, file);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules');
  });
}

/** Our function for each raw record (parsed once per file); records with none are dropped. */
async function toTargets(raw: readonly RawCall[], roots: readonly string[], parser: SourceParser, pick: (fns: readonly FunctionInfo[], r: RawCall) => FunctionInfo[]): Promise<CalledFunction[]> {
  const parsed = new Map<string, FunctionInfo[] | undefined>();
  const out = new Map<string, CalledFunction>();
  for (const r of raw) {
    if (!inWorkspace(r.file, roots)) continue;
    let fns = parsed.get(r.file);
    if (!parsed.has(r.file)) {
      fns = await functionsOf(r.file, parser);
      parsed.set(r.file, fns);
    }
    for (const fn of pick(fns ?? [], r)) {
      const key = `${r.file}\0${fn.range.start.line}`;
      const seen = out.get(key);
      const language = languageForFile(r.file)!;
      const target: Target = { file: r.file, language, functionName: fn.qualifiedName, range: fn.range };
      out.set(key, {
        file: r.file,
        line: fn.range.start.line,
        name: fn.qualifiedName,
        calls: (seen?.calls ?? 0) + r.calls,
        lastOrder: Math.max(seen?.lastOrder ?? 0, r.last),
        target,
      });
    }
  }
  return [...out.values()];
}

async function functionsOf(file: string, parser: SourceParser): Promise<FunctionInfo[] | undefined> {
  const language = languageForFile(file);
  if (!language) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const tree = await parser.parse(text, language);
  // FunctionInfo keeps nodes; what we read of them (range, names, startIndex) is copied now.
  const fns = listFunctions(tree.rootNode, language, new LineIndex(text)).map((f) => ({ ...f, node: { startIndex: f.node.startIndex } as FunctionInfo['node'] }));
  tree.delete();
  return fns;
}
