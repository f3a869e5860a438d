// How a test is named to a runner or a tracer, from its test id (`<absolute file>::<suite>::<name>`),
// and whether a user's `--test` selector names it. Pure string work: the folder the runner starts
// in is chosen by the caller.
import type { Framework } from './testFailure';

const slashes = (p: string) => p.replace(/\\/g, '/');
const isAbsolutePath = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/** `file` relative to `cwd` with forward slashes when it lies inside it; else the file as given. */
export function relativeTo(cwd: string, file: string): string {
  const base = slashes(cwd).replace(/\/+$/, '');
  const f = slashes(file);
  return f.startsWith(`${base}/`) ? f.slice(base.length + 1) : f;
}

/** `<abs file>::<suite>::<name>` -> pytest's node id relative to the folder pytest runs in. */
export function pytestNodeId(testId: string, cwd: string): string {
  const [file, ...rest] = testId.split('::');
  if (!file || !isAbsolutePath(file)) return testId;
  return [relativeTo(cwd, file), ...rest].join('::');
}

/** A test as the trace launchers know it. */
export interface SelectableTest {
  readonly testId: string;
  readonly file: string;
  readonly name: string;
  readonly framework?: Framework;
}

/**
 * The tracer's `--test` for a test run from `cwd`: pytest's node id; for jest and vitest
 * `FILE::SUITE::NAME` (they select by the full name); for node's runner `FILE::NAME` (it selects by
 * the test's own name).
 */
export function traceSelector(test: SelectableTest, cwd: string): string {
  if (test.framework === 'pytest' || (!test.framework && /\.py$/.test(test.file))) return pytestNodeId(test.testId, cwd);
  const file = relativeTo(cwd, test.file);
  const names = test.framework !== 'node' && test.testId.startsWith(`${test.file}::`) ? test.testId.slice(test.file.length + 2) : test.name;
  return `${file}::${names}`;
}

/** Whether `--test TEST` names this test: its node id (or a prefix of it: a file, a class), its name, or its id. */
export function matchesTest(selector: string, test: Pick<SelectableTest, 'testId' | 'name' | 'file'>, cwd: string): boolean {
  const wanted = slashes(selector).replace(/^\.\//, '');
  const nodeId = pytestNodeId(test.testId, cwd);
  if (test.testId === selector || nodeId === wanted || test.name === selector) return true;
  // A parametrised test by its bare name, or everything under a file or a class.
  return test.name.startsWith(`${selector}[`) || nodeId.startsWith(`${wanted}::`) || nodeId.startsWith(`${wanted}[`);
}

/** The test file a selector names (`tests/test_x.py::test_y` -> `tests/test_x.py`), when it names one. */
export function selectorFile(selector: string): string | undefined {
  const file = slashes(selector).replace(/^\.\//, '').split('::')[0]!.replace(/\[.*$/, '');
  return /\.(py|[cm]?[jt]sx?)$/.test(file) ? file : undefined;
}
