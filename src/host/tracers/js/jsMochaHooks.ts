// A mocha root hook plugin (mocha 8 and later; bundled on its own into dist/ducktrace_mocha_hooks.js),
// loaded only by the coverage runs of the suspicion ranking (jsSpectra.ts names it in the `require`
// of the run's mocha config). Around every test of the run, its root-level beforeEach and afterEach
// tell the coverage recorder (globalThis.__ducktrace, installed by the register module node loaded
// first) which test runs: its file, and its suites and title joined by ' > ' as the report names it
// (mochaProgressReporter.ts: the root suite left out). Outside a coverage run, or with no recorder,
// the hooks do nothing; they never fail a test.

interface MochaSuite {
  readonly title?: string;
  readonly root?: boolean;
  readonly parent?: MochaSuite;
  readonly file?: string;
}

interface MochaTest {
  readonly title?: string;
  readonly file?: string;
  readonly parent?: MochaSuite;
  readonly state?: string;
  readonly err?: unknown;
}

interface HookedRecorder {
  testStarts(fullName: string, file?: string): void;
  testEnds(fullName: string, passed: boolean | undefined, error: unknown): void;
}

/** The test's suites (the root suite left out) and its title, joined by ' > '. */
export function mochaFullName(test: MochaTest): string {
  const names = [String(test.title ?? '')];
  for (let s = test.parent; s && !s.root; s = s.parent) names.unshift(String(s.title ?? ''));
  return names.join(' > ');
}

function fileOf(test: MochaTest): string {
  if (test.file) return test.file;
  for (let s = test.parent; s; s = s.parent) if (s.file) return s.file;
  return '';
}

function recorder(): HookedRecorder | undefined {
  const r = (globalThis as { __ducktrace?: Partial<HookedRecorder> }).__ducktrace;
  return r && typeof r.testStarts === 'function' && typeof r.testEnds === 'function' ? (r as HookedRecorder) : undefined;
}

function guarded(fn: () => void): void {
  try {
    fn();
  } catch {
    // counting must never fail a test
  }
}

export const mochaHooks = {
  beforeEach(this: { currentTest?: MochaTest }): void {
    const test = this.currentTest;
    if (test) guarded(() => recorder()?.testStarts(mochaFullName(test), fileOf(test)));
  },
  afterEach(this: { currentTest?: MochaTest }): void {
    const test = this.currentTest;
    if (test) guarded(() => recorder()?.testEnds(mochaFullName(test), test.state === 'passed' ? true : test.state === 'failed' ? false : undefined, test.err));
  },
};
