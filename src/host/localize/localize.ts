// `localize`: from FILE:FUNCTION to its blocks ranked by suspicion. One pytest run of the tests that
// reach the function (the test files that mention it, or the given command) under the coverage
// tracer, then the pure ranking of src/core/localize/suspicion.ts. Python only for now.

import type { SuspicionSummary, SuspicionWeights } from '../../core/localize/suspicion';
import { rankSuspiciousBlocks } from '../../core/localize/suspicion';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { resolveTarget, type ResolvedTarget, type TargetSpec } from '../tracers/traceTarget';
import { parsePytestCommand, pythonTestFilesReaching, runPythonSpectra, type SpectraRun } from './pythonSpectra';

export interface LocalizeRequest {
  readonly cwd: string;
  readonly target: TargetSpec;
  /** A pytest command selecting the tests; default: the test files that mention the function. */
  readonly testCommand?: string;
  readonly python?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Per-test limit in seconds (default 10). */
  readonly testTimeoutSeconds?: number;
  /** Whole-run limit (default 5 minutes). */
  readonly timeoutMs?: number;
  readonly weights?: Partial<SuspicionWeights>;
  readonly parser?: SourceParser;
  /** Cancels the run: the process tree is killed. */
  readonly signal?: AbortSignal;
}

export interface LocalizeResult {
  readonly target: ResolvedTarget;
  readonly suspicion: SuspicionSummary;
  readonly run: SpectraRun;
  /** pytest's test selection as run. */
  readonly pytestArgs: readonly string[];
}

export async function localize(request: LocalizeRequest): Promise<LocalizeResult> {
  const target = await resolveTarget(request.cwd, request.target, {}, request.parser);
  if (target.language !== 'python') throw new Error(`localize: only Python functions for now (${request.target.file} is ${target.language})`);
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
  const suspicion = rankSuspiciousBlocks(target.blocks.blocks, run.spectra, request.weights);
  return { target, suspicion, run, pytestArgs };
}
