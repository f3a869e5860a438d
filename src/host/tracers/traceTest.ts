// One entry point for tracing a test, whatever the language: the CLI, the editor and benchmarks
// call this; it picks the Python or JavaScript tracer by the target file's language.

import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { TraceBudget } from '../../core/trace/traceModel';
import type { JsRunner } from './js/jsPlan';
import { traceJavaScriptTest } from './jsTracer';
import { tracePythonTest, type TraceRun } from './pythonTracer';
import type { SandboxSpec } from '../process/sandbox';
import { resolveTarget, type TargetSpec } from './traceTarget';

export interface TraceTestRequest {
  readonly cwd: string;
  /**
   * The failing test: a pytest node id or `-k` expression; for JavaScript a test file, optionally
   * `FILE::NAME` (jest and vitest: also `FILE::SUITE::...::NAME`).
   */
  readonly test: string;
  /** JavaScript only: the runner (node, jest, vitest); detected from the test file and its project when absent. */
  readonly framework?: JsRunner;
  readonly target: TargetSpec;
  readonly budget?: Partial<TraceBudget>;
  /** Python interpreter (default `python3`). */
  readonly python?: string;
  /** JavaScript: the node binary that starts the runner (default `node` from PATH). */
  readonly node?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Cancels the run: the tracer is told to stop, and what it recorded so far comes back. */
  readonly signal?: AbortSignal;
  /** Runs the traced test fenced (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
  /** The caller's tree-sitter parser (grammars already loaded); a shared one of this module's when absent. */
  readonly parser?: SourceParser;
}

export async function traceTest(request: TraceTestRequest): Promise<TraceRun> {
  const target = await resolveTarget(request.cwd, request.target, request.budget, request.parser);
  if (target.language === 'python') {
    return tracePythonTest(target, { cwd: request.cwd, test: request.test, python: request.python, env: request.env, signal: request.signal, ...(request.sandbox ? { sandbox: request.sandbox } : {}) });
  }
  return traceJavaScriptTest(target, {
    cwd: request.cwd,
    test: request.test,
    env: request.env,
    signal: request.signal,
    ...(request.node ? { node: request.node } : {}),
    ...(request.framework ? { framework: request.framework } : {}),
    ...(request.sandbox ? { sandbox: request.sandbox } : {}),
    ...(request.parser ? { parser: request.parser } : {}),
  });
}
