// node's built-in test runner as the project runs it: its package.json script's node flags
// (`--import tsx`, `--require`, `--experimental-*`) and environment assignments, its test files
// (found by testFiles.ts and named explicitly, so every Node version runs the same ones), plus
// Ducktrace's reporter writing JSON lines to a file and the spec reporter for the output shown to
// the user. No collection mode, so tests are discovered by reading the test files. A test that
// never finishes is found and reported as a timeout (hangIsolation.ts); a per-test
// `--test-timeout` is passed only where node applies it to each test (Node 24; before, it timed
// out whole files).
import { join } from 'node:path';
import { nodeTestProgress, parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import { nodeTestFeatures, showVersion } from '../../core/failures/runnerFeatures';
import { keptArguments } from '../../core/failures/testCommand';
import type { TestRunReport } from '../../core/failures/testFailure';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { runIsolatingHangs, singleRun, type AttemptOutcome } from './hangIsolation';
import { filesOf, findBin, invocationIn, noProgressLimitMs, nodeVersion, runEnv, runProblem, startRunner, staticDiscovery } from './jsRunners';
import { escapeRegExp } from './adapter';

/** node 20 matches a test's own name, node 22 also the name after its suites: both are offered. */
function nodeNamePattern(selection: RunSelection): string | undefined {
  if (!selection.tests?.length) return undefined;
  const names = new Set<string>();
  for (const t of selection.tests) {
    names.add(t.name);
    if (t.suitePath.length) names.add([...t.suitePath, t.name].join(' '));
  }
  return `^(?:${[...names].map(escapeRegExp).join('|')})$`;
}

let runCounter = 0;

export const nodeTestAdapter: FrameworkAdapter = {
  framework: 'node',
  async discover(_ctx, files) {
    return staticDiscovery('node', files);
  },
  async run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    const invocation = invocationIn(ctx.cwd, 'node');
    const command = invocation?.launcher === 'tsx' ? (findBin(ctx.cwd, 'tsx') ?? 'tsx') : 'node';
    const version = await nodeVersion();
    const features = nodeTestFeatures(version);
    if (!features.reporters) {
      return { framework: 'node', cwd: ctx.cwd, results: [], problems: [`node ${showVersion(version)}'s test runner cannot write a report Ducktrace can read (reporters came in Node 18.15); use a newer Node.`] };
    }
    const perTestTimeout = features.perTestTimeout && !ctx.plain;
    const limit = noProgressLimitMs(ctx.testTimeoutMs);
    const attempt = async (sel: RunSelection): Promise<AttemptOutcome> => {
      const pattern = nodeNamePattern(sel);
      const kept = keptArguments(invocation ?? { framework: 'node', args: [] }, [...(perTestTimeout ? ['--test-timeout'] : []), ...(pattern ? ['--test-name-pattern'] : [])]);
      const chosen = filesOf(sel);
      const files = chosen.length ? chosen : ctx.testFiles?.length ? [...ctx.testFiles] : kept.positionals.map((p) => p.text);
      const report = join(ctx.tempDir, `node-${process.pid}-${++runCounter}.jsonl`);
      const args = [
        ...kept.flags,
        '--test',
        `--test-reporter=${join(ctx.helpersDir, 'nodeTestReporter.js')}`,
        `--test-reporter-destination=${report}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        ...(perTestTimeout ? [`--test-timeout=${ctx.testTimeoutMs}`] : []),
        ...(pattern && features.namePattern ? [`--test-name-pattern=${pattern}`] : []),
        ...files,
      ];
      const { result, report: text } = await startRunner(ctx, command, args, { env: runEnv(invocation), progressFile: report, limitMs: limit });
      const progress = nodeTestProgress(text);
      let results = parseNodeTestEvents(text, ctx.cwd);
      if (sel.tests?.length) {
        // Tests the name pattern left out are reported as skipped: they were not chosen.
        const chosenIds = new Set(sel.tests.map((t) => [t.file, ...t.suitePath, t.name].join('::')));
        results = results.filter((r) => chosenIds.has(r.testId) || r.fileLevel);
      }
      const problems = !result.idleKilled && !result.cancelled && (result.startError || !progress.started) ? [runProblem('node', result, limit)] : [];
      return { results, stopped: result.idleKilled, cancelled: result.cancelled, problems, startedFiles: progress.startedFiles, finishedFiles: progress.finishedFiles, running: progress.running };
    };
    if (ctx.plain) return singleRun('node', ctx, selection, attempt);
    return runIsolatingHangs('node', ctx, selection, attempt);
  },
};
