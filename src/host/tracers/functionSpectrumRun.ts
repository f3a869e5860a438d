// The function spectrum of one module (src/core/blocks/functionSpectrum.ts): one run of the failing
// test's file, every test of it, with each candidate function of the module counting its entries
// per test through the coverage runtime (instrumentFunctionEntries; the runs and the per-test
// records are jsSpectra's). JavaScript and TypeScript under node's runner, jest and vitest.

import { readFile, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { listFunctions } from '../../core/blocks/functionFinder';
import type { FunctionSpectrumTest } from '../../core/blocks/functionSpectrum';
import { languageForFile } from '../../core/blocks/languages';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/target';
import { instrumentFunctionEntries } from '../../core/trace/jsInstrument';
import { defaultTraceBudget } from '../../core/trace/traceModel';
import { runJsCoverage, testKey } from '../localize/jsSpectra';
import type { SandboxSpec } from '../process/sandbox';
import { plannedSource, type JsRunner } from './js/jsPlan';

export interface FunctionSpectrumRequest {
  readonly cwd: string;
  /** The failing test's file: all its tests run. */
  readonly testFile: string;
  /** The module's candidates; the keys of each test's `entered` are indexes into this list. */
  readonly functions: readonly Target[];
  readonly parser: SourceParser;
  readonly framework?: JsRunner;
  readonly node?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The whole run's limit (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly sandbox?: SandboxSpec;
}

export interface FunctionSpectrumRun {
  readonly tests: readonly FunctionSpectrumTest[];
  /** Why the run gave nothing (no test reported, a function not found again). */
  readonly problem?: string;
}

export async function functionSpectrumRun(request: FunctionSpectrumRequest): Promise<FunctionSpectrumRun> {
  const file = request.functions[0]?.file;
  const language = file ? languageForFile(file) : undefined;
  if (!file || !language || language === 'python' || request.functions.some((f) => f.file !== file)) return { tests: [], problem: 'the functions are not of one JavaScript or TypeScript module' };
  if (request.framework === 'mocha') return { tests: [], problem: 'no function spectrum under mocha yet' };
  const source = await readFile(file, 'utf8');
  const tree = await request.parser.parse(source, language);
  try {
    const all = listFunctions(tree.rootNode, language, new LineIndex(source));
    const fns = request.functions.map((t) => all.find((f) => f.range.start.line === t.range.start.line && f.range.start.character === t.range.start.character && f.qualifiedName === t.functionName));
    if (fns.some((f) => !f)) return { tests: [], problem: `${basename(file)} changed since its functions were listed` };
    const instrumented = instrumentFunctionEntries(source, fns as NonNullable<(typeof fns)[number]>[], { sourceName: basename(file) });
    const { unprobed: _unprobed, text, ...rest } = instrumented;
    const run = await runJsCoverage(
      { ...rest, instrumented: text, file, source: plannedSource(source), selfFields: [], budget: defaultTraceBudget, language },
      {
        cwd: request.cwd,
        testFiles: [request.testFile],
        parser: request.parser,
        timeoutMs: request.timeoutMs ?? 60_000,
        ...(request.framework ? { framework: request.framework } : {}),
        ...(request.node ? { node: request.node } : {}),
        ...(request.env ? { env: request.env } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.sandbox ? { sandbox: request.sandbox } : {}),
      },
    );
    const tests: FunctionSpectrumTest[] = [];
    const keyOf = async (r: (typeof run.results)[number]) => testKey(await realOrSame(r.file), [...r.suitePath, r.name].join(' > '));
    // Records are joined to the report's tests by file and full name: tests that share both (a
    // table of cases under one title) cannot be told apart, so they are no evidence either way.
    const named = new Map<string, number>();
    for (const r of run.results) if (!r.fileLevel) named.set(await keyOf(r), (named.get(await keyOf(r)) ?? 0) + 1);
    for (const r of run.results) {
      if (r.fileLevel || (r.outcome !== 'passed' && r.outcome !== 'failed')) continue;
      const key = await keyOf(r);
      if ((named.get(key) ?? 0) > 1) continue;
      const line = run.lines.get(key);
      const entered = new Map<number, readonly [number, number]>();
      for (const [id, counts] of Object.entries(line?.blocks ?? {})) entered.set(Number(id.slice(1)), counts);
      tests.push({ outcome: r.outcome, entered });
    }
    if (!tests.length) return { tests, problem: run.problems?.join('; ') || 'the run reported no test' };
    return { tests };
  } finally {
    tree.delete();
  }
}

async function realOrSame(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}
