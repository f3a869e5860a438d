// Test runs the user starts in the integrated terminal: which command lines are test runs, and the
// failures in the HUMAN output the runners print there (pytest's failures and short summary,
// node's spec reporter, jest's and vitest's default reporters). Only the text is known, so the
// records are built the way the report parsers build them (same test ids), with what the text says.
import { stripVTControlCharacters } from 'node:util';
import { chaiExpectedActual, pythonExpectedActual } from './assertionValues';
import { segmentWords } from './commandLine';
import { baseName as base, passThrough } from './testCommand';
import { pythonFrames, userFrames, v8Frames } from './frames';
import { resolvePath } from './paths';
import { splitNodeId } from './pytestReport';
import type { StackFrame } from './stackFrames';
import { capText, testIdOf, type DiscoveredTest, type Framework, type TestCaseResult, type TestFailure } from './testFailure';

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

export interface TerminalRun {
  /** Failed tests (and passed ones where the output lists them), with the report parsers' test ids. */
  readonly results: TestCaseResult[];
  /** Absolute paths of the test files the output shows ran, when it says. */
  readonly files: string[];
}

/** A test known before the run (the Testing view's discovery): where a name the output prints without its file lives. */
export type KnownTest = Pick<DiscoveredTest, 'file' | 'suitePath' | 'name'>;

/**
 * Parses a runner's human output: its failures, and the passed (and skipped) tests it lists —
 * pytest's `-v` lines, node's spec tree, jest's test tree (a single file, or `--verbose`),
 * vitest's test lines. `cwd` is where the command ran: the output's paths are relative to it.
 * node's tree and vitest's default lines do not say a passed test's file (vitest not its suites
 * either): `known` tests resolve them when exactly one matches; the others are left out.
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
  }
}

/** The one known test with this name (and suites, and file, where given); undefined when none or several. */
function uniqueKnown(known: readonly KnownTest[], name: string, suitePath?: readonly string[], file?: string): KnownTest | undefined {
  const found = known.filter((k) => k.name === name && (!suitePath || k.suitePath.join('\u0000') === suitePath.join('\u0000')) && (!file || k.file === file));
  return found.length === 1 ? found[0] : undefined;
}

function failed(framework: Framework, file: string, suitePath: string[], name: string, fields: Omit<TestFailure, 'testId' | 'framework' | 'file' | 'name' | 'line'> & { line?: number }, extra: { fileLevel?: boolean; nodeId?: string } = {}): TestCaseResult {
  const testName = extra.fileLevel ? (framework === 'pytest' ? '(collection)' : '(file)') : name;
  const testId = testIdOf(file, extra.fileLevel ? [] : suitePath, testName);
  const failure: TestFailure = { testId, framework, file, name, ...fields, line: fields.line ?? 0, output: capText(fields.output) };
  return {
    testId,
    framework,
    file,
    ...(fields.line ? { line: fields.line } : {}),
    name: testName,
    suitePath: extra.fileLevel ? [] : suitePath,
    outcome: 'failed',
    output: failure.output,
    failure,
    ...(extra.nodeId ? { nodeId: extra.nodeId } : {}),
    ...(extra.fileLevel ? { fileLevel: true } : {}),
  };
}

function passed(framework: Framework, file: string, suitePath: readonly string[], name: string, outcome: 'passed' | 'skipped' = 'passed'): TestCaseResult {
  return { testId: testIdOf(file, suitePath, name), framework, file, name, suitePath: [...suitePath], outcome, output: '' };
}

function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(min, l.length - l.trimStart().length)));
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** `Error: x`, `AssertionError [ERR_ASSERTION]: x` -> `x` (the report parsers keep the message only). */
function withoutErrorName(message: string): string {
  return message.replace(/^[\w$.]*(?:Error|Exception)(?: \[[A-Z_]+\])?: /, '');
}

function uniqueByTestId(results: TestCaseResult[]): TestCaseResult[] {
  const seen = new Set<string>();
  return results.filter((r) => (seen.has(r.testId) ? false : (seen.add(r.testId), true)));
}

// ---- pytest ----

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

function parsePytestTerminal(text: string, cwd: string): TerminalRun {
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

// ---- node --test, spec reporter ----

/** `✖ name (1.2ms)`, `✔ name (0.2ms)`, `﹣ name (0.1ms) # SKIP`, `▶ suite`. */
const nodeResultLine = /^(\s*)([✖✔﹣▶]) (.+?)(?: \(\d+(?:\.\d+)?m?s\))?(?: # (?:SKIP|TODO).*)?$/;

interface NodeTreeEntry {
  readonly name: string;
  readonly suitePath: string[];
  readonly ok: boolean;
  readonly skipped: boolean;
  readonly body: string[];
}

function parseNodeSpecTerminal(text: string, cwd: string, known: readonly KnownTest[]): TerminalRun {
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

// ---- jest ----

function parseJestTerminal(text: string, cwd: string): TerminalRun {
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

// ---- vitest ----

function parseVitestTerminal(text: string, cwd: string, known: readonly KnownTest[]): TerminalRun {
  const lines = text.split('\n');
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  const listed: { file: string; name: string; outcome: 'passed' | 'skipped' }[] = [];
  let current: string | undefined;
  for (const line of lines) {
    // The per-file lines: ` ✓ cart.test.js (5 tests) 3ms`, ` ❯ cart.test.js (5 tests | 3 failed) 28ms`.
    const m = /^\s*[✓❯×✗>√] (\S+) \(\d+ tests?\b/.exec(line);
    if (m) {
      current = resolvePath(cwd, m[1]);
      files.add(current);
      continue;
    }
    // The verbose reporter names each test in full: ` ✓ cart.test.js > cart > subtotal > is zero 1ms`.
    const full = /^\s*([✓√↓]) (\S+\.[cm]?[jt]sx?) > (.+?)(?: \d+(?:\.\d+)?m?s)?(?: \[skipped\])?$/.exec(line);
    if (full) {
      const parts = full[3].split(' > ');
      const name = parts.pop() ?? full[3];
      const file = resolvePath(cwd, full[2]);
      files.add(file);
      results.push(passed('vitest', file, parts, name, full[1] === '↓' ? 'skipped' : 'passed'));
      continue;
    }
    // Under a file's line, its tests by name alone (suites are not printed).
    const test = /^\s{3,}([✓√↓]) (.+?)(?: \d+(?:\.\d+)?m?s)?(?: \[skipped\])?$/.exec(line);
    if (test && current) listed.push({ file: current, name: test[2], outcome: test[1] === '↓' ? 'skipped' : 'passed' });
    else if (!/^\s{3,}[×✗] /.test(line)) current = /^\s*$/.test(line) ? current : undefined;
  }
  for (const t of listed) {
    const match = uniqueKnown(known, t.name, undefined, t.file);
    if (match) results.push(passed('vitest', t.file, match.suitePath, t.name, t.outcome));
  }
  for (let i = 0; i < lines.length; i++) {
    // Several ` FAIL ` lines in a row share the error below them (vitest groups equal errors).
    const heads: string[] = [];
    while (i < lines.length && /^\s*FAIL\s+\S/.test(lines[i])) heads.push(lines[i++].trim().replace(/^FAIL\s+/, ''));
    if (!heads.length) continue;
    const body: string[] = [];
    while (i < lines.length && !/^\s*FAIL\s+\S/.test(lines[i]) && !/^⎯{3,}/.test(lines[i]) && !/^\s*Test Files\s/.test(lines[i])) body.push(lines[i++]);
    i--;
    const bodyText = body.join('\n').trim();
    const bodyLines = bodyText.split('\n');
    const end = bodyLines.findIndex((l) => /^\s*[❯→>] \S+:\d+:\d+$/.test(l) || /^\s*[❯→>] \S+ \S+:\d+:\d+$/.test(l) || /^- Expected\b|^Expected: /.test(l) || /^\s*\d+\|/.test(l));
    const messageLines = (end < 0 ? bodyLines : bodyLines.slice(0, end)).join('\n').trim();
    const message = withoutErrorName(messageLines) || 'failed';
    const expected = /^Expected: (.*)$/m.exec(bodyText)?.[1];
    const actual = /^Received: (.*)$/m.exec(bodyText)?.[1];
    const values = expected !== undefined && actual !== undefined ? { expected, actual } : chaiExpectedActual(message);
    const stack = vitestFrames(bodyText, cwd);
    for (const head of heads) {
      const suiteLevel = /^(\S+) \[ (.+) \]$/.exec(head);
      if (suiteLevel) {
        const file = resolvePath(cwd, suiteLevel[1]);
        files.add(file);
        const where = /^\s*File: (.+):(\d+):(\d+)$/m.exec(bodyText);
        results.push(
          failed('vitest', file, [], file, {
            message: message.split('\n')[0],
            stack: where ? [{ file: resolvePath(cwd, where[1]), line: Number(where[2]), column: Number(where[3]) + 1 }] : stack,
            output: bodyText,
          }, { fileLevel: true }),
        );
        continue;
      }
      const parts = head.split(' > ');
      const relFile = parts.shift() ?? head;
      const name = parts.pop() ?? relFile;
      const file = resolvePath(cwd, relFile);
      files.add(file);
      results.push(failed('vitest', file, parts, name, { message, ...(values ?? {}), stack, output: bodyText }));
    }
  }
  return { results: uniqueByTestId(results), files: [...files] };
}

/** vitest's ` ❯ [function] file:line:col` frames (and any V8 `at` lines), innermost first. */
function vitestFrames(body: string, cwd: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of body.split('\n')) {
    const m = /^\s*[❯→>] (?:(\S+) )?(\S+):(\d+):(\d+)$/.exec(line);
    if (m) frames.push({ file: m[2], line: Number(m[3]), column: Number(m[4]), ...(m[1] ? { function: m[1] } : {}) });
  }
  return frames.length ? userFrames(frames, cwd) : v8Frames(body, cwd);
}

// ---- what a terminal run tells the Testing view ----

/** Options that run only part of the tests: then a test absent from the output may not have run. */
const filterFlags = /^(-k|-m|-x|--exitfirst|--lf|--last-failed|--ff|--maxfail(=.*)?|--deselect(=.*)?|-t|--testNamePattern(=.*)?|--test-name-pattern(=.*)?|--test-only|--bail(=.*)?|--changed(=.*)?|--onlyChanged|-o|--only-failures|--watch)$/;

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
