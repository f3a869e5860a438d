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

const pythonDef = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;
const pythonClass = /^(\s*)class\s+([A-Za-z_]\w*)\s*[(:]/;
const jsKeywords = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'with', 'else', 'do', 'try', 'new', 'typeof', 'await', 'yield', 'super', 'constructor']);
const jsPatterns: readonly RegExp[] = [
  // function declarations and expressions with a name
  /^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/,
  // const f = (...) => / function / async ...
  /^(\s*)(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>|<)/,
  // obj.f = function / module.exports.f = (...) =>
  /^(\s*)(?:[A-Za-z_$][\w$]*\.)+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/,
  // methods and object members: name(...) {, async name(...) {, static name<T>(...): T {
  /^(\s*)(?:(?:public|private|protected|static|async|readonly|override|get|set)\s+)*\*?\s*([A-Za-z_$#][\w$]*)\s*(?:<[^>]*>)?\s*\([^)]*\)\s*(?::\s*[^{=]+)?\{\s*$/,
  // class fields holding arrows: name = (...) =>
  /^(\s*)(?:(?:public|private|protected|static|readonly)\s+)*([A-Za-z_$#][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?\([^)]*\)\s*(?::\s*[^=]+)?=>/,
  // object members holding functions: name: function / name: (...) =>
  /^(\s*)([A-Za-z_$][\w$]*)\s*:\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*=>)/,
];
const jsClass = /^(\s*)(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/;

/** The definition a line starts, if any. */
function definitionAt(line: string, family: CodeFamily): { name: string; indent: string; kind: 'function' | 'class' } | undefined {
  if (family === 'python') {
    const def = pythonDef.exec(line);
    if (def) return { indent: def[1], name: def[2], kind: 'function' };
    const cls = pythonClass.exec(line);
    return cls ? { indent: cls[1], name: cls[2], kind: 'class' } : undefined;
  }
  const cls = jsClass.exec(line);
  if (cls) return { indent: cls[1], name: cls[2], kind: 'class' };
  for (const pattern of jsPatterns) {
    const m = pattern.exec(line);
    if (m && !jsKeywords.has(m[2])) return { indent: m[1], name: m[2], kind: 'function' };
  }
  return undefined;
}

/** Every function and class definition in `code` (LF text), outer before inner. */
export function findDefinitions(code: string, family: CodeFamily): Definition[] {
  const lines = code.split('\n');
  const found: Definition[] = [];
  for (let i = 0; i < lines.length; i++) {
    const def = definitionAt(lines[i], family);
    if (!def) continue;
    const end = family === 'python' ? pythonEnd(lines, i, def.indent) : braceEnd(lines, i);
    if (end === undefined) continue;
    found.push({ ...def, line: i, start: leadingStart(lines, i, def.indent, family), end });
  }
  return found;
}

/** Decorators and comments directly above a definition belong to it. */
function leadingStart(lines: readonly string[], line: number, indent: string, family: CodeFamily): number {
  let start = line;
  for (let j = line - 1; j >= 0; j--) {
    const l = lines[j];
    if (!l.startsWith(indent) || /^\s/.test(l.slice(indent.length))) break;
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

/** The last line of a Python definition: before the next non-blank line indented no deeper than it. */
function pythonEnd(lines: readonly string[], line: number, indent: string): number {
  const base = widthOf(indent);
  // The signature may span lines: skip to the line ending with ':' at bracket depth 0.
  let i = line;
  let depth = 0;
  for (; i < lines.length; i++) {
    for (const c of stripPythonStrings(lines[i])) {
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) depth--;
    }
    if (depth <= 0 && /:\s*(#.*)?$/.test(lines[i])) break;
    // `def f(x): return x` on one line
    if (depth <= 0 && /:\s*\S/.test(lines[i]) && i === line) return line;
  }
  let end = Math.min(i, lines.length - 1);
  let inString: string | undefined;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j];
    if (inString) {
      if (countOccurrences(l, inString) % 2 === 1) inString = undefined;
      end = j;
      continue;
    }
    if (l.trim() === '') continue;
    const ws = /^\s*/.exec(l)![0];
    // Closing brackets of a multi-line expression may sit at the def's own indentation.
    if (widthOf(ws) <= base && !/^\s*[)\]}]/.test(l)) break;
    end = j;
    for (const q of ['"""', "'''"]) if (countOccurrences(l, q) % 2 === 1) inString = q;
  }
  return end;
}

function countOccurrences(s: string, sub: string): number {
  return s.split(sub).length - 1;
}

function stripPythonStrings(line: string): string {
  return line.replace(/#.*$/, '').replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '');
}

/**
 * The line where the braces opened on or after `line` close again. Strings, template literals and
 * comments are skipped roughly (no regex literals), which suffices for function-sized snippets.
 */
function braceEnd(lines: readonly string[], line: number): number | undefined {
  let depth = 0;
  let opened = false;
  let inBlockComment = false;
  let quote: string | undefined;
  for (let i = line; i < lines.length; i++) {
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
        depth++;
        opened = true;
      } else if (c === '}') {
        depth--;
        if (opened && depth === 0) return i;
      }
    }
    // Single- and double-quoted strings end with their line; template literals do not.
    if (quote !== '`') quote = undefined;
    // An arrow with an expression body ends where its statement does.
    if (!opened && i > line && /;\s*$/.test(l)) return i;
    if (!opened && i === line && /=>\s*[^{\s]/.test(l) && /;\s*$/.test(l)) return i;
  }
  return undefined;
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
