// Does a failure also happen without Ducktrace? The failing tests of a run are run once more the
// way the project runs them (the runner invocation of its package.json script, the user's
// environment untouched, no per-test timeout flags, no Ducktrace plugin; only what reads the
// results is added), with the files as they are. Each failure then says `plainRun`: `failed`
// there too (a failure of the code), `passed` (it fails only under Ducktrace's run: an environment
// or flag difference, nothing for a model to fix) or `unknown`. One extra run of just the failing
// tests per project; run it before anything changes the files.
import { stoppedByDucktrace } from '../../core/failures/hungTests';
import { testIdOf, type DiscoveredTest, type PlainRunCheck, type TestCaseResult, type TestRunReport } from '../../core/failures/testFailure';
import type { RunSelection } from './adapter';
import type { TestProject } from './projects';
import { adapters, contextFor, withTempDir, type RunOptions } from './adapterRegistry';

/** The failing results of `report` with `failure.plainRun` set from a plain run of just those tests. */
export async function checkPlainRun(project: TestProject, report: TestRunReport, options: RunOptions): Promise<TestRunReport> {
  const failing = report.results.filter((r) => r.failure);
  if (failing.length === 0 || report.cancelled) return report;
  const commands: string[] = [];
  const plainOptions: RunOptions = {
    ...options,
    // The plain run's output is not the user's run: only its command line is kept, for the record.
    onOutput: (text) => {
      const m = /^\$ (.+?)\r?\n/.exec(text);
      if (m) commands.push(m[1]);
    },
  };
  // A test Ducktrace had to kill is not rerun: the plain run has no timeout of its own to end it.
  const rerun = failing.filter((r) => !stoppedByDucktrace(r.failure!));
  const ref = (r: TestCaseResult): Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'> => ({ file: r.file, suitePath: r.suitePath, name: r.name, ...(r.nodeId ? { nodeId: r.nodeId } : {}) });
  const files = [...new Set(rerun.filter((r) => r.fileLevel).map((r) => r.file))];
  // Tests that timed out run alone, so that one that hangs in the plain run too is told apart.
  const selections: RunSelection[] = [
    ...(rerun.some((r) => !r.fileLevel && !r.failure?.timedOut) ? [{ tests: rerun.filter((r) => !r.fileLevel && !r.failure?.timedOut).map(ref) }] : []),
    ...rerun.filter((r) => !r.fileLevel && r.failure?.timedOut).map((r) => ({ tests: [ref(r)] })),
    ...(files.length ? [{ files }] : []),
  ];
  const plain = new Map<string, TestCaseResult>();
  /** Tests that were alone in a plain run that had to be stopped: they hang there too. */
  const hungAlone = new Set<string>();
  const problems: string[] = [];
  for (const selection of selections) {
    if (options.signal?.aborted) return report;
    const run = await withTempDir((dir) => adapters[project.framework].run({ ...contextFor(project, plainOptions, dir), plain: true }, selection));
    if (run.cancelled) return report;
    for (const r of run.results) plain.set(r.testId, r);
    if (run.timedOut && selection.tests?.length === 1) hungAlone.add(testIdOf(selection.tests[0].file, selection.tests[0].suitePath, selection.tests[0].name));
    problems.push(...run.problems);
  }
  const command = commands.join(' ; ');
  const verdict = (r: TestCaseResult): PlainRunCheck => {
    if (stoppedByDucktrace(r.failure!)) return { outcome: 'unknown', command: '', detail: 'not rerun: it never finished under Ducktrace, and a plain run has no timeout to stop it' };
    const p = plain.get(r.testId);
    if (p?.outcome === 'passed') return { outcome: 'passed', command };
    if (p?.outcome === 'failed') {
      const message = p.failure?.message ?? '';
      return { outcome: 'failed', command, ...(message && message !== r.failure?.message ? { detail: message.split('\n')[0] } : {}) };
    }
    if (!p && hungAlone.has(r.testId)) return { outcome: 'failed', command, detail: 'it did not finish in the plain run either' };
    return { outcome: 'unknown', command, detail: p?.outcome === 'skipped' ? 'the plain run skipped it' : problems[0]?.split('\n')[0] ?? 'the plain run did not report it' };
  };
  return {
    ...report,
    results: report.results.map((r) => (r.failure ? { ...r, failure: { ...r.failure, plainRun: verdict(r) } } : r)),
  };
}
