// The progress lines Ducktrace's jest and vitest reporters write while a run goes on
// (src/host/runners/jestProgressReporter.ts, vitestProgressReporter.ts), one JSON object a line:
//   { event: 'runStart' }                                   the runner is up
//   { event: 'fileStart', file }                            a test file began
//   { event: 'testStart', file, ancestorTitles, title }     a test began (where the runner says)
//   { event: 'test', file, ancestorTitles, title, status, location?, duration?, failureMessages, failureDetails? }
//   { event: 'file', file, status, message, assertionResults? }   a test file ended
//   { event: 'done' }                                       the run ended
// From them: the results of everything that finished (in the runners' own JSON report shape, so
// one parser reads both), which files ended, and which test was running when the run was stopped.
import type { AssertionResult, FileResult, JestJson } from './jestReport';

export interface RunningTest {
  readonly file: string;
  readonly suitePath: readonly string[];
  readonly name: string;
}

export interface RunProgress {
  /** What finished, as the runner's JSON report would say it. */
  readonly report: JestJson;
  readonly startedFiles: ReadonlySet<string>;
  readonly finishedFiles: ReadonlySet<string>;
  /** Tests that started and did not finish (known only where the runner reports test starts). */
  readonly running: readonly RunningTest[];
  /** The runner started (its first line is there). */
  readonly started: boolean;
  /** The run ended on its own. */
  readonly done: boolean;
}

interface Line {
  event?: string;
  file?: string;
  ancestorTitles?: string[];
  title?: string;
  status?: string;
  message?: string;
  assertionResults?: AssertionResult[];
  location?: { line?: number; column?: number } | null;
  duration?: number | null;
  failureMessages?: string[];
  failureDetails?: unknown[];
}

const key = (file: string, titles: readonly string[], title: string) => JSON.stringify([file, ...titles, title]);

export function parseRunProgress(text: string): RunProgress {
  const startedFiles = new Set<string>();
  const finishedFiles = new Set<string>();
  const fileResults = new Map<string, FileResult>();
  const tests = new Map<string, Map<string, AssertionResult>>();
  const running = new Map<string, RunningTest>();
  let started = false;
  let done = false;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue; // the last line of a killed run may be cut short
    }
    started = true;
    const file = line.file ?? '';
    switch (line.event) {
      case 'fileStart':
        startedFiles.add(file);
        break;
      case 'testStart': {
        startedFiles.add(file);
        const titles = line.ancestorTitles ?? [];
        running.set(key(file, titles, line.title ?? ''), { file, suitePath: titles, name: line.title ?? '' });
        break;
      }
      case 'test': {
        if (line.status === 'running' || line.status === 'pending') break;
        startedFiles.add(file);
        const titles = line.ancestorTitles ?? [];
        const k = key(file, titles, line.title ?? '');
        running.delete(k);
        const byTest = tests.get(file) ?? new Map<string, AssertionResult>();
        byTest.set(k, {
          ancestorTitles: titles,
          title: line.title,
          fullName: [...titles, line.title].join(' '),
          status: line.status,
          duration: line.duration ?? null,
          failureMessages: line.failureMessages ?? [],
          location: line.location ?? null,
          ...(line.failureDetails ? { failureDetails: line.failureDetails as AssertionResult['failureDetails'] } : {}),
        });
        tests.set(file, byTest);
        break;
      }
      case 'file':
        startedFiles.add(file);
        finishedFiles.add(file);
        for (const k of [...running.keys()]) if (running.get(k)?.file === file) running.delete(k);
        fileResults.set(file, { name: file, status: line.status, message: line.message ?? '', ...(line.assertionResults?.length ? { assertionResults: line.assertionResults } : {}) });
        break;
      case 'done':
        done = true;
        break;
      default:
        break;
    }
  }
  const testResults: FileResult[] = [];
  for (const file of new Set([...tests.keys(), ...fileResults.keys()])) {
    const whole = fileResults.get(file);
    const each = [...(tests.get(file)?.values() ?? [])];
    // The file's own list is complete when it has one; tests reported one by one fill in the rest.
    const assertionResults = whole?.assertionResults?.length ? whole.assertionResults : each;
    testResults.push({ name: file, status: whole?.status ?? (each.some((t) => t.status === 'failed') ? 'failed' : 'passed'), ...(whole?.message ? { message: whole.message } : {}), assertionResults });
  }
  return { report: { testResults }, startedFiles, finishedFiles, running: [...running.values()], started, done };
}

/**
 * The runner's JSON report with each failed test's messages taken from the progress lines where
 * they have them: Ducktrace's vitest reporter writes an error's name and message above its stack,
 * where vitest's own JSON gives the stack alone (a timeout's is "Error: STACK_TRACE_ERROR").
 */
export function withProgressMessages(report: JestJson, progress: JestJson): JestJson {
  const byTest = new Map<string, string[]>();
  for (const file of progress.testResults ?? []) {
    for (const a of file.assertionResults ?? []) if (a.failureMessages?.length) byTest.set(key(file.name ?? '', a.ancestorTitles ?? [], a.title ?? ''), a.failureMessages);
  }
  if (byTest.size === 0) return report;
  return {
    ...report,
    testResults: (report.testResults ?? []).map((file) => ({
      ...file,
      assertionResults: (file.assertionResults ?? []).map((a) => {
        const better = a.status === 'failed' ? byTest.get(key(file.name ?? '', a.ancestorTitles ?? [], a.title ?? '')) : undefined;
        return better ? { ...a, failureMessages: better } : a;
      }),
    })),
  };
}
