// vitest's default and verbose reporters in a terminal: the per-file lines, the passed and skipped
// tests listed under them, and the ` FAIL ` sections (several may share one error) with their
// message, values and ` ❯ file:line:col` frames.

import { chaiExpectedActual } from './assertionValues';
import { userFrames, v8Frames } from './frames';
import { resolvePath } from './paths';
import type { StackFrame } from './stackFrames';
import { failed, passed, uniqueByTestId, uniqueKnown, withoutErrorName, type KnownTest, type TerminalRun } from './terminalRecords';
import type { TestCaseResult } from './testFailure';

export function parseVitestTerminal(text: string, cwd: string, known: readonly KnownTest[]): TerminalRun {
  const lines = text.split('\n');
  const results: TestCaseResult[] = [];
  const files = new Set<string>();
  const listed: { file: string; name: string; outcome: 'passed' | 'skipped' }[] = [];
  /** Files whose line says every one of their N tests passed (` ✓ cart.test.js (5 tests) 3ms`). */
  const allPassed = new Map<string, number>();
  let current: string | undefined;
  for (const line of lines) {
    // The per-file lines: ` ✓ cart.test.js (5 tests) 3ms`, ` ❯ cart.test.js (5 tests | 3 failed) 28ms`.
    const m = /^\s*([✓❯×✗>√]) (\S+) \((\d+) tests?\b(\)?)/.exec(line);
    if (m) {
      current = resolvePath(cwd, m[2]);
      files.add(current);
      if ((m[1] === '✓' || m[1] === '√') && m[4]) allPassed.set(current, Number(m[3]));
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
    // Failed tests and the suites of a file with failures (`   ❯ subtotal (2)`) stay under it too.
    else if (!/^\s{3,}[×✗] /.test(line) && !/^\s{3,}[❯>] .+ \(\d+\)$/.test(line)) current = /^\s*$/.test(line) ? current : undefined;
  }
  for (const t of listed) {
    const match = uniqueKnown(known, t.name, undefined, t.file);
    if (match) results.push(passed('vitest', t.file, match.suitePath, t.name, t.outcome));
  }
  // The default reporter lists no test of a file that passed whole: when the known tests of that
  // file are exactly as many as it says passed, they are the ones.
  for (const [file, count] of allPassed) {
    const inFile = known.filter((k) => k.file === file);
    if (inFile.length !== count || results.some((r) => r.file === file)) continue;
    for (const k of inFile) results.push(passed('vitest', file, k.suitePath, k.name));
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
