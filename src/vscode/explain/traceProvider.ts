// Runtime values for Explain and fix: reruns the failing test under Ducktrace's tracer (only that
// test, with the runner's own filter) and hands the prompt the values after each block.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toPromptTrace } from '../../core/trace/promptTrace';
import { pytestNodeId } from '../../core/failures/testSelectors';
import { traceTest } from '../../host/tracers/traceTest';
import { pythonInterpreter } from '../testing/pythonInterpreter';
import type { ExplainInput, TraceProvider } from './explainController';

/** The failing test as the tracer's `--test` wants it: a pytest node id relative to the cwd. */
export function testSelector(input: ExplainInput, cwd: string): string | undefined {
  if (input.testId) return pytestNodeId(input.testId, cwd);
  if (input.file && input.name) return `${path.relative(cwd, input.file)}::${input.name}`;
  return undefined;
}

export function createTraceProvider(log: vscode.LogOutputChannel): TraceProvider {
  return async (input, target, _blocks, _signal, sandbox) => {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.file));
    if (!folder) return undefined;
    const cwd = folder.uri.fsPath;
    const test = testSelector(input, cwd);
    if (!test) return undefined;
    const started = Date.now();
    // JavaScript: the runner is detected from the test file; jest and vitest run in its package folder.
    const run = await traceTest({ cwd, test, target: { file: target.file, function: target.functionName }, python: await pythonInterpreter(folder.uri), ...(sandbox ? { sandbox } : {}) });
    log.info(`Traced ${target.functionName} in ${test}: ${run.trace.calls.length} call(s), ${run.trace.stats.steps} step(s), ${Date.now() - started} ms${run.timedOut ? ' (stopped at the time limit)' : ''}`);
    return toPromptTrace(run.trace);
  };
}
