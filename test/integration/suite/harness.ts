// A minimal test harness for code that runs inside VS Code's extension host. It keeps the shape
// @vscode/test-electron expects (a module exporting `run()`), and writes a JSON report so that a
// runner outside the editor (code-server + Chromium) can read the outcome.
import * as fs from 'node:fs';
import * as path from 'node:path';

type TestFn = () => unknown | Promise<unknown>;
interface TestCase {
  readonly name: string;
  readonly fn: TestFn;
  readonly timeoutMs: number;
}
/** Thrown by a test that does not apply to this run (reported as skipped, with the reason). */
export class SkipTest extends Error {}

export interface TestResult {
  name: string;
  ok: boolean;
  skipped?: string;
  durationMs: number;
  error?: string;
}
export interface TestReport {
  vscodeVersion: string;
  passed: number;
  failed: number;
  skipped: number;
  results: TestResult[];
  finished: true;
}

const cases: TestCase[] = [];
let prefix = '';

export function suite(name: string, body: () => void): void {
  const outer = prefix;
  prefix = outer ? `${outer} › ${name}` : name;
  try {
    body();
  } finally {
    prefix = outer;
  }
}

export function test(name: string, fn: TestFn, timeoutMs = 20_000): void {
  cases.push({ name: prefix ? `${prefix} › ${name}` : name, fn, timeoutMs });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Asks the runner outside the editor (which drives the browser) for a screenshot of the workbench
 * as it is now, and waits until it is taken. A no-op where no runner answers (test-electron).
 */
export async function screenshot(name: string, timeoutMs = 20_000): Promise<void> {
  const dir = process.env.DUCKTRACE_SCREENSHOT_DIR;
  if (!dir) return;
  const request = path.join(dir, `${name}.request`);
  const done = path.join(dir, `${name}.done`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(request, name);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`screenshot "${name}" was not taken within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs every registered test in order; writes the report; rejects when any failed. */
export async function runRegisteredTests(vscodeVersion: string, reportFile: string | undefined): Promise<void> {
  const results: TestResult[] = [];
  // DUCKTRACE_TEST_FILTER: a part of a test title, or several separated by '|'.
  const filters = (process.env.DUCKTRACE_TEST_FILTER ?? '').split('|').filter(Boolean);
  // The runner outside watches this file: a test that has started may take its own time limit,
  // so a busy machine is never mistaken for a hung extension host.
  const progress = reportFile ? `${reportFile}.progress` : undefined;
  if (progress) fs.mkdirSync(path.dirname(progress), { recursive: true });
  for (const c of cases) {
    if (filters.length && !filters.some((f) => c.name.includes(f))) continue;
    if (progress) fs.appendFileSync(progress, `${JSON.stringify({ started: c.name, timeoutMs: c.timeoutMs })}\n`);
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(c.fn), c.timeoutMs, `test "${c.name}"`);
      results.push({ name: c.name, ok: true, durationMs: Date.now() - started });
      console.log(`ok - ${c.name}`);
    } catch (err) {
      if (err instanceof SkipTest) {
        results.push({ name: c.name, ok: true, skipped: err.message, durationMs: Date.now() - started });
        console.log(`ok - ${c.name} # SKIP ${err.message}`);
        continue;
      }
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.push({ name: c.name, ok: false, durationMs: Date.now() - started, error });
      console.error(`not ok - ${c.name}\n${error}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.skipped).length;
  const report: TestReport = { vscodeVersion, passed: results.length - failed - skipped, failed, skipped, results, finished: true };
  if (reportFile) {
    fs.mkdirSync(path.dirname(reportFile), { recursive: true });
    fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
  }
  if (failed > 0) throw new Error(`${failed} of ${results.length} integration tests failed`);
}
