// node's built-in test runner: `node --test` with Ducktrace's reporter writing JSON lines to a
// file (and the spec reporter to the output shown to the user). No collection mode, so tests
// are discovered by reading the test files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import type { TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { filesOf, namePattern, runProblem, staticDiscovery } from './jsRunners';
import { runProcessTree } from '../process/processTree';

function growthWatch(file: string, limitMs: number): () => boolean {
  let size = -1;
  let since = Date.now();
  return () => {
    const now = existsSync(file) ? statSync(file).size : 0;
    if (now !== size) {
      size = now;
      since = Date.now();
    }
    return Date.now() - since > limitMs;
  };
}

/** Without NODE_TEST_CONTEXT: set when Ducktrace itself runs under `node --test`, it turns a child `node --test` into a subtest stream that ignores reporters. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

export const nodeTestAdapter: FrameworkAdapter = {
  framework: 'node',
  async discover(_ctx, files) {
    return staticDiscovery('node', files);
  },
  async run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    const report = join(ctx.tempDir, `node-${Date.now()}.jsonl`);
    const pattern = namePattern({ tests: selection.tests?.map((t) => ({ ...t, suitePath: [] })) ?? [] });
    const args = [
      '--test',
      `--test-reporter=${join(ctx.helpersDir, 'nodeTestReporter.js')}`,
      `--test-reporter-destination=${report}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      ...(pattern ? [`--test-name-pattern=${pattern}`] : []),
      ...filesOf(selection),
    ];
    ctx.onOutput?.(`$ node ${args.join(' ')}\r\n`);
    const limit = ctx.testTimeoutMs + 15_000;
    const result = await runProcessTree('node', args, {
      cwd: ctx.cwd,
      env: childEnv(),
      timeoutMs: 0,
      isIdle: growthWatch(report, limit),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
      ...(ctx.onOutput ? { onOutput: (t: string) => ctx.onOutput?.(t.replace(/\r?\n/g, '\r\n')) } : {}),
    });
    const results = existsSync(report) ? parseNodeTestEvents(readFileSync(report, 'utf8'), ctx.cwd) : [];
    const problems: string[] = [];
    if (result.cancelled) return { framework: 'node', cwd: ctx.cwd, results, problems, cancelled: true };
    if (result.idleKilled || result.startError || !existsSync(report)) problems.push(runProblem('node', result, limit));
    return { framework: 'node', cwd: ctx.cwd, results, problems, ...(result.idleKilled ? { timedOut: true } : {}) };
  },
};
