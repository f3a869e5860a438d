// Test runs the user starts in the integrated terminal: which command lines are test runs, and the
// failures in the HUMAN output the runners print there (pytest's failures and short summary,
// node's spec reporter, jest's, vitest's and mocha's default reporters). Only the text is known, so the
// records are built the way the report parsers build them (same test ids), with what the text says.
//
// This file holds the entry (parseTerminalOutput), the terminal's text and command lines, and what
// a finished run tells the Testing view; one parser per runner: pytestTerminal.ts,
// nodeSpecTerminal.ts, jestTerminal.ts, vitestTerminal.ts, mochaTerminal.ts; what they share:
// terminalRecords.ts.

import { stripVTControlCharacters } from 'node:util';
import { segmentWords } from './commandLine';
import { parseJestTerminal } from './jestTerminal';
import { parseMochaTerminal } from './mochaTerminal';
import { parseNodeSpecTerminal } from './nodeSpecTerminal';
import { resolvePath } from './paths';
import { splitNodeId } from './pytestReport';
import { parsePytestTerminal } from './pytestTerminal';
import type { KnownTest, TerminalRun } from './terminalRecords';
import { baseName as base, passThrough } from './testCommand';
import { testIdOf, type Framework, type TestCaseResult, type TestFailure } from './testFailure';
import { parseVitestTerminal } from './vitestTerminal';

export type { KnownTest, TerminalRun } from './terminalRecords';

// ---- the terminal's text ----

/**
 * The text as a terminal would show it: escape sequences (colours, cursor moves, OSC titles and
 * links) removed, CRLF made LF, and a line rewritten after a bare CR keeps only its last version.
 */
export function stripAnsi(text: string): string {
  // OSC strings (window titles, hyperlinks, VS Code's shell integration marks) carry free text up to
  // BEL or ST, which stripVTControlCharacters does not take whole; the rest (CSI colours, cursor
  // moves, charset switches) is Node's own.
  const plain = stripVTControlCharacters(text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')).replace(/\x1b/g, '');
  return plain
    .split(/\r?\n/)
    .map((line) => {
      const parts = line.split('\r');
      // `\r` then a shorter text: a terminal shows the end of the longer one, but progress lines
      // are redrawn whole, so the last non-empty version is what was meant.
      for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') return parts[i];
      return '';
    })
    .join('\n');
}

// ---- command lines ----

export interface TestCommand {
  readonly framework: Framework;
}

// Which command lines run tests lives with the project's own test command (testCommand.ts).
export { npmScriptOf, recogniseTestCommand } from './testCommand';

/** The words of each command of a command line (shell-quote: quotes respected), without env assignments and wrappers. */
function segments(commandLine: string): string[][] {
  return segmentWords(commandLine)
    .map((words) => {
      const w = [...words];
      for (;;) {
        if (w.length && passThrough.has(base(w[0]))) w.shift();
        else if (w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0])) w.shift(); // `env A=1 jest`, `cross-env A=1 jest`
        else break;
      }
      return w;
    })
    .filter((w) => w.length > 0);
}

/** Test files a command line names (`pytest tests/test_a.py::test_x`, `node --test a.test.js`). */
export function testFilesInCommand(commandLine: string): string[] {
  const files = new Set<string>();
  for (const words of segments(commandLine)) {
    for (const w of words.slice(1)) {
      if (w.startsWith('-')) continue;
      const file = w.split('::')[0];
      if (/\.(py|[cm]?[jt]sx?)$/.test(file) && !/^(jest|vitest)\.config\./.test(base(file))) files.add(file);
    }
  }
  return [...files];
}

// ---- results ----

/**
 * Parses a runner's human output: its failures, and the passed (and skipped) tests it lists —
 * pytest's `-v` lines, node's spec tree, jest's test tree (a single file, or `--verbose`),
 * vitest's test lines, mocha's spec tree. `cwd` is where the command ran: the output's paths are
 * relative to it. node's tree, vitest's default lines and mocha's output do not say a passed test's
 * file (vitest not its suites either): `known` tests resolve them when exactly one matches; the
 * others are left out (a failed mocha test's file comes from its stack).
 */
export function parseTerminalOutput(framework: Framework, rawText: string, cwd: string, known: readonly KnownTest[] = []): TerminalRun {
  const text = stripAnsi(rawText);
  switch (framework) {
    case 'pytest':
      return parsePytestTerminal(text, cwd);
    case 'node':
      return parseNodeSpecTerminal(text, cwd, known);
    case 'jest':
      return parseJestTerminal(text, cwd);
    case 'vitest':
      return parseVitestTerminal(text, cwd, known);
    case 'mocha':
      return parseMochaTerminal(text, cwd, known);
  }
}

// ---- what a terminal run tells the Testing view ----

/** Options that run only part of the tests: then a test absent from the output may not have run. */
const filterFlags = /^(-k|-m|-x|--exitfirst|--lf|--last-failed|--ff|--maxfail(=.*)?|--deselect(=.*)?|-t|--testNamePattern(=.*)?|--test-name-pattern(=.*)?|--test-only|--bail(=.*)?|--changed(=.*)?|--onlyChanged|-o|--only-failures|--watch|-g|--grep(=.*)?|-f|--fgrep(=.*)?)$/;

/**
 * The results to report for a finished terminal run: its failures, and a pass for each known
 * failure of the same framework that the run shows it ran again without failing (its file ran,
 * or the whole suite passed with exit code 0 and no filter).
 */
export function terminalRunResults(
  framework: Framework,
  run: TerminalRun,
  commandLine: string,
  cwd: string,
  exitCode: number | undefined,
  known: readonly TestFailure[],
): TestCaseResult[] {
  const results = [...run.results];
  const reported = new Set(results.map((r) => r.testId));
  // `python -m pytest`'s `-m` is Python's, not pytest's marker filter.
  const words = segments(commandLine).flat().filter((w, i, all) => !(w === '-m' && /^py\.?test$/.test(all[i + 1] ?? '')));
  const filtered = words.some((w) => filterFlags.test(w)) || words.some((w) => w.includes('::'));
  const named = testFilesInCommand(commandLine).map((f) => resolvePath(cwd, f));
  const namedIds = new Set(words.filter((w) => w.includes('::')).map((w) => {
    const { file, suitePath, name } = splitNodeId(w);
    return testIdOf(resolvePath(cwd, file), suitePath, name);
  }));
  const ranFiles = new Set([...run.files, ...(filtered ? [] : named)]);
  const under = (file: string) => relativeInside(cwd, file);
  for (const f of known) {
    if (f.framework !== framework || reported.has(f.testId)) continue;
    const ranAgain = namedIds.has(f.testId) || (!filtered && (ranFiles.has(f.file) || (exitCode === 0 && named.length === 0 && under(f.file))));
    if (!ranAgain) continue;
    const fileLevel = /::\((file|collection)\)$/.test(f.testId);
    const suitePath = fileLevel ? [] : f.testId.slice(f.file.length + 2).split('::').slice(0, -1);
    results.push({ testId: f.testId, framework, file: f.file, name: fileLevel ? f.testId.slice(f.testId.lastIndexOf('::') + 2) : f.name, suitePath, outcome: 'passed', output: '', ...(fileLevel ? { fileLevel: true } : {}) });
  }
  return results;
}

function relativeInside(root: string, file: string): boolean {
  const r = resolvePath(root, '.').replace(/\\/g, '/').replace(/\/$/, '');
  return file.replace(/\\/g, '/').startsWith(`${r}/`);
}
