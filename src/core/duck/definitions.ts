// Function definitions inside a model's code snippet, found without a parser: the snippet is often
// not a whole file, may not parse, and the core must stay synchronous and pure. Line-level
// patterns plus indentation (Python) or brace depth (JavaScript/TypeScript) are enough to tell
// which snippet defines the target, what it is called, and where its definition ends.

export type CodeFamily = 'python' | 'javascript';

export interface Definition {
  readonly name: string;
  /** 0-based line of the `def`/`function` line (decorators and comments above are not counted). */
  readonly line: number;
  /** 0-based first line, decorators and leading comments included. */
  readonly start: number;
  /** 0-based last line of the definition. */
  readonly end: number;
  readonly indent: string;
  readonly kind: 'function' | 'class';
}

export function familyOfLanguage(language: string | undefined): CodeFamily | undefined {
  if (!language) return undefined;
  const l = language.toLowerCase();
  if (l === 'python' || l === 'py' || l === 'python3') return 'python';
  if (['javascript', 'js', 'typescript', 'ts', 'tsx', 'jsx', 'mjs', 'cjs', 'node'].includes(l)) return 'javascript';
  return undefined;
}

// The patterns run on a line whose runs of spaces and tabs are collapsed to one space and whose
// indentation is cut off: every `' ?'` then matches at most one character, so no two quantifiers
// compete for the same text and matching stays linear in the line's length (model code can hold
// lines of any shape).
const pythonDef = /^(?:async )?def ([A-Za-z_]\w*) ?\(/;
const pythonClass = /^class ([A-Za-z_]\w*) ?[(:]/;
const jsKeywords = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'with', 'else', 'do', 'try', 'new', 'typeof', 'await', 'yield', 'super', 'constructor']);
const jsPatterns: readonly RegExp[] = [
  // function declarations and expressions with a name
  /^(?:export )?(?:default )?(?:async )?function ?\*? ?([A-Za-z_$][\w$]*) ?[<(]/,
  // const f = (...) => / function / async ...
  /^(?:export )?(?:const|let|var) ([A-Za-z_$][\w$]*) ?(?::[^=]+)?= ?(?:async )?(?:function\b|\(|[A-Za-z_$][\w$]* ?=>|<)/,
  // methods and object members: name(...) {, async name(...) {, static name<T>(...): T {
  /^(?:(?:public|private|protected|static|async|readonly|override|get|set) )*\*? ?([A-Za-z_$#][\w$]*) ?(?:<[^>]*>)? ?\([^)]*\) ?(?:: ?[^{=]+)?\{ ?$/,
  // class fields holding arrows: name = (...) =>
  /^(?:(?:public|private|protected|static|readonly) )*([A-Za-z_$#][\w$]*) ?(?::[^=]+)?= ?(?:async )?\([^)]*\) ?(?:: ?[^=]+)?=>/,
  // object members holding functions: name: function / name: (...) =>
  /^([A-Za-z_$][\w$]*) ?: ?(?:async )?(?:function\b|\([^)]*\) ?=>)/,
];
// obj.f = function / module.exports.f = (...) =>: a dotted name (checked in code, not by nesting quantifiers)
const jsMemberAssignment = /^([A-Za-z_$][\w$.]*) ?= ?(?:async )?(?:function\b|\([^)]*\) ?=>|[A-Za-z_$][\w$]* ?=>)/;
const jsClass = /^(?:export )?(?:default )?(?:abstract )?class ([A-Za-z_$][\w$]*)/;

/** The indentation of a line, and the rest with runs of spaces and tabs collapsed to one space. */
function splitIndent(line: string): { indent: string; code: string } {
  let i = 0;
  while (line[i] === ' ' || line[i] === '\t') i++;
  return { indent: line.slice(0, i), code: line.slice(i).replace(/[ \t]+/g, ' ') };
}

/** The definition a line starts, if any. */
function definitionAt(line: string, family: CodeFamily): { name: string; indent: string; kind: 'function' | 'class' } | undefined {
  const { indent, code } = splitIndent(line);
  if (family === 'python') {
    const def = pythonDef.exec(code);
    if (def) return { indent, name: def[1], kind: 'function' };
    const cls = pythonClass.exec(code);
    return cls ? { indent, name: cls[1], kind: 'class' } : undefined;
  }
  const cls = jsClass.exec(code);
  if (cls) return { indent, name: cls[1], kind: 'class' };
  for (const pattern of jsPatterns) {
    const m = pattern.exec(code);
    if (m && !jsKeywords.has(m[1])) return { indent, name: m[1], kind: 'function' };
  }
  const member = jsMemberAssignment.exec(code);
  if (member) {
    const parts = member[1].split('.');
    const name = parts[parts.length - 1];
    if (parts.length >= 2 && parts.every((p) => /^[A-Za-z_$][\w$]*$/.test(p)) && !jsKeywords.has(name)) return { indent, name, kind: 'function' };
  }
  return undefined;
}

/** Python when a line starts a `def`, else JavaScript (for snippets of unknown language). */
export function guessFamily(code: string): CodeFamily {
  for (const line of code.split('\n')) if (pythonDef.test(splitIndent(line).code)) return 'python';
  return 'javascript';
}

/** Every function and class definition in `code` (LF text), outer before inner. */
export function findDefinitions(code: string, family: CodeFamily): Definition[] {
  const lines = code.split('\n');
  const starts: { line: number; def: { name: string; indent: string; kind: 'function' | 'class' } }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const def = definitionAt(lines[i], family);
    if (def) starts.push({ line: i, def });
  }
  if (!starts.length) return [];
  // Each end is found in one pass over the lines for all definitions together, so a snippet with
  // many definitions that never close costs no more than one that does.
  const ends = family === 'python' ? pythonEnds(lines, starts.map((s) => ({ line: s.line, indent: s.def.indent }))) : braceEnds(lines, starts.map((s) => s.line));
  const found: Definition[] = [];
  starts.forEach(({ line, def }, k) => {
    const end = ends[k];
    if (end !== undefined) found.push({ ...def, line, start: leadingStart(lines, line, def.indent, family), end });
  });
  return found;
}

/** Decorators and comments directly above a definition belong to it. */
function leadingStart(lines: readonly string[], line: number, indent: string, family: CodeFamily): number {
  let start = line;
  for (let j = line - 1; j >= 0; j--) {
    const l = lines[j];
    if (!l.startsWith(indent) || l[indent.length] === ' ' || l[indent.length] === '\t') break;
    const t = l.trim();
    if (t.startsWith('@') || (family === 'python' ? t.startsWith('#') : t.startsWith('//') || t.startsWith('/*') || t.startsWith('*'))) start = j;
    else break;
  }
  return start;
}

function widthOf(ws: string): number {
  let w = 0;
  for (const c of ws) w += c === '\t' ? 8 - (w % 8) : 1;
  return w;
}

/** A signature longer than this many lines is not looked for (it would not be one). */
const maxSignatureLines = 60;

/**
 * The last line of each Python definition: the line before the next non-blank line indented no
 * deeper than the `def`/`class` (closing brackets and the inside of triple-quoted strings do not
 * count), after a signature that may span lines up to its `:` at bracket depth 0.
 */
function pythonEnds(lines: readonly string[], defs: readonly { line: number; indent: string }[]): (number | undefined)[] {
  // Per line, once: where a triple-quoted string is open at its start, and whether it has content.
  const inString: boolean[] = [];
  const content: boolean[] = [];
  let open: string | undefined;
  for (const l of lines) {
    inString.push(open !== undefined);
    if (open) {
      if (countOccurrences(l, open) % 2 === 1) open = undefined;
    } else if (l.trim() !== '') {
      for (const q of ['"""', "'''"]) if (countOccurrences(l, q) % 2 === 1) open = q;
    }
    content.push(open !== undefined || inString[inString.length - 1] || l.trim() !== '');
  }
  const width = lines.map((l) => widthOf(splitIndent(l).indent));
  const breaks = lines.map((l, j) => {
    if (inString[j] || l.trim() === '') return false;
    const first = l[splitIndent(l).indent.length];
    return first !== ')' && first !== ']' && first !== '}';
  });
  // Per line, once: its bracket balance and whether its code (comment aside) ends with or holds `:`.
  const balance = lines.map((l) => {
    let d = 0;
    for (const c of stripPythonStrings(l)) {
      if (c === '(' || c === '[' || c === '{') d++;
      else if (c === ')' || c === ']' || c === '}') d--;
    }
    return d;
  });
  const codeOf = lines.map((l) => withoutComment(l).trimEnd());
  // The line before which each definition's body starts (its signature's last line), or a one-liner.
  const bodyFrom = defs.map(({ line }) => {
    let depth = 0;
    for (let i = line; i < lines.length && i < line + maxSignatureLines; i++) {
      depth += balance[i];
      if (depth <= 0 && codeOf[i].endsWith(':')) return { sigEnd: i, oneLine: false };
      // `def f(x): return x` on one line
      if (depth <= 0 && i === line && codeOf[i].includes(':')) return { sigEnd: line, oneLine: true };
    }
    return { sigEnd: lines.length - 1, oneLine: true };
  });
  // One pass: a line that breaks closes every pending body indented at least as deep as it is.
  const stop: number[] = defs.map(() => lines.length);
  const pending: number[] = [];
  const byStart = defs.map((_, k) => k).filter((k) => !bodyFrom[k].oneLine).sort((x, y) => bodyFrom[x].sigEnd - bodyFrom[y].sigEnd || defs[x].line - defs[y].line);
  let next = 0;
  for (let j = 0; j < lines.length; j++) {
    // Pending bodies are nested, the deepest on top (a definition's own line closes the deeper ones).
    while (breaks[j] && pending.length && widthOf(defs[pending[pending.length - 1]].indent) >= width[j]) stop[pending.pop()!] = j;
    while (next < byStart.length && bodyFrom[byStart[next]].sigEnd === j) pending.push(byStart[next++]);
  }
  // The last line with content before each stop.
  const lastContent: number[] = [];
  for (let j = 0; j < lines.length; j++) lastContent.push(content[j] ? j : j > 0 ? lastContent[j - 1] : -1);
  return defs.map((_, k) => {
    const { sigEnd, oneLine } = bodyFrom[k];
    if (oneLine) return sigEnd;
    return Math.max(sigEnd, stop[k] > 0 ? lastContent[stop[k] - 1] : sigEnd);
  });
}

function countOccurrences(s: string, sub: string): number {
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

/** The line before its `#` comment (a `#` inside a string counts too: close enough for signatures). */
function withoutComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

/** The line without its comment and its one-line string literals. */
function stripPythonStrings(line: string): string {
  const code = withoutComment(line);
  const out: string[] = [];
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c !== '"' && c !== "'") {
      out.push(c);
      continue;
    }
    let j = i + 1;
    while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
    // An unterminated quote is kept as code.
    if (j >= code.length) out.push(c);
    else i = j;
  }
  return out.join('');
}

/**
 * For each definition line, the line where the braces opened on or after it close again; an arrow
 * with an expression body ends where its statement does (`;`). Strings, template literals and
 * comments are skipped roughly (no regex literals), which suffices for function-sized snippets.
 * One pass over the text matches every brace.
 */
function braceEnds(lines: readonly string[], defLines: readonly number[]): (number | undefined)[] {
  const opens: { line: number; close?: number }[] = [];
  const stack: number[] = [];
  let inBlockComment = false;
  let quote: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    for (let k = 0; k < l.length; k++) {
      const c = l[k];
      if (inBlockComment) {
        if (c === '*' && l[k + 1] === '/') {
          inBlockComment = false;
          k++;
        }
        continue;
      }
      if (quote) {
        if (c === '\\') k++;
        else if (c === quote) quote = undefined;
        continue;
      }
      if (c === '/' && l[k + 1] === '/') break;
      if (c === '/' && l[k + 1] === '*') {
        inBlockComment = true;
        k++;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '{') {
        stack.push(opens.length);
        opens.push({ line: i });
      } else if (c === '}') {
        const o = stack.pop();
        if (o !== undefined) opens[o].close = i;
      }
    }
    // Single- and double-quoted strings end with their line; template literals do not.
    if (quote !== '`') quote = undefined;
  }
  // Per line: the first brace opened on it or later, and the first later line ending a statement.
  const firstOpen: number[] = new Array<number>(lines.length + 1).fill(-1);
  for (let o = opens.length - 1, i = lines.length - 1; i >= 0; i--) {
    firstOpen[i] = firstOpen[i + 1];
    while (o >= 0 && opens[o].line >= i) firstOpen[i] = o--;
  }
  const endsStatement = lines.map((l) => l.trimEnd().endsWith(';'));
  const nextStatementEnd: number[] = new Array<number>(lines.length + 1).fill(-1);
  for (let i = lines.length - 1; i >= 0; i--) nextStatementEnd[i] = endsStatement[i] ? i : nextStatementEnd[i + 1];
  return defLines.map((line) => {
    const o = firstOpen[line];
    const openLine = o >= 0 ? opens[o].line : lines.length;
    if (openLine > line && endsStatement[line] && arrowWithExpressionBody(lines[line])) return line;
    const semi = nextStatementEnd[line + 1] ?? -1;
    if (semi >= 0 && semi < openLine) return semi;
    return o >= 0 ? opens[o].close : undefined;
  });
}

/** `=>` followed by something other than `{` on the line. */
function arrowWithExpressionBody(line: string): boolean {
  for (let at = line.indexOf('=>'); at >= 0; at = line.indexOf('=>', at + 2)) {
    let k = at + 2;
    while (k < line.length && (line[k] === ' ' || line[k] === '\t')) k++;
    if (k < line.length && line[k] !== '{') return true;
  }
  return false;
}

/** The simple name a qualified target is defined under: `Cart.total` -> `total`. */
export function simpleNameOf(qualifiedName: string): string {
  const parts = qualifiedName.replace(/\.<locals>/g, '').split('.');
  return parts[parts.length - 1];
}

/** Whether the name could be written in a definition (not `default`, `<anonymous>`, `<lambda>`). */
export function isNameable(name: string): boolean {
  return /^[A-Za-z_$#][\w$]*$/.test(name) && name !== 'default';
}
