// JavaScript/TypeScript tracing is not in yet: the CLI and the editor say so instead of guessing.
import type { TraceRun } from './pythonTracer';
import type { ResolvedTarget } from './traceTarget';

export async function traceJavaScriptTest(target: ResolvedTarget, _options: { cwd: string; test: string; env?: NodeJS.ProcessEnv }): Promise<TraceRun> {
  throw new Error(`Tracing ${target.language} is not supported yet (${target.file}); Ducktrace traces Python tests for now.`);
}
