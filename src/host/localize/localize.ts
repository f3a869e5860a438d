// `localize`: from FILE:FUNCTION to its blocks ranked by suspicion. One run of the tests that reach
// the function (the test files that mention it, or the given command) under a coverage mode: the
// Python one (pythonSpectra.ts: pytest) or the JavaScript one (jsSpectra.ts: node's test runner,
// jest, vitest, mocha), then the pure ranking of src/core/localize/suspicion.ts.

import { relative, resolve } from 'node:path';
import type { SuspicionSummary, SuspicionWeights } from '../../core/localize/suspicion';
import { rankSuspiciousBlocks } from '../../core/localize/suspicion';
import { valueEvidence } from '../../core/localize/valueEvidence';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { JsRunner } from '../tracers/js/jsPlan';
import { resolveTarget, type ResolvedTarget, type TargetSpec } from '../tracers/traceTarget';
import { jsTestFilesReaching, runJsSpectra } from './jsSpectra';
import { parsePytestCommand, pythonTestFilesReaching, runPythonSpectra } from './pythonSpectra';
import type { SpectraRun } from './spectraRun';
import { evidenceTraceBudget, traceForEvidence, type ValueTraces } from './valueTraces';
import { mutantMaxLines, mutationEvidence, scheduleMutants, type Mutant, type MutantOutcome, type MutantRun } from '../../core/localize/mutants';
import { mutantsOfFunction } from '../../core/localize/mutantOperators';
import { reachingTests } from '../../core/localize/spectra';
import { TreeSitterParser } from '../treeSitter';
import { runJsMutants } from './jsMutants';
import { runPythonMutants } from './pythonMutants';

let parser: TreeSitterParser | undefined;
const sharedParser = () => (parser ??= new TreeSitterParser());

export interface LocalizeRequest {
  readonly cwd: string;
  readonly target: TargetSpec;
  /** Python: a pytest command selecting the tests; default: the test files that mention the function. */
  readonly testCommand?: string;
  /** JavaScript: the test files to run; default: the test files that mention the function or its module. */
  readonly testFiles?: readonly string[];
  /** JavaScript: the runner; detected per test file when absent. */
  readonly framework?: JsRunner;
  readonly python?: string;
  /** JavaScript: the node binary (default `node` from PATH). */
  readonly node?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Per-test limit in seconds (default 10). */
  readonly testTimeoutSeconds?: number;
  /** Whole-run limit (default 5 minutes). */
  readonly timeoutMs?: number;
  readonly weights?: Partial<SuspicionWeights>;
  /** Trace one failing and one passing test for the value evidence (default true). */
  readonly values?: boolean;
  /** Rerun the tests once per mutant of the suspicious blocks for the mutation evidence (default true). */
  readonly mutants?: boolean;
  /** The mutant runs' limit: how many at most (default 40) and for how long (default 60 s). */
  readonly mutantBudget?: { readonly count?: number; readonly ms?: number };
  readonly parser?: SourceParser;
  /** Cancels the run: the process tree is killed. */
  readonly signal?: AbortSignal;
}

export interface LocalizeResult {
  readonly target: ResolvedTarget;
  readonly suspicion: SuspicionSummary;
  readonly run: SpectraRun;
  /** The tests as selected, in words (`pytest test_x.py`, `2 test files`), for messages. */
  readonly selection: string;
  /** The traced runs for the value evidence, when there were any. */
  readonly values?: ValueTraces;
  /** The mutants that ran and their runs, when there were any. */
  readonly mutation?: { readonly mutants: readonly Mutant[]; readonly run: MutantRun };
  /** The whole ranking: the coverage run, the traced runs and the scoring. */
  readonly elapsedMs: number;
}

export async function localize(request: LocalizeRequest): Promise<LocalizeResult> {
  const started = Date.now();
  const target = await resolveTarget(request.cwd, request.target, evidenceTraceBudget, request.parser);
  const { run, selection, pytestFlags, tests } = target.language === 'python' ? await pythonRun(target, request) : { ...(await javaScriptRun(target, request)), pytestFlags: undefined };
  const values =
    request.values === false
      ? undefined
      : await traceForEvidence(target, run.spectra, {
          cwd: request.cwd,
          ...(request.python ? { python: request.python } : {}),
          ...(pytestFlags ? { pytestFlags } : {}),
          ...(request.framework ? { framework: request.framework } : {}),
          ...(request.node ? { node: request.node } : {}),
          ...(request.env ? { env: request.env } : {}),
        });
  const evidence = values?.tests.length
    ? { blocks: valueEvidence(target.blocks.blocks, values.tests), tracedFailing: values.tests.filter((t) => t.outcome === 'failed').length, tracedPassing: values.tests.filter((t) => t.outcome === 'passed').length }
    : undefined;
  let suspicion = rankSuspiciousBlocks(target.blocks.blocks, run.spectra, request.weights, evidence);
  const mutation = request.mutants === false || suspicion.failingTests === 0 ? undefined : await runMutants(target, suspicion, run, request, tests);
  if (mutation?.run.outcomes.some((o) => !o.skipped)) {
    const tests = reachingTests(run.spectra);
    suspicion = rankSuspiciousBlocks(target.blocks.blocks, run.spectra, request.weights, evidence, mutationEvidence(mutation.mutants, mutation.run, tests));
  }
  return { target, suspicion, run, selection, ...(values ? { values } : {}), ...(mutation ? { mutation } : {}), elapsedMs: Date.now() - started };
}

/**
 * The mutants of the blocks failing tests ran, one of each block in turn, the most suspicious
 * block first (scheduleMutants), cut to the budget; each reruns the tests that reach the function.
 */
async function runMutants(target: ResolvedTarget, first: SuspicionSummary, coverage: SpectraRun, request: LocalizeRequest, tests: TestSelection): Promise<{ mutants: Mutant[]; run: MutantRun } | undefined> {
  const all = await mutantsOfFunction(target.source, target.language, request.parser ?? sharedParser(), { line: target.blocks.function.range.start.line }, target.blocks.blocks);
  const order = first.blocks.filter((b) => b.evidence.failed > 0).map((b) => b.id);
  const mutants = scheduleMutants(all, order, request.mutantBudget?.count ?? 40);
  if (!mutants.length) return undefined;
  const budgetMs = request.mutantBudget?.ms ?? 60_000;
  const reaching = reachingTests(coverage.spectra);
  // A mutant's endless loop stops at ten times the most any test ran (the budgets of the coverage run at most).
  const steps = mutantMaxLines(coverage.records);
  // A mutant that turns every failing test and keeps every passing one settles its block.
  const settles = (o: MutantOutcome) => reaching.every((t) => o.tests[t.testId] === 'passed');
  const common = {
    cwd: request.cwd,
    ...(request.env ? { env: request.env } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    testTimeoutSeconds: request.testTimeoutSeconds ?? 10,
    budgetMs,
    settles,
  };
  const timeoutMs = budgetMs + 60_000;
  const run =
    'pytestArgs' in tests
      ? await runPythonMutants(target, mutants, { ...common, pytestArgs: tests.pytestArgs, ...(tests.python ? { python: tests.python } : {}), maxLines: Math.min(1_000_000, steps), timeoutMs })
      : await runJsMutants(target, mutants, {
          ...common,
          testFiles: tests.testFiles,
          ...(request.framework ? { framework: request.framework } : {}),
          ...(request.node ? { node: request.node } : {}),
          ...(request.parser ? { parser: request.parser } : {}),
          maxBlocksPerTest: Math.min(5_000_000, steps),
          timeoutMs,
        });
  return { mutants, run };
}

/** The tests the coverage run ran, as the mutant runs select them again. */
type TestSelection = { readonly pytestArgs: string[]; readonly python?: string } | { readonly testFiles: readonly string[] };

async function pythonRun(target: ResolvedTarget, request: LocalizeRequest): Promise<{ run: SpectraRun; selection: string; pytestFlags: string[]; tests: TestSelection }> {
  let python = request.python;
  let pytestArgs: string[];
  if (request.testCommand) {
    const parsed = parsePytestCommand(request.testCommand);
    if (typeof parsed === 'string') throw new Error(`localize: ${parsed}`);
    python ??= parsed.python;
    pytestArgs = parsed.pytestArgs;
  } else {
    const files = await pythonTestFilesReaching(request.cwd, target.file, target.blocks.function.name);
    // No file mentions it: let pytest collect everything; a broken test file must not stop the rest.
    pytestArgs = files.length ? files : ['--continue-on-collection-errors'];
  }
  const run = await runPythonSpectra(target, {
    cwd: request.cwd,
    pytestArgs,
    python,
    env: request.env,
    testTimeoutSeconds: request.testTimeoutSeconds,
    timeoutMs: request.timeoutMs,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  return { run, selection: `pytest ${pytestArgs.join(' ')}`, pytestFlags: pytestOptions(pytestArgs), tests: { pytestArgs, ...(python ? { python } : {}) } };
}

/** A pytest command's options without its selection (files, node ids, -k and -m): the traced runs select one test themselves. */
export function pytestOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-k' || a === '-m') i++;
    else if (a === '-p' || a === '-o' || a === '-c' || a === '--rootdir') out.push(a, ...(args[i + 1] !== undefined ? [args[++i]!] : []));
    else if (a.startsWith('-') && a !== '--continue-on-collection-errors') out.push(a);
  }
  return out;
}

async function javaScriptRun(target: ResolvedTarget, request: LocalizeRequest): Promise<{ run: SpectraRun; selection: string; tests: TestSelection }> {
  if (request.testCommand) throw new Error('localize: --test-command takes a pytest command; for JavaScript and TypeScript name the test files (--tests FILE...)');
  const testFiles = request.testFiles?.length ? request.testFiles : await jsTestFilesReaching(request.cwd, target.file, target.blocks.function.name);
  if (!testFiles.length) throw new Error(`localize: no test file under ${request.cwd} mentions ${target.blocks.function.name} or its module; name the test files (--tests FILE...)`);
  const run = await runJsSpectra(target, {
    cwd: request.cwd,
    testFiles,
    ...(request.framework ? { framework: request.framework } : {}),
    ...(request.node ? { node: request.node } : {}),
    ...(request.env ? { env: request.env } : {}),
    ...(request.testTimeoutSeconds ? { testTimeoutSeconds: request.testTimeoutSeconds } : {}),
    ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
    ...(request.parser ? { parser: request.parser } : {}),
  });
  return { run, selection: testFiles.map((f) => relative(request.cwd, resolve(request.cwd, f)) || f).join(' '), tests: { testFiles } };
}
