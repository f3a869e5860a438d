// mocha's default (spec) reporter in a terminal: the tree of suites and tests (`✔ name`, `N) name`
// for a failure, `- name` pending), the `N passing` / `N failing` counts, then each failure
// numbered with its title parts one per line, its error, mocha's `+ expected - actual` diff and the
// stack. The output never names a test's file: a test comes from the known tests (the Testing
// view's discovery) when exactly one matches its suites and name, else, for a failure, from its
// stack (the `Context.<anonymous>` frame is the test's own function).

import { v8Frames } from './frames';
import { dedent, failed, indentOf, passed, uniqueByTestId, uniqueKnown, withoutErrorName, type KnownTest, type TerminalRun } from './terminalRecords';
import type { StackFrame } from './stackFrames';
import type { TestCaseResult } from './testFailure';

const passedLine = /^(\s+)[✔✓√] (.+?)(?: \(\d+ ?ms\))?$/;
const pendingLine = /^(\s+)- (.+)$/;
const failedLine = /^(\s+)\d+\) (.+)$/;
const countsLine = /^\s+\d+ (passing|failing|pending)\b/;

interface TreeTest {
  readonly suitePath: string[];
  readonly name: string;
  readonly outcome: 'passed' | 'skipped';
}

export function parseMochaTerminal(text: string, cwd: string, known: readonly KnownTest[]): TerminalRun {
  const lines = text.split('\n');
  const countsAt = lines.findIndex((l) => countsLine.test(l));
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  const fileOfKnown = (suitePath: readonly string[], name: string) => uniqueKnown(known, name, suitePath)?.file;

  // The tree: suites are the unmarked lines; what a test printed (console.log) mostly starts at
  // column 0, where mocha never draws, so those lines are left out.
  const tree: TreeTest[] = [];
  const open: { name: string; indent: number }[] = [];
  for (const line of countsAt >= 0 ? lines.slice(0, countsAt) : lines) {
    if (!line.trim() || indentOf(line) === 0) continue;
    const indent = indentOf(line);
    while (open.length && open[open.length - 1].indent >= indent) open.pop();
    const suitePath = open.map((o) => o.name);
    const pass = passedLine.exec(line);
    if (pass) {
      tree.push({ suitePath, name: pass[2], outcome: 'passed' });
      continue;
    }
    const pending = pendingLine.exec(line);
    if (pending) {
      tree.push({ suitePath, name: pending[2], outcome: 'skipped' });
      continue;
    }
    if (failedLine.test(line)) continue; // its details come below the counts
    open.push({ name: line.trim(), indent });
  }
  for (const t of tree) {
    const file = fileOfKnown(t.suitePath, t.name);
    if (!file) continue;
    files.add(file);
    results.push(passed('mocha', file, t.suitePath, t.name, t.outcome));
  }

  // The failures: `  N) suite` then the title's other parts on deeper lines, the last ending in ':'.
  if (countsAt >= 0) {
    for (let i = countsAt; i < lines.length; i++) {
      const header = /^(\s*)(\d+)\) (.+)$/.exec(lines[i]);
      if (!header || indentOf(lines[i]) > 4) continue;
      const titles = [header[3].trim()];
      let j = i;
      while (!titles[titles.length - 1].endsWith(':') && j + 1 < lines.length && indentOf(lines[j + 1]) > header[1].length && lines[j + 1].trim()) titles.push(lines[++j].trim());
      if (!titles[titles.length - 1].endsWith(':')) continue;
      titles[titles.length - 1] = titles[titles.length - 1].slice(0, -1);
      const body: string[] = [];
      while (j + 1 < lines.length && !/^\s{0,4}\d+\) /.test(lines[j + 1])) body.push(lines[++j]);
      i = j;
      const name = titles.pop() ?? '';
      const suitePath = titles;
      const bodyLines = dedent(body.filter((l, k) => l.trim() || k > 0));
      const bodyText = bodyLines.join('\n').trim();
      const stack = v8Frames(bodyText, cwd);
      const file = fileOfKnown(suitePath, name) ?? testFrame(stack)?.file;
      if (!file) continue;
      files.add(file);
      const diffAt = bodyLines.findIndex((l) => /^\s*\+ expected - actual\s*$/.test(l));
      const stackAt = bodyLines.findIndex((l) => /^\s*at (?:.+ \()?\S+:\d+:\d+\)?$/.test(l));
      const messageEnd = diffAt >= 0 ? diffAt : stackAt >= 0 ? stackAt : bodyLines.length;
      const message = withoutErrorName(bodyLines.slice(0, messageEnd).join('\n').trim()) || 'failed';
      const values = diffAt >= 0 ? diffValues(bodyLines.slice(diffAt + 1, stackAt > diffAt ? stackAt : undefined)) : undefined;
      results.push(failed('mocha', file, suitePath, name, { message, ...(values ?? {}), stack, output: bodyText }));
    }
  }
  // A failed test's record replaces a pass of the same id (a test that failed after passing: done() twice).
  const failedIds = new Set(results.filter((r) => r.outcome === 'failed').map((r) => r.testId));
  return { results: uniqueByTestId(results.filter((r) => r.outcome === 'failed' || !failedIds.has(r.testId))), files: [...files] };
}

/** The test's own function in a stack: mocha calls it as `Context.<anonymous>`; else the outermost user frame. */
function testFrame(stack: readonly StackFrame[]): StackFrame | undefined {
  return stack.find((f) => /^Context\./.test(f.function ?? '')) ?? stack[stack.length - 1];
}

/**
 * Expected and actual out of mocha's diff (`+ expected - actual`): `-` lines are the actual value,
 * `+` lines the expected one, the others both; each side is its lines without their mark.
 */
function diffValues(lines: readonly string[]): { expected: string; actual: string } | undefined {
  const body = dedent(lines.filter((l) => l.trim()));
  if (!body.length) return undefined;
  const side = (drop: string) =>
    body
      .filter((l) => !l.startsWith(drop))
      .map((l) => l.slice(1))
      .join('\n')
      .trim();
  return { expected: side('-'), actual: side('+') };
}
