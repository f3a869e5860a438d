// jest's default reporter in a terminal: the `FAIL`/`PASS` file headers, the test tree under them
// (one file, or --verbose) and the `●` failure sections with their message, values and stack.

import { v8Frames } from './frames';
import { resolvePath } from './paths';
import { dedent, failed, indentOf, passed, uniqueByTestId, withoutErrorName, type TerminalRun } from './terminalRecords';
import type { TestCaseResult } from './testFailure';

export function parseJestTerminal(text: string, cwd: string): TerminalRun {
  const lines = text.split('\n');
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  let file: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = /^(FAIL|PASS) (.+?)(?: \(\d+(?:\.\d+)? m?s\))?$/.exec(lines[i]);
    if (header) {
      file = resolvePath(cwd, header[2].trim());
      files.add(file);
      // The test tree under the header (one file, or --verbose): suites as plain lines, tests marked.
      i = jestTree(lines, i + 1, file, results) - 1;
      continue;
    }
    if (/^(Summary of all failing tests|Test Suites:)/.test(lines[i])) continue;
    const bullet = /^(\s*)● (.+)$/.exec(lines[i]);
    if (!bullet || !file) continue;
    const indent = bullet[1].length;
    const body: string[] = [];
    while (i + 1 < lines.length && (!lines[i + 1].trim() || indentOf(lines[i + 1]) > indent) && !/^\s*● /.test(lines[i + 1])) body.push(lines[++i]);
    const bodyLines = dedent(body);
    const bodyText = bodyLines.join('\n').trim();
    const title = bullet[2].trim();
    if (title === 'Test suite failed to run') {
      const message = bodyText.split('\n').find((l) => l.trim())?.trim() ?? 'the test file failed to run';
      results.push(failed('jest', file, [], file, { message: withoutErrorName(message), stack: v8Frames(bodyText, cwd), output: bodyText }, { fileLevel: true }));
      continue;
    }
    if (/^(Console|console\.\w+)$/.test(title)) continue;
    const parts = title.split(' › ');
    const name = parts.pop() ?? title;
    // The message ends where jest shows the code (`  6 | ...`, `> 8 | ...`) or the stack.
    const end = bodyLines.findIndex((l) => /^\s*>?\s*\d+ \|/.test(l) || /^\s*at /.test(l));
    const message = withoutErrorName((end < 0 ? bodyLines : bodyLines.slice(0, end)).join('\n').trim()) || 'failed';
    const expected = /^\s*Expected(?: value)?: (.*)$/m.exec(message)?.[1];
    const actual = /^\s*Received(?: value)?: (.*)$/m.exec(message)?.[1];
    results.push(
      failed('jest', file, parts, name, {
        message,
        ...(expected !== undefined && actual !== undefined ? { expected, actual } : {}),
        stack: v8Frames(bodyText, cwd),
        output: bodyText,
      }),
    );
  }
  return { results: uniqueByTestId(results), files: [...files] };
}

/**
 * jest's tree of one file's tests: `✓ name (2 ms)`, `✕ name`, `○ skipped name`, `✎ todo name`,
 * suites as unmarked lines, nesting by indentation. Adds the passed and skipped tests (the failed
 * ones come with their details from the `●` sections); returns the index after the tree.
 */
function jestTree(lines: readonly string[], start: number, file: string, results: TestCaseResult[]): number {
  const open: { name: string; indent: number }[] = [];
  let i = start;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) break;
    if (/^\S/.test(line) || /^\s*● /.test(line)) break;
    const indent = indentOf(line);
    while (open.length && open[open.length - 1].indent >= indent) open.pop();
    const test = /^\s*([✓✕√×○✎]) (?:(skipped|todo) )?(.+?)(?: \(\d+(?:\.\d+)? m?s\))?$/.exec(line);
    if (!test) {
      open.push({ name: line.trim(), indent });
      continue;
    }
    const [, mark, word, name] = test;
    const suitePath = open.map((o) => o.name);
    if (mark === '✓' || mark === '√') results.push(passed('jest', file, suitePath, name));
    else if (mark === '○' || mark === '✎' || word) results.push(passed('jest', file, suitePath, name, 'skipped'));
  }
  return i;
}
