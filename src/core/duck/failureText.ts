// How the test failed, as the duck's prompt says it: the exception's type and message, expected
// and actual as the runner reports them (one line each when short), and the stack frames in the
// user's code with the line each one ran. No runner chatter: no TAP bookkeeping, no other tests,
// no runner or runtime frames, no "Use -v to get more diff".

import { stripAnsi } from '../failures/terminalOutput';

/** What the runners report: a `TestFailure` has all of it. */
export interface FailureFacts {
  readonly message?: string;
  readonly expected?: string;
  readonly actual?: string;
  /** The runner's own failure text (`TestFailure.output`): the exception's type is read from it. */
  readonly output?: string;
  /** Innermost first; runner and runtime frames already left out (as `TestFailure.stack`). */
  readonly stack?: readonly { readonly file: string; readonly line: number; readonly function?: string }[];
}

export interface CleanFrame {
  /** `src/money.js:13` */
  readonly where: string;
  readonly function?: string;
  /** The frame's source line, trimmed. */
  readonly code?: string;
}

export interface CleanFailure {
  /** `AssertionError`, `KeyError`, `RangeError`; absent when the runner does not say. */
  readonly errorType?: string;
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly frames: readonly CleanFrame[];
  /** Frames not shown (deep recursion), counted. */
  readonly framesLeftOut: number;
}

export interface CleanFailureOptions {
  /** How a file is shown (relative to the workspace). */
  readonly displayPath?: (file: string) => string;
  /** The source line of a frame, when the caller can read the file. */
  readonly sourceLine?: (file: string, line: number) => string | undefined;
  readonly maxFrames?: number;
}

const errorTypeLine = /^\s*(?:E\s+)?((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception|Timeout|Failure|Interrupt|Exit|Warning))(?:\s*\[[A-Z_]+\])?:(?:\s|$)/;

/** Lines where a runner starts its own rendering of expected vs actual (shown separately). */
const diffStart = /^\s*(?:\+ actual - expected|- Expected\b|\+ Received\b|Expected:|Received:|Full diff:|Differences?:|Omitting \d+ identical items|Use -v+ to get)/;
const chatter = /^\s*(?:Use -v+ to get .*|\(pytest-[\w-]+\).*|Hint: .*)$/;

export function cleanFailure(facts: FailureFacts, options: CleanFailureOptions = {}): CleanFailure {
  const show = options.displayPath ?? ((f: string) => f);
  let message = stripAnsi(facts.message ?? '').replace(/\r\n/g, '\n').trim();
  let errorType: string | undefined;
  const own = errorTypeLine.exec(message.split('\n')[0] ?? '');
  if (own) {
    errorType = own[1];
    message = message.replace(errorTypeLine, '').trim();
  } else {
    errorType = typeFromOutput(stripAnsi(facts.output ?? ''), message);
    if (!errorType && /^assert\b/.test(message)) errorType = 'AssertionError';
  }
  const hasValues = facts.expected !== undefined && facts.actual !== undefined;
  let lines = message.split('\n');
  if (hasValues) {
    const cut = lines.findIndex((l, i) => i > 0 && diffStart.test(l));
    if (cut > 0) lines = lines.slice(0, cut);
  }
  lines = lines.filter((l) => !chatter.test(l));
  // node's `9 !== 10` after "Expected values to be strictly equal:" says again what Expected/Actual say.
  if (hasValues) lines = lines.filter((l) => l.trim() !== `${facts.actual} !== ${facts.expected}`);
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  if (lines.length > 15) lines = [...lines.slice(0, 15), `… (${lines.length - 15} more lines)`];
  message = clip(lines.join('\n').replace(/\n\s*\n/g, '\n').replace(/:\s*$/, ''), 1500);

  const maxFrames = options.maxFrames ?? 8;
  const frames: CleanFrame[] = [];
  let previous = '';
  let repeats = 0;
  const all = facts.stack ?? [];
  for (const f of all) {
    const where = `${show(f.file)}:${f.line}`;
    if (where === previous) {
      repeats++;
      continue;
    }
    previous = where;
    const name = readableFunction(f.function);
    const code = options.sourceLine?.(f.file, f.line)?.trim();
    frames.push({ where, ...(name ? { function: name } : {}), ...(code ? { code: clip(code, 160) } : {}) });
  }
  let framesLeftOut = repeats;
  if (frames.length > maxFrames) {
    const head = maxFrames - 2;
    framesLeftOut += frames.length - maxFrames;
    frames.splice(head, frames.length - maxFrames);
  }
  return {
    ...(errorType ? { errorType } : {}),
    message,
    ...(facts.expected !== undefined ? { expected: asValue(quotedAsInMessage(facts.expected, facts.message ?? '')) } : {}),
    ...(facts.actual !== undefined ? { actual: asValue(quotedAsInMessage(facts.actual, facts.message ?? '')) } : {}),
    frames,
    framesLeftOut,
  };
}

export function renderFailure(f: CleanFailure): string {
  const lines: string[] = [];
  const head = f.errorType ? `${f.errorType}${f.message ? `: ${f.message}` : ''}` : f.message;
  if (head) lines.push(head);
  if (f.expected !== undefined) lines.push(`Expected: ${f.expected}`);
  if (f.actual !== undefined) lines.push(`Actual:   ${f.actual}`);
  if (f.frames.length) {
    lines.push('Where (innermost first, your code only):');
    for (const fr of f.frames) lines.push(`  ${fr.where}${fr.function ? ` in ${fr.function}` : ''}${fr.code ? `: ${fr.code}` : ''}`);
    if (f.framesLeftOut) lines.push(`  … ${f.framesLeftOut} more frame${f.framesLeftOut === 1 ? '' : 's'} (repeated or deeper) left out`);
  }
  return lines.join('\n');
}

/** The exception's type from the runner's text: the line that carries the message, or pytest's last `E   Type: …` line. */
function typeFromOutput(output: string, message: string): string | undefined {
  const lines = output.split('\n');
  const firstMessageLine = message.split('\n')[0]?.trim() ?? '';
  for (const line of lines) {
    const m = errorTypeLine.exec(line);
    if (m && firstMessageLine && line.includes(firstMessageLine.slice(0, 40))) return m[1];
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^E\s+([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Failure|Interrupt|Exit|Warning)):/.exec(lines[i]);
    if (m) return m[1];
  }
  return undefined;
}

/** Frame names that say something: `split`, `Cart.total`; not `Object.toBe` or `TestContext.<anonymous>`. */
function readableFunction(name: string | undefined): string | undefined {
  if (!name || !/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/.test(name)) return undefined;
  if (/^(?:Object|TestContext|Context|Test|Suite|Module|Promise|process)\./.test(name) || name === '<module>') return undefined;
  return name;
}

/**
 * Runners hand strings over bare (`ducks-debug`), which reads like code; their own message shows
 * them quoted (`'ducks-debug'`, `"€12.5"`). Use the quoted form when the message has it.
 */
function quotedAsInMessage(value: string, message: string): string {
  if (/^['"`]/.test(value) || value.includes('\n')) return value;
  for (const q of ["'", '"']) {
    const quoted = q + value.replace(/\\/g, '\\\\').split(q).join(`\\${q}`) + q;
    if (message.includes(quoted)) return quoted;
  }
  return value;
}

/** A runner's rendering of a value: one line when short (its line breaks are layout, not content). */
function asValue(text: string): string {
  const plain = stripAnsi(text).replace(/\r\n/g, '\n').trim();
  const flat = plain.replace(/\s*\n\s*/g, ' ');
  if (flat.length <= 300) return flat;
  const lines = plain.split('\n');
  return clip(lines.length > 25 ? [...lines.slice(0, 25), `… (${lines.length - 25} more lines)`].join('\n') : plain, 2000);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
