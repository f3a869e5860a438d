// The traced runs behind the ranking's value evidence: after the coverage run, the tracer records
// the values of one failing test and one passing test that reach the function, the cheapest of each
// (the fewest blocks run; a test stopped as an endless loop is never picked), both at once. The
// rest of the evidence comes from the coverage run alone. A trace that fails is left out and said.

import { expectedValueOf } from '../../core/localize/expectedValue';
import type { TestSpectrum } from '../../core/localize/spectra';
import type { TracedTest } from '../../core/localize/valueEvidence';
import type { TraceBudget } from '../../core/trace/traceModel';
import type { JsRunner } from '../tracers/js/jsPlan';
import { traceJavaScriptTest } from '../tracers/jsTracer';
import { tracePythonTest } from '../tracers/pythonTracer';
import type { ResolvedTarget } from '../tracers/traceTarget';

/** Room for the comparisons and the result's history of a small function's run. */
export const evidenceTraceBudget: Partial<TraceBudget> = { maxSteps: 3000, maxBytes: 2_000_000, maxCalls: 60, maxExecutedSteps: 200_000, timeoutMs: 60_000 };

export interface ValueTraceOptions {
  readonly cwd: string;
  readonly python?: string;
  /** pytest flags of the coverage run (`-p no:xdist`, ...), passed on. */
  readonly pytestFlags?: readonly string[];
  readonly framework?: JsRunner;
  readonly node?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ValueTraces {
  readonly tests: TracedTest[];
  /** Wall time of the traced runs (they run side by side). */
  readonly elapsedMs: number;
  readonly problems: string[];
}

/** The cheapest failing and passing tests of the spectra that ran the function (not as an endless loop). */
export function testsToTrace(spectra: readonly TestSpectrum[]): TestSpectrum[] {
  const cost = (s: TestSpectrum) => Object.values(s.hits ?? {}).reduce((a, b) => a + b, 0) || s.blocks.length;
  const pick = (outcome: TestSpectrum['outcome']) =>
    spectra
      .filter((s) => s.outcome === outcome && s.blocks.length > 0 && !s.timedOut)
      .sort((a, b) => cost(a) - cost(b) || a.testId.localeCompare(b.testId))[0];
  return [pick('failed'), pick('passed')].filter((s): s is TestSpectrum => !!s);
}

export async function traceForEvidence(target: ResolvedTarget, spectra: readonly TestSpectrum[], options: ValueTraceOptions): Promise<ValueTraces> {
  const started = Date.now();
  const problems: string[] = [];
  const picked = testsToTrace(spectra);
  const traced = await Promise.all(
    picked.map(async (s): Promise<TracedTest | undefined> => {
      try {
        const run =
          target.language === 'python'
            ? await tracePythonTest(target, { cwd: options.cwd, test: s.testId, ...(options.python ? { python: options.python } : {}), ...(options.pytestFlags ? { pytestArgs: options.pytestFlags } : {}), ...(options.env ? { env: options.env } : {}) })
            : await traceJavaScriptTest(target, { cwd: options.cwd, test: s.testId, ...(options.framework ? { framework: options.framework } : {}), ...(options.node ? { node: options.node } : {}), ...(options.env ? { env: options.env } : {}) });
        if (run.trace.calls.length === 0) {
          problems.push(`the traced run of ${s.testId} recorded no call of the function`);
          return undefined;
        }
        const expected = s.outcome === 'failed' ? expectedValueOf({ ...(s.message ? { message: s.message } : {}), ...(s.expected !== undefined ? { expected: s.expected } : {}) }) : undefined;
        return {
          testId: s.testId,
          outcome: s.outcome === 'failed' ? 'failed' : 'passed',
          trace: run.trace,
          ...(expected !== undefined ? { expected } : {}),
          ...(s.message ? { message: s.message } : {}),
        };
      } catch (e) {
        problems.push(`the traced run of ${s.testId} failed: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      }
    }),
  );
  return { tests: traced.filter((t): t is TracedTest => !!t), elapsedMs: Date.now() - started, problems };
}
