// vitest (4.x on Node 20), from the project's own node_modules/.bin:
// `run --reporter=json --includeTaskLocation` into a file.
import { join } from 'node:path';
import type { TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { runJestLike } from './jestAdapter';
import { filesOf, findBin, namePattern, staticDiscovery } from './jsRunners';

export const vitestAdapter: FrameworkAdapter = {
  framework: 'vitest',
  async discover(_ctx, files) {
    return staticDiscovery('vitest', files);
  },
  async run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    const bin = findBin(ctx.cwd, 'vitest');
    if (!bin) return { framework: 'vitest', cwd: ctx.cwd, results: [], problems: [`vitest is not installed in ${ctx.cwd} (no node_modules/.bin/vitest). Run npm install there.`] };
    const report = join(ctx.tempDir, `vitest-${Date.now()}.json`);
    const pattern = namePattern(selection);
    const args = [
      'run',
      '--reporter=json',
      '--includeTaskLocation',
      `--outputFile=${report}`,
      `--testTimeout=${ctx.testTimeoutMs}`,
      ...(pattern ? ['-t', pattern] : []),
      ...filesOf(selection),
    ];
    return runJestLike('vitest', bin, args, report, ctx);
  },
};
