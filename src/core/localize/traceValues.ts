// Reading recorded values back, for the value evidence of the suspicion ranking: a tracer's rendered
// value (`[1, 2]`, `'ab'`, `True`, `null`, `{'a': 1}`; Python's and JavaScript's renderings) as a
// plain value, and the little expressions of branch and loop conditions (`lo <= hi`, `i < len(xs) - 1`,
// `s.length > maxlen`, `x[i + 1] >= t`) evaluated over a step's variables. Conservative: a value cut
// short by the renderer (`…`), an object, or an expression with a call other than len/abs is
// unknown, never guessed. Pure.

import type { TraceValue, TraceVars } from '../trace/traceModel';

export type Plain = number | string | boolean | null | readonly Plain[] | { readonly [key: string]: Plain };

/** A rendered value as a plain one, or undefined when it cannot be known from its rendering. */
export function plainOf(value: TraceValue | undefined): Plain | undefined {
  if (!value || value.text.includes('…')) return undefined;
  return parsePlain(value.text);
}

/** Parses the text of a rendered value or of a literal in a test's assertion. */
export function parsePlain(text: string): Plain | undefined {
  const p = new ValueParser(text.trim());
  try {
    const v = p.value();
    p.skipSpace();
    return p.atEnd() ? v : undefined;
  } catch {
    return undefined;
  }
}

class ValueParser {
  private i = 0;
  constructor(private readonly s: string) {}
  atEnd(): boolean {
    return this.i >= this.s.length;
  }
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  private fail(): never {
    throw new Error('not a plain value');
  }
  private eat(c: string): boolean {
    this.skipSpace();
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  value(): Plain {
    this.skipSpace();
    const c = this.s[this.i];
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')');
    if (c === '{') return this.mapping();
    if (c === "'" || c === '"' || c === '`') return this.string(c);
    const word = /^(?:-?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)n?|-?inf|-?Infinity|nan|NaN|True|False|true|false|None|null|undefined)/.exec(this.s.slice(this.i));
    if (!word) this.fail();
    this.i += word[0].length;
    const w = word[0];
    if (w === 'True' || w === 'true') return true;
    if (w === 'False' || w === 'false') return false;
    if (w === 'None' || w === 'null' || w === 'undefined') return null;
    if (/inf|Infinity/.test(w)) return w.startsWith('-') ? -Infinity : Infinity;
    if (/nan|NaN/.test(w)) return NaN;
    return Number(w.replace(/n$/, ''));
  }
  private sequence(close: string): Plain[] {
    this.i++;
    const out: Plain[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.value());
      if (this.eat(close)) return out;
      if (!this.eat(',')) this.fail();
      if (this.eat(close)) return out; // (1,)
    }
  }
  private mapping(): Record<string, Plain> {
    this.i++;
    const out: Record<string, Plain> = {};
    if (this.eat('}')) return out;
    for (;;) {
      this.skipSpace();
      const key = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.i));
      let k: Plain;
      if (key && this.s[this.i + key[0].length] === ':') {
        this.i += key[0].length;
        k = key[0];
      } else k = this.value();
      if (!this.eat(':')) this.fail();
      out[typeof k === 'string' ? k : JSON.stringify(k)] = this.value();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail();
    }
  }
  private string(quote: string): string {
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i]!;
      if (c === quote) {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const n = this.s[++this.i];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : (n ?? '');
      } else out += c;
    }
    this.fail();
  }
}

/** Structural equality of plain values (NaN equals NaN; lists and tuples alike). */
export function plainEqual(a: Plain | undefined, b: Plain | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => plainEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return plainEqual(ka, kb) && ka.every((k) => plainEqual((a as Record<string, Plain>)[k], (b as Record<string, Plain>)[k]));
  }
  return a === b;
}

// ---- condition expressions

/** A condition's expression, as far as the evaluator reads one. */
export type ConditionNode =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'name'; readonly v: string }
  | { readonly t: 'len'; readonly of: ConditionNode }
  | { readonly t: 'abs'; readonly of: ConditionNode }
  | { readonly t: 'index'; readonly of: ConditionNode; readonly at: ConditionNode }
  | { readonly t: 'neg'; readonly of: ConditionNode }
  | { readonly t: 'not'; readonly of: ConditionNode }
  | { readonly t: 'bin'; readonly op: string; readonly l: ConditionNode; readonly r: ConditionNode };

/** One comparison of a condition, at the place where `<` and `<=` (or `>` and `>=`) differ. */
export interface Comparison {
  readonly op: '<' | '<=' | '>' | '>=';
  readonly left: ConditionNode;
  readonly right: ConditionNode;
  /** The comparison's text, for reasons: `i < len(xs) - 1`. */
  readonly text: string;
}

const tokenPattern = /\s*(\d+\.\d*|\d*\.\d+|\d+|[A-Za-z_$][\w$]*|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|===|!==|==|!=|<=|>=|\*\*|\/\/|&&|\|\||[-+*/%<>()[\].,!])/y;

/** The tokens, and where each one ends in the text (for the comparisons' own text). */
function tokenize(text: string): { tokens: string[]; ends: number[] } | undefined {
  const tokens: string[] = [];
  const ends: number[] = [];
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    tokenPattern.lastIndex = at;
    const m = tokenPattern.exec(text);
    if (!m) return undefined;
    tokens.push(m[1]!);
    at = tokenPattern.lastIndex;
    ends.push(at);
  }
  return { tokens, ends };
}

const binaryPower: Record<string, number> = {
  or: 1, '||': 1, and: 2, '&&': 2,
  '<': 4, '<=': 4, '>': 4, '>=': 4, '==': 4, '!=': 4, '===': 4, '!==': 4,
  '+': 5, '-': 5, '*': 6, '/': 6, '//': 6, '%': 6, '**': 7,
};

/** The condition's expression (a header's text: `while lo <= hi:`, `if (s.length > n)`, `for (...; i < n; ...)`). */
export function conditionOf(headerText: string): string | undefined {
  let t = headerText.trim().replace(/:\s*$/, '');
  const forParts = /^for\s*\((.*)\)\s*\{?$/s.exec(t);
  if (forParts) {
    const parts = forParts[1]!.split(';');
    return parts.length === 3 ? parts[1]!.trim() || undefined : undefined;
  }
  const m = /^(?:\}\s*)?(?:else\s+)?(?:if|elif|while|else\s+if)\b\s*(.*)$/s.exec(t);
  if (!m) return undefined;
  t = m[1]!.trim().replace(/\{\s*$/, '').trim();
  return t || undefined;
}

/** The comparisons in a condition whose sides can be evaluated; empty when it cannot be read. */
export function comparisonsIn(condition: string): Comparison[] {
  return parseCondition(condition)?.comparisons ?? [];
}

/** A condition's whole expression, and its comparisons where `<` and `<=` differ; undefined when it cannot be read. */
export function parseCondition(condition: string): { readonly root: ConditionNode; readonly comparisons: Comparison[] } | undefined {
  const tokenized = tokenize(condition);
  if (!tokenized) return undefined;
  const { tokens, ends } = tokenized;
  const textOf = (from: number, to: number) => condition.slice(from === 0 ? 0 : ends[from - 1], ends[to - 1]).trim();
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t}`);
  };
  const comparisons: { op: Comparison['op']; left: ConditionNode; right: ConditionNode; from: number; to: number }[] = [];
  const equalities: string[] = [];
  const primary = (): ConditionNode => {
    const t = next();
    if (t === undefined) throw new Error('end');
    if (t === '(') {
      const e = expr(0);
      expect(')');
      return postfix(e);
    }
    if (t === '-') return { t: 'neg', of: expr(8) };
    if (t === 'not' || t === '!') return { t: 'not', of: expr(3) };
    if (/^\d|^\.\d/.test(t)) return postfix({ t: 'num', v: Number(t) });
    if (/^['"]/.test(t)) return postfix({ t: 'str', v: parsePlain(t) as string });
    if ((t === 'len' || t === 'abs') && peek() === '(') {
      next();
      const of = expr(0);
      expect(')');
      return postfix(t === 'len' ? { t: 'len', of } : { t: 'abs', of });
    }
    if (t === 'Math' && peek() === '.' && tokens[pos + 1] === 'abs' && tokens[pos + 2] === '(') {
      pos += 3;
      const of = expr(0);
      expect(')');
      return postfix({ t: 'abs', of });
    }
    if (/^[A-Za-z_$]/.test(t) && !(t in binaryPower)) return postfix({ t: 'name', v: t });
    throw new Error(`unexpected ${t}`);
  };
  const postfix = (n: ConditionNode): ConditionNode => {
    for (;;) {
      if (peek() === '[') {
        next();
        const at = expr(0);
        expect(']');
        n = { t: 'index', of: n, at };
      } else if (peek() === '.' && (tokens[pos + 1] === 'length' || tokens[pos + 1] === 'size')) {
        pos += 2;
        n = { t: 'len', of: n };
      } else if (peek() === '.' && /^[A-Za-z_$]/.test(tokens[pos + 1] ?? '') && tokens[pos + 2] !== '(') {
        // A field (`order.total`): read from the rendered object like a key.
        n = { t: 'index', of: n, at: { t: 'str', v: tokens[pos + 1]! } };
        pos += 2;
      } else return n;
    }
  };
  const expr = (min: number): ConditionNode => {
    const from = pos;
    let left = primary();
    for (;;) {
      const op = peek();
      const power = op !== undefined ? binaryPower[op] : undefined;
      if (power === undefined || power <= min) return left;
      next();
      const right = expr(op === '**' ? power - 1 : power);
      if (op === '<' || op === '<=' || op === '>' || op === '>=') comparisons.push({ op, left, right, from, to: pos });
      if (op === '==' || op === '===') equalities.push(sideKey(left, right), sideKey(right, left));
      left = { t: 'bin', op: op!, l: left, r: right };
    }
  };
  let root: ConditionNode;
  try {
    root = expr(0);
    if (pos !== tokens.length) return undefined;
  } catch {
    return undefined;
  }
  // `p > s || (p == s && ...)`: equality is a case of its own there, not a boundary.
  return {
    root,
    comparisons: comparisons
      .filter((c) => !equalities.includes(sideKey(c.left, c.right)))
      .map((c) => ({ op: c.op, left: c.left, right: c.right, text: textOf(c.from, c.to) })),
  };
}

const connectiveOps = new Set(['and', 'or', '&&', '||']);

/** The `and` / `or` (`&&` / `||`) nodes of a condition, outermost first. */
export function connectivesIn(node: ConditionNode): Extract<ConditionNode, { t: 'bin' }>[] {
  if (node.t === 'bin') return [...(connectiveOps.has(node.op) ? [node] : []), ...connectivesIn(node.l), ...connectivesIn(node.r)];
  if (node.t === 'not' || node.t === 'neg' || node.t === 'len' || node.t === 'abs') return connectivesIn(node.of);
  return [];
}

/**
 * The truth of a condition over a step's variables: comparisons, equalities, not, and/or, and a
 * name holding a boolean; undefined when any part is unknown (no truthiness is guessed).
 */
export function truthOf(node: ConditionNode, vars: TraceVars): boolean | undefined {
  if (node.t === 'not') {
    const v = truthOf(node.of, vars);
    return v === undefined ? undefined : !v;
  }
  if (node.t !== 'bin') {
    const v = evaluate(node, vars);
    return typeof v === 'boolean' ? v : undefined;
  }
  if (connectiveOps.has(node.op)) {
    const l = truthOf(node.l, vars);
    const r = truthOf(node.r, vars);
    if (l === undefined || r === undefined) return undefined;
    return node.op === 'and' || node.op === '&&' ? l && r : l || r;
  }
  const l = evaluate(node.l, vars);
  const r = evaluate(node.r, vars);
  if (l === undefined || r === undefined) return undefined;
  switch (node.op) {
    case '==':
    case '===':
      return plainEqual(l, r);
    case '!=':
    case '!==':
      return !plainEqual(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (!((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string'))) return undefined;
      return node.op === '<' ? l < r : node.op === '<=' ? l <= r : node.op === '>' ? l > r : l >= r;
    default:
      return undefined;
  }
}

const sideKey = (l: ConditionNode, r: ConditionNode) => `${JSON.stringify(l)} ${JSON.stringify(r)}`;

/** The value of an expression over a step's variables; undefined when any part is unknown. */
export function evaluate(node: ConditionNode, vars: TraceVars): Plain | undefined {
  switch (node.t) {
    case 'num':
    case 'str':
      return node.v;
    case 'name': {
      const v = vars[node.v];
      if (!v) return undefined;
      if ((v.type === 'list' || v.type === 'str' || v.type === 'string' || v.type === 'Array' || v.type === 'tuple' || v.type === 'dict') && v.text.includes('…')) {
        // Only the length of a cut value is known.
        return v.length !== undefined ? { __length: v.length } : undefined;
      }
      return plainOf(v);
    }
    case 'len': {
      const of = evaluate(node.of, vars);
      if (typeof of === 'string' || Array.isArray(of)) return of.length;
      if (of && typeof of === 'object' && '__length' in of) return (of as { __length: number }).__length;
      if (of && typeof of === 'object') return Object.keys(of).length;
      return undefined;
    }
    case 'abs': {
      const of = evaluate(node.of, vars);
      return typeof of === 'number' ? Math.abs(of) : undefined;
    }
    case 'index': {
      const of = evaluate(node.of, vars);
      const at = evaluate(node.at, vars);
      if ((Array.isArray(of) || typeof of === 'string') && typeof at === 'number' && Number.isInteger(at)) {
        const i = at < 0 ? of.length + at : at;
        return i >= 0 && i < of.length ? of[i] : undefined;
      }
      if (of && typeof of === 'object' && !Array.isArray(of) && (typeof at === 'string' || typeof at === 'number')) return (of as Record<string, Plain>)[String(at)];
      return undefined;
    }
    case 'neg': {
      const v = evaluate(node.of, vars);
      return typeof v === 'number' ? -v : undefined;
    }
    case 'not':
      return undefined;
    case 'bin': {
      const l = evaluate(node.l, vars);
      const r = evaluate(node.r, vars);
      if (typeof l !== 'number' || typeof r !== 'number') return undefined;
      switch (node.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return l / r;
        case '//':
          return Math.floor(l / r);
        case '%':
          // JavaScript's sign; Python's differs only for negative operands.
          return l % r;
        case '**':
          return l ** r;
        default:
          return undefined;
      }
    }
  }
}
