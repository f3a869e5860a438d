// A rough, text-level def-use view of blocks: which names a block writes and which it reads. Good
// enough to ask "which blocks produced the value the function handed back?" without a parser pass;
// over-approximates (a name written in a comprehension counts) and never runs anything.

const keywords = new Set(
  (
    'return if else elif for while in not and or is None True False def lambda yield import from as with try except finally raise ' +
    'break continue pass del global nonlocal assert await async class ' +
    'const let var function new typeof instanceof this null undefined true false switch case default throw catch of do void delete'
  ).split(' '),
);

const identifier = /[A-Za-z_$][\w$]*/g;

/** Strips strings and comments so their words are not taken for names. */
function codeOnly(text: string): string {
  return text
    .replace(/("""|''')[\s\S]*?\1/g, '""')
    .replace(/"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`/g, '""')
    .replace(/#.*$|\/\/.*$/gm, '');
}

/** Names a block assigns, augments, subscripts into, mutates through a method, or binds in a loop. */
export function namesWritten(text: string): Set<string> {
  const code = codeOnly(text);
  const out = new Set<string>();
  const add = (list: string) => {
    for (const name of list.split(/[,\s()[\]]+/)) if (/^[A-Za-z_$][\w$]*$/.test(name) && !keywords.has(name)) out.add(name);
  };
  // x = ..., a, b = ..., x[i] = ..., x += ..., x.y = ... (not ==, <=, >=, !=)
  for (const m of code.matchAll(/^[ \t]*(?:(?:let|const|var)\s+)?([A-Za-z_$][\w$]*(?:\s*,\s*[A-Za-z_$][\w$]*)*)\s*(?:\[[^\]\n]*\]|\.[A-Za-z_$][\w$]*)*\s*(?:[-+*/%&|^@]|\*\*|\/\/|<<|>>)?=(?!=)/gm)) add(m[1]!);
  for (const m of code.matchAll(/\b([A-Za-z_$][\w$]*)\.(?:append|extend|insert|pop|popleft|appendleft|add|remove|discard|update|clear|sort|reverse|push|shift|unshift|splice|set|delete)\s*\(/g)) add(m[1]!);
  for (const m of code.matchAll(/^[ \t]*(?:async\s+)?for\s*\(?\s*(?:(?:let|const|var)\s+)?([\w$,\s()[\]]+?)\s+(?:in|of)\b/gm)) add(m[1]!);
  // JavaScript: i++, --n, and a for header's own counter (`for (let i = 0; ...; i++)`).
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*)\s*(?:\+\+|--)|(?:\+\+|--)\s*([A-Za-z_$][\w$]*)/g)) add(m[1] ?? m[2]!);
  for (const m of code.matchAll(/\bfor\s*\(\s*(?:(?:let|var)\s+)?([A-Za-z_$][\w$]*)\s*=(?!=)/g)) add(m[1]!);
  return out;
}

/** Names a block reads (every identifier that is not a keyword); over-approximate on purpose. */
export function namesRead(text: string): Set<string> {
  const code = codeOnly(text);
  const out = new Set<string>();
  for (const m of code.matchAll(identifier)) {
    const before = code[m.index! - 1];
    if (before === '.') continue; // an attribute, not a variable
    if (!keywords.has(m[0])) out.add(m[0]);
  }
  return out;
}

const literal = String.raw`(?:-?\d[\d_.eE]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|True|False|None|true|false|null|undefined|\[\s*\]|\{\s*\}|\(\s*\)|(?:set|dict|list|tuple)\(\s*\))`;
const constantLine = new RegExp(
  String.raw`^(?:(?:(?:let|const|var)\s+)?[A-Za-z_$][\w$]*(?:\s*,\s*[A-Za-z_$][\w$]*)*\s*=\s*(?:[A-Za-z_$][\w$]*\s*=\s*)*${literal}(?:\s*,\s*${literal})*|return(?:\s+${literal})?|else\s*:?|\}?\s*else\s*\{?|[{}]|pass|(?:from\s+\S+\s+)?import\s+.*)\s*;?$`,
);

/**
 * A block that only sets names to literals or returns one (`best = 0`, `out = []`, `return -1`):
 * it computes nothing from the inputs. Blank lines, comments and docstrings do not count.
 */
export function onlyConstants(text: string): boolean {
  const lines = codeOnly(text)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== '""');
  return lines.length > 0 && lines.every((l) => constantLine.test(l));
}
