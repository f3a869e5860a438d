// Stack frames out of the text test runners print: Python tracebacks (plain, and pytest's
// long/short/line formats) and V8 stacks (Node's `Error.stack`, the spec reporter, and the TAP
// reporter's YAML `stack:` block). Frames come back innermost first, the order V8 prints.

export interface StackFrame {
  /** As printed: absolute or relative path, `file://` URLs decoded; or a pseudo-file like `node:fs`. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, when the format gives one (V8 does, Python does not). */
  readonly column?: number;
  readonly function?: string;
}

/** Frames of the trace in `text`, whichever runtime printed it; empty when there is none. */
export function parseStackFrames(text: string): StackFrame[] {
  return looksLikePython(text) ? parsePythonTraceback(text) : parseV8Stack(text);
}

function looksLikePython(text: string): boolean {
  return /^Traceback \(most recent call last\):/m.test(text) || /^\s*File ".+", line \d+/m.test(text) || pytestLocation.test(text);
}

// ---- Python ----

const tracebackHeader = /^\s*Traceback \(most recent call last\):\s*$/;
const pythonFrame = /^\s*File "(.+)", line (\d+)(?:, in (.+?))?\s*$/;
/** pytest's location lines: `tests/test_x.py:12: in test_x`, `pkg/mod.py:5: KeyError`, `pkg/mod.py:5: `. */
const pytestLocation = /^((?:[A-Za-z]:)?[^\s:][^:\n]*\.py):(\d+):(?: in (\S+)|.*)$/m;
const pythonDef = /^[>\s]*(?:async\s+)?def\s+([\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)\s*\(/u;

/**
 * Python's traceback, innermost frame first. With chained exceptions ("During handling of the
 * above exception...") the last traceback is the one that surfaced, so its frames are returned.
 */
export function parsePythonTraceback(text: string): StackFrame[] {
  const lines = text.split(/\r?\n/);
  let frames: StackFrame[] = [];
  let sawHeader = false;
  for (const line of lines) {
    if (tracebackHeader.test(line)) {
      frames = [];
      sawHeader = true;
      continue;
    }
    const match = pythonFrame.exec(line);
    if (match) frames.push(frame(match[1], match[2], undefined, match[3]));
  }
  if (sawHeader || frames.length) return frames.reverse();
  return parsePytestLocations(lines).reverse();
}

const chainMarker = /^(During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;

/** With chained exceptions, the last part is about the exception that surfaced. */
function afterLastChainMarker(lines: readonly string[]): readonly string[] {
  for (let i = lines.length - 1; i >= 0; i--) if (chainMarker.test(lines[i].trim())) return lines.slice(i + 1);
  return lines;
}

/**
 * pytest's own formats print a location line after each frame's source. The long format leaves
 * out the function name there, so it is read from the `def` line pytest shows above it.
 */
function parsePytestLocations(lines: readonly string[]): StackFrame[] {
  const location = new RegExp(pytestLocation.source);
  const frames: StackFrame[] = [];
  // A section shows its function from the top, so its first `def` is the frame's function
  // (later ones are nested functions in its body).
  let sectionDef: string | undefined;
  for (const line of afterLastChainMarker(lines)) {
    sectionDef ??= pythonDef.exec(line)?.[1];
    const match = location.exec(line);
    if (!match) continue;
    frames.push(frame(match[1], match[2], undefined, match[3] ?? sectionDef));
    sectionDef = undefined;
  }
  return frames;
}

// ---- V8 ----

/** `at fn (file:line:col)`, `at file:line:col`, `at async fn (...)`, `at new Cls (...)`. */
const v8Location = /^(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;
const v8AtLine = /^\s*at (.+)$/;

/**
 * The first V8 stack in `text`, innermost frame first. Reporters often print a failure twice
 * (inline, then in a summary); one copy is enough. Frames without a location, such as
 * `at Array.map (<anonymous>)`, are skipped.
 */
export function parseV8Stack(text: string): StackFrame[] {
  const lines = text.split(/\r?\n/);
  const frames: StackFrame[] = [];
  let inStack = false;
  let yamlIndent: number | undefined;
  for (const line of lines) {
    // node's TAP reporter prints the stack as a YAML block scalar whose lines have no `at `.
    if (yamlIndent !== undefined) {
      const indent = line.length - line.trimStart().length;
      if (line.trim() && indent > yamlIndent) {
        const parsed = v8Frame(line.trim());
        if (parsed) frames.push(parsed);
        continue;
      }
      break;
    }
    const yamlStack = /^(\s*)stack: \|-?\s*$/.exec(line);
    if (yamlStack && !inStack) {
      yamlIndent = yamlStack[1].length;
      continue;
    }
    const at = v8AtLine.exec(line);
    if (at) {
      inStack = true;
      const parsed = v8Frame(at[1]);
      if (parsed) frames.push(parsed);
    } else if (inStack) {
      break;
    }
  }
  return frames;
}

function v8Frame(body: string): StackFrame | undefined {
  // `eval at f (file:1:2), <anonymous>:1:1` has no file of its own.
  if (body.includes('eval at ')) return undefined;
  const match = v8Location.exec(body);
  if (!match) return undefined;
  const name = match[1]?.replace(/^async /, '').replace(/^new /, '').replace(/ \[as [^\]]+\]$/, '');
  return frame(fileFromUrl(match[2]), match[3], match[4], name);
}

/** `file:///home/x/a.mjs` -> `/home/x/a.mjs`; `file:///C:/x/a.mjs` -> `C:/x/a.mjs`. */
function fileFromUrl(location: string): string {
  if (!location.startsWith('file://')) return location;
  const path = decodeURIComponent(location.slice('file://'.length));
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
}

function frame(file: string, line: string, column: string | undefined, fn: string | undefined): StackFrame {
  return {
    file,
    line: Number(line),
    ...(column ? { column: Number(column) } : {}),
    ...(fn ? { function: fn } : {}),
  };
}
