// pytest's human output in a terminal: the progress and `-v` lines (which files ran, which tests
// passed), the FAILURES/ERRORS sections (each failure's `E` lines and traceback) and the short
// test summary (the failed node ids).

import { pythonExpectedActual } from './assertionValues';
import { pythonFrames } from './frames';
import { resolvePath } from './paths';
import { splitNodeId } from './pytestReport';
import { dedent, failed, passed, uniqueByTestId, type TerminalRun } from './terminalRecords';
import type { TestCaseResult } from './testFailure';

const pytestSectionRule = /^={3,} (.+?) ={3,}$/;
const pytestHeadline = /^_{3,} (.+?) _{3,}$/;

/** pytest's FAILURES/ERRORS sections: the body of each headline (`Class.test_name[param]`). */
function pytestSections(lines: readonly string[]): Map<string, string[]> {
  const bodies = new Map<string, string[]>();
  let inSection = false;
  let current: string[] | undefined;
  for (const line of lines) {
    const rule = pytestSectionRule.exec(line);
    if (rule) {
      inSection = rule[1] === 'FAILURES' || rule[1] === 'ERRORS';
      current = undefined;
      continue;
    }
    if (!inSection) continue;
    const head = pytestHeadline.exec(line);
    if (head) {
      // `ERROR at setup of test_x`, `ERROR collecting tests/test_y.py`: keyed like the node id.
      const key = head[1].replace(/^ERROR (?:at \w+ of|collecting) /, '');
      current = bodies.get(key) ?? [];
      bodies.set(key, current);
      continue;
    }
    current?.push(line);
  }
  return bodies;
}

/** The `E` lines of a failure, dedented together (pytest indents them to the source's column). */
function errorLines(body: string): string {
  const lines = body.split('\n').filter((l) => /^E(\s|$)/.test(l)).map((l) => l.slice(1));
  return dedent(lines).join('\n').trim();
}

export function parsePytestTerminal(text: string, cwd: string): TerminalRun {
  const lines = text.split('\n');
  const bodies = pytestSections(lines);
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  // Progress lines of the default verbosity: `tests/test_cart.py F..FFFs   [100%]`; -v: `path::test PASSED`.
  for (const line of lines) {
    const progress = /^(\S+\.py) [.FEsxX]+\s*(?:\[\s*\d+%\])?$/.exec(line);
    if (progress) files.add(resolvePath(cwd, progress[1]));
    const verbose = /^(\S+\.py)::(\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b/.exec(line);
    if (verbose) {
      files.add(resolvePath(cwd, verbose[1]));
      if (verbose[3] === 'PASSED') {
        const { suitePath, name } = splitNodeId(`${verbose[1]}::${verbose[2]}`);
        results.push(passed('pytest', resolvePath(cwd, verbose[1]), suitePath, name));
      }
    }
  }
  // The short summary: `FAILED tests/test_x.py::TestA::test_b[1] - message` (node ids relative to
  // the cwd), continuation lines indented by two.
  let inSummary = false;
  for (let i = 0; i < lines.length; i++) {
    const rule = pytestSectionRule.exec(lines[i]);
    if (rule) {
      inSummary = rule[1] === 'short test summary info';
      continue;
    }
    if (!inSummary) continue;
    const m = /^(FAILED|ERROR) (\S+?)(?: - (.*))?$/.exec(lines[i]);
    if (!m) continue;
    const summaryMessage = [m[3] ?? ''];
    while (i + 1 < lines.length && /^ {2}|^$/.test(lines[i + 1]) && !pytestSectionRule.test(lines[i + 1])) summaryMessage.push(lines[++i].replace(/^ {2}/, ''));
    const nodeId = m[2];
    const { file: relFile, suitePath, name } = splitNodeId(nodeId);
    const file = resolvePath(cwd, relFile);
    files.add(file);
    const fileLevel = !nodeId.includes('::');
    const headline = fileLevel ? relFile : [...suitePath, name].join('.');
    const body = (bodies.get(headline) ?? bodies.get(name) ?? []).join('\n');
    const fromBody = errorLines(body);
    // The summary line is cut to the terminal's width (with `...`) outside CI: the E lines are whole.
    const message = (fromBody || summaryMessage.join('\n').trim() || (m[1] === 'ERROR' ? 'error' : 'failed')).trim();
    let stack = pythonFrames(body, cwd);
    if (!stack.length) {
      const loc = /File "([^"]+)", line (\d+)/.exec(body);
      if (loc) stack = pythonFrames(`  File "${loc[1]}", line ${loc[2]}`, cwd);
    }
    results.push(
      failed(
        'pytest',
        file,
        suitePath,
        fileLevel ? relFile : name,
        { message, ...(pythonExpectedActual(message) ?? {}), stack, output: body.trim() || summaryMessage.join('\n') },
        { nodeId, ...(fileLevel ? { fileLevel: true } : {}) },
      ),
    );
  }
  return { results: uniqueByTestId(results), files: [...files] };
}
