// vitest (1 to 4), from the project's own node_modules/.bin, as the project's package.json runs
// it: `vitest run` with its config flags, the default, JSON and Ducktrace's progress reporters
// (see runJestLike), `--includeTaskLocation` from 3 (older ones refuse it: lines come from reading the test file).
import type { TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { runJestLike } from './jestAdapter';
import { staticDiscovery } from './jsRunners';

export const vitestAdapter: FrameworkAdapter = {
  framework: 'vitest',
  async discover(_ctx, files) {
    return staticDiscovery('vitest', files);
  },
  run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    return runJestLike('vitest', ctx, selection);
  },
};
