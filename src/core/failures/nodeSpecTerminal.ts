// node --test's spec reporter in a terminal: the tree of suites and tests (✔ ✖ ﹣ ▶), each failure's
// error below its line, and the "failing tests:" summary that says where each failed test is.

import { v8Frames } from './frames';
import { resolvePath } from './paths';
import type { StackFrame } from './stackFrames';
import { dedent, failed, indentOf, passed, uniqueByTestId, uniqueKnown, withoutErrorName, type KnownTest, type TerminalRun } from './terminalRecords';
import type { TestCaseResult } from './testFailure';

/** `✖ name (1.2ms)`, `✔ name (0.2ms)`, `﹣ name (0.1ms) # SKIP`, `▶ suite`. */
const nodeResultLine = /^(\s*)([✖✔﹣▶]) (.+?)(?: \(\d+(?:\.\d+)?m?s\))?(?: # (?:SKIP|TODO).*)?$/;

interface NodeTreeEntry {
  readonly name: string;
  readonly suitePath: string[];
  readonly ok: boolean;
  readonly skipped: boolean;
  readonly body: string[];
}

export function parseNodeSpecTerminal(text: string, cwd: string, known: readonly KnownTest[]): TerminalRun {
  const lines = text.split('\n');
  // The "failing tests:" summary (Node 20.x late, 22+) starts at this line; the tree is above it.
  const summaryAt = lines.findIndex((l) => /^✖ failing tests:\s*$/.test(l));
  const treeLines = summaryAt >= 0 ? lines.slice(0, summaryAt) : lines;
  const tree: NodeTreeEntry[] = [];
  const open: { name: string; indent: number }[] = [];
  for (let i = 0; i < treeLines.length; i++) {
    const m = nodeResultLine.exec(treeLines[i]);
    if (!m) continue;
    const indent = m[1].length;
    const [, , mark, name] = m;
    while (open.length && open[open.length - 1].indent > indent) open.pop();
    if (mark === '▶') {
      open.push({ name, indent });
      continue;
    }
    const top = open[open.length - 1];
    if (top && top.indent === indent && top.name === name) {
      open.pop(); // a suite's own result line, after its tests
      continue;
    }
    const skipped = mark === '﹣' || /# (SKIP|TODO)\b/.test(treeLines[i]);
    const body: string[] = [];
    while (i + 1 < treeLines.length && (!treeLines[i + 1].trim() || indentOf(treeLines[i + 1]) > indent) && !nodeResultLine.test(treeLines[i + 1])) body.push(treeLines[++i]);
    tree.push({ name, suitePath: open.filter((o) => o.indent < indent).map((o) => o.name), ok: mark !== '✖', skipped, body: dedent(body) });
  }
  // Locations come from the summary (`test at test/cart.test.js:8:5`, relative to the cwd).
  const located: { file: string; line: number; name: string }[] = [];
  if (summaryAt >= 0) {
    for (let i = summaryAt + 1; i < lines.length; i++) {
      const at = /^test at (.+):(\d+):(\d+)$/.exec(lines[i]);
      const next = at ? nodeResultLine.exec(lines[i + 1] ?? '') : null;
      if (at && next) located.push({ file: resolvePath(cwd, at[1]), line: Number(at[2]), name: next[3] });
    }
  }
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  let cursor = 0;
  for (const entry of tree.filter((e) => !e.ok)) {
    const bodyText = entry.body.join('\n').trim();
    // Match the summary in order; without one, the file is the innermost frame in a test file.
    let loc = located.slice(cursor).find((l) => l.name === entry.name);
    if (loc) cursor = located.indexOf(loc) + 1;
    const stack = v8Frames(bodyText, cwd);
    const fileLevel = /^(\/|[A-Za-z]:[\\/]|file:)/.test(entry.name) && entry.suitePath.length === 0 && /\.[cm]?[jt]sx?$/.test(entry.name);
    if (fileLevel) {
      const file = loc?.file ?? resolvePath(cwd, entry.name.replace(/^file:\/\//, ''));
      files.add(file);
      // Node printed the reason above the tree: `/abs/file.js:3`, the code, the `SyntaxError: ...`.
      const escaped = entry.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const where = new RegExp(`^${escaped}:(\\d+)$`, 'm').exec(text);
      const reason = /^(\w*Error\b.*)$/m.exec(text)?.[1];
      results.push(
        failed('node', file, [], file, {
          message: reason ? `${reason} (the test file did not load)` : 'the test file did not load',
          stack: where ? [{ file, line: Number(where[1]), column: 1 }] : [],
          output: bodyText,
        }, { fileLevel: true }),
      );
      continue;
    }
    const file = loc?.file ?? testFileOfFrames(stack);
    if (!file) continue;
    files.add(file);
    const head = bodyText.split('\n');
    const firstAt = head.findIndex((l) => /^\s*at /.test(l));
    const message = withoutErrorName((firstAt < 0 ? head : head.slice(0, firstAt)).join('\n').trim()) || 'failed';
    const values = nodeInspectValues(bodyText);
    results.push(failed('node', file, entry.suitePath, entry.name, { ...(loc ? { line: loc.line } : {}), message, ...(values ?? {}), stack, output: bodyText }));
  }
  // Passed and skipped tests: the tree does not say their file; a known test of that name does.
  for (const entry of tree.filter((e) => e.ok)) {
    const match = uniqueKnown(known, entry.name, entry.suitePath);
    if (match) results.push(passed('node', match.file, entry.suitePath, entry.name, entry.skipped ? 'skipped' : 'passed'));
  }
  return { results: uniqueByTestId(results), files: [...files] };
}

/** `actual: 6,` and `expected: 11,` of the error's inspected properties, when on one line. */
function nodeInspectValues(body: string): { expected: string; actual: string } | undefined {
  const actual = /^\s*actual: (.+?),?$/m.exec(body)?.[1];
  const expected = /^\s*expected: (.+?),?$/m.exec(body)?.[1];
  return actual !== undefined && expected !== undefined ? { expected, actual } : undefined;
}

function testFileOfFrames(stack: readonly StackFrame[]): string | undefined {
  return stack.find((f) => /[._-]test\.|[._-]spec\.|(^|[\\/])tests?[\\/]|(^|[\\/])test_/.test(f.file))?.file ?? stack[stack.length - 1]?.file;
}
