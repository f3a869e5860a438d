// jest, from the project's own node_modules/.bin: `--json --testLocationInResults` into a file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJestJson } from '../../core/failures/jestReport';
import type { TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { escapeRegExp } from './adapter';
import { filesOf, findBin, namePattern, runProblem, staticDiscovery } from './jsRunners';
import { runProcessTree } from '../process/processTree';

export const jestAdapter: FrameworkAdapter = {
  framework: 'jest',
  async discover(_ctx, files) {
    return staticDiscovery('jest', files);
  },
  async run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    const bin = findBin(ctx.cwd, 'jest');
    if (!bin) return { framework: 'jest', cwd: ctx.cwd, results: [], problems: [`jest is not installed in ${ctx.cwd} (no node_modules/.bin/jest). Run npm install there.`] };
    const report = join(ctx.tempDir, `jest-${Date.now()}.json`);
    const pattern = namePattern(selection);
    const args = [
      '--json',
      '--testLocationInResults',
      `--outputFile=${report}`,
      `--testTimeout=${ctx.testTimeoutMs}`,
      '--ci',
      ...(pattern ? ['-t', pattern] : []),
      ...filesOf(selection).map((f) => `^${escapeRegExp(f)}$`),
    ];
    return runJestLike('jest', bin, args, report, ctx);
  },
};

export async function runJestLike(framework: 'jest' | 'vitest', bin: string, args: string[], report: string, ctx: RunnerContext): Promise<TestRunReport> {
  ctx.onOutput?.(`$ ${bin} ${args.join(' ')}\r\n`);
  // No report until the end: the whole run gets a budget of several test timeouts.
  const timeoutMs = Math.max(120_000, ctx.testTimeoutMs * 10);
  const result = await runProcessTree(bin, args, {
    cwd: ctx.cwd,
    env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
    timeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
    ...(ctx.onOutput ? { onOutput: (t: string) => ctx.onOutput?.(t.replace(/\r?\n/g, '\r\n')) } : {}),
  });
  if (result.cancelled) return { framework, cwd: ctx.cwd, results: [], problems: [], cancelled: true };
  if (!existsSync(report)) return { framework, cwd: ctx.cwd, results: [], problems: [runProblem(framework, result, timeoutMs)], ...(result.timedOut ? { timedOut: true } : {}) };
  try {
    return { framework, cwd: ctx.cwd, results: parseJestJson(readFileSync(report, 'utf8'), framework, ctx.cwd), problems: [] };
  } catch (err) {
    return { framework, cwd: ctx.cwd, results: [], problems: [`${framework}'s report could not be read: ${String(err)}`] };
  }
}
