// A failing jest/vitest/node:test test's own source: the `test(...)`/`it(...)` call inside its
// `describe` chain (its hooks and small suite-level code kept, other tests and suites marked as
// left out), with the file's hooks and the top-level helpers and constants it uses.

import { leadingStartLine } from './sourceSpans';
import { childrenOf, field, isComment, namedChildrenOf, type SyntaxNode } from './syntaxNode';
import { choose, containsLine, indentOf, membersAround, renderPieces, rows, type ExtractedTest, type ExtractOptions, type Piece, type TestIdentity } from './testSourceParts';

const jsTestNames = new Set(['test', 'it', 'specify']);
const jsSuiteNames = new Set(['describe', 'suite', 'context']);
const jsHookNames = new Set(['beforeEach', 'beforeAll', 'before', 'afterEach', 'afterAll', 'after']);
const jsModifiers = new Set(['only', 'skip', 'todo', 'concurrent', 'sequential', 'failing', 'fails', 'each', 'skipIf', 'runIf', 'serial', 'shuffle']);

interface JsCall {
  readonly node: SyntaxNode;
  readonly kind: 'test' | 'suite' | 'hook';
  /** The literal name, or a pattern for templated names (`test.each`, `${x}`). */
  readonly name?: string | RegExp;
  /** The callback's body. */
  readonly body?: SyntaxNode;
}

/** `test(...)`, `it.only(...)`, `test.each(table)(...)`, `describe.skip(...)`, `t.test(...)`, hooks. */
function jsCallOf(call: SyntaxNode): JsCall | undefined {
  let fn = field(call, 'function');
  if (fn?.type === 'call_expression') fn = field(fn, 'function'); // test.each(table)('name', fn)
  let base: string | undefined;
  while (fn?.type === 'member_expression') {
    const object = field(fn, 'object');
    const property = field(fn, 'property')?.text ?? '';
    if (object?.type === 'identifier' && !jsModifiers.has(property) && (jsTestNames.has(property) || jsSuiteNames.has(property))) {
      base = property; // t.test(...), test.describe(...)
      break;
    }
    if (!jsModifiers.has(property)) return undefined;
    fn = object;
  }
  base ??= fn?.type === 'identifier' ? fn.text : undefined;
  if (!base) return undefined;
  const kind = jsTestNames.has(base) ? 'test' : jsSuiteNames.has(base) ? 'suite' : jsHookNames.has(base) ? 'hook' : undefined;
  if (!kind) return undefined;
  const args = namedChildrenOf(field(call, 'arguments') ?? call).filter((a) => !isComment(a));
  const callback = [...args].reverse().find((a) => a.type === 'arrow_function' || a.type === 'function_expression' || a.type === 'function');
  const body = callback ? field(callback, 'body') : undefined;
  if (kind === 'hook') return { node: call, kind, body };
  const name = args[0] ? jsName(args[0]) : undefined;
  return name === undefined ? undefined : { node: call, kind, name, body };
}

function jsName(node: SyntaxNode): string | RegExp | undefined {
  if (node.type === 'string') return unescapeJs(node.text.slice(1, -1));
  if (node.type !== 'template_string') return undefined;
  const parts = childrenOf(node).filter((c) => c.type !== '`');
  if (parts.every((p) => p.type === 'string_fragment' || p.type === 'escape_sequence')) return unescapeJs(node.text.slice(1, -1));
  return new RegExp(`^${parts.map((p) => (p.type === 'template_substitution' ? '.*' : escapeRegExp(unescapeJs(p.text)))).join('')}$`, 's');
}

function unescapeJs(text: string): string {
  return text.replace(/\\(?:n|t|r|(.))/g, (m, c: string | undefined) => (c !== undefined ? c : m === '\\n' ? '\n' : m === '\\t' ? '\t' : '\r'));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** jest/vitest `each` titles: `%s`, `%i`, `$a`, `$0`, `%#` match anything. */
function titlePattern(name: string | RegExp): RegExp | undefined {
  if (name instanceof RegExp) return name;
  if (!/%[sdifjopc#$]|\$[\w#]/.test(name)) return undefined;
  const source = name.split(/(%[sdifjopc#$%]|\$[\w#]+(?:\.[\w]+)*)/).map((part, i) => (i % 2 ? (part === '%%' ? '%' : '.*') : escapeRegExp(part)));
  return new RegExp(`^${source.join('')}$`, 's');
}

function jsNameMatches(name: string | RegExp | undefined, wanted: string): boolean {
  if (name === undefined) return false;
  if (typeof name === 'string' && name === wanted) return true;
  return titlePattern(name)?.test(wanted) ?? false;
}

/** The statement a call stands in (`test(...);`), or the call itself. */
function statementOf(call: SyntaxNode): SyntaxNode {
  let at = call;
  while (at.parent && (at.parent.type === 'expression_statement' || at.parent.type === 'await_expression')) at = at.parent;
  return at;
}

export function extractJs(root: SyntaxNode, text: string, lines: readonly string[], test: TestIdentity, opts: ExtractOptions): ExtractedTest | undefined {
  const calls = new Map<number, JsCall>();
  for (const node of root.descendantsOfType(['call_expression'])) {
    if (!node) continue;
    const c = jsCallOf(node);
    if (c) calls.set(node.id, c);
  }
  const suitesOf = (node: SyntaxNode): JsCall[] => {
    const out: JsCall[] = [];
    for (let p = node.parent; p; p = p.parent) {
      const c = calls.get(p.id);
      if (c?.kind === 'suite') out.unshift(c);
    }
    return out;
  };
  const tests = [...calls.values()].filter((c) => c.kind === 'test').map((c) => ({ ...c, suites: suitesOf(c.node).map((s) => (typeof s.name === 'string' ? s.name : '')) }));
  let chosen = choose(
    tests.filter((t) => jsNameMatches(t.name, test.name)),
    test,
  );
  // No test by that name (a generated title, a name the runner rewrote): the test at its line.
  chosen ??= tests.filter((t) => containsLine(t.node, test.line)).sort((a, b) => b.node.startIndex - a.node.startIndex)[0];
  if (!chosen) return undefined;

  const statement = statementOf(chosen.node);
  const first = leadingStartLine(statement, text) - 1;
  const last = statement.endPosition.row;
  const chain = suitesOf(chosen.node);
  const out: string[] = [];
  const hookNodes: SyntaxNode[] = [];

  // Each suite: its opening lines, its hooks, the next suite or the test, its closing lines.
  const body: string[] = [];
  const open: string[][] = [];
  const close: string[][] = [];
  let ok = true;
  let innerFirst = first;
  let innerLast = last;
  for (let i = chain.length - 1; i >= 0; i--) {
    const suite = chain[i];
    const suiteStatement = statementOf(suite.node);
    const block = suite.body;
    if (!block || block.startPosition.row >= innerFirst || block.endPosition.row <= innerLast) {
      ok = false; // a one-line suite or test: show the outermost suite whole instead
      break;
    }
    const members = namedChildrenOf(block).filter((s) => !isComment(s));
    const kindOf = (s: SyntaxNode) => {
      const call = s.type === 'expression_statement' ? namedChildrenOf(s)[0] : undefined;
      return call ? calls.get(call.id)?.kind : undefined;
    };
    const hooks = members.filter((s) => kindOf(s) === 'hook');
    hookNodes.push(...hooks);
    const inner = members.find((s) => s.startIndex <= chosen!.node.startIndex && s.endIndex >= chosen!.node.endIndex);
    // The suite's own code (hooks, `let cart`, small helpers) stays; other tests and suites are left out.
    const keep = (m: SyntaxNode) => kindOf(m) === 'hook' || (!kindOf(m) && m.endPosition.row - m.startPosition.row < opts.maxHelperLines);
    for (const m of members) if (keep(m) && kindOf(m) !== 'hook') hookNodes.push(m);
    const indent = indentOf(lines[innerFirst] ?? '');
    const around = membersAround(members, inner, keep, lines, text, `${indent}//`, (skipped) => describeLeftOut(skipped, kindOf));
    const head = rows(lines, leadingStartLine(suiteStatement, text) - 1, block.startPosition.row);
    open.unshift([...head, ...around.before]);
    close.push([...around.after, ...rows(lines, block.endPosition.row, suiteStatement.endPosition.row)]);
    innerFirst = leadingStartLine(suiteStatement, text) - 1;
    innerLast = suiteStatement.endPosition.row;
  }
  if (ok) body.push(...open.flat(), ...rows(lines, first, last), ...close.flat());
  else {
    const outer = statementOf(chain[0].node);
    body.push(...rows(lines, leadingStartLine(outer, text) - 1, outer.endPosition.row));
  }

  // Hooks of the file itself, and the helpers and constants the test, its hooks and its suites use.
  const program = namedChildrenOf(root);
  const topHooks = program.filter((s) => {
    const call = s.type === 'expression_statement' ? namedChildrenOf(s)[0] : undefined;
    return call && calls.get(call.id)?.kind === 'hook';
  });
  const names = new Set<string>();
  for (const n of [chosen.node, ...hookNodes, ...topHooks]) for (const id of n.descendantsOfType(['identifier', 'shorthand_property_identifier'])) if (id) names.add(id.text);
  const declared = jsTopLevelDeclarations(program);
  const pieces: Piece[] = [];
  for (const d of declared) {
    if (pieces.length >= opts.maxHelpers || !d.names.some((n) => names.has(n)) || d.names.some((n) => opts.exclude.has(n))) continue;
    const from = leadingStartLine(d.node, text) - 1;
    if (d.node.endPosition.row - from + 1 > opts.maxHelperLines) continue;
    pieces.push({ name: d.names[0], first: from, last: d.node.endPosition.row });
  }
  for (const h of topHooks) pieces.push({ name: 'hook', first: leadingStartLine(h, text) - 1, last: h.endPosition.row });
  out.push(...renderPieces(pieces, lines, '//'), ...body);
  return {
    text: out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd(),
    testText: rows(lines, first, last).join('\n'),
    startLine: first + 1,
    endLine: last + 1,
    helpers: pieces.filter((p) => p.name !== 'hook').map((p) => p.name),
  };
}

function describeLeftOut(statements: readonly SyntaxNode[], kindOf: (s: SyntaxNode) => JsCall['kind'] | undefined): string {
  const tests = statements.filter((s) => kindOf(s) === 'test').length;
  const suites = statements.filter((s) => kindOf(s) === 'suite').length;
  const parts = [tests ? `${tests} other test${tests === 1 ? '' : 's'}` : '', suites ? `${suites} other suite${suites === 1 ? '' : 's'}` : ''].filter(Boolean);
  return `${parts.join(', ') || 'other code'} left out`;
}

/** Functions, classes and variables declared at the top of a module (not `require`/`import`s). */
function jsTopLevelDeclarations(program: readonly SyntaxNode[]): { node: SyntaxNode; names: string[] }[] {
  const out: { node: SyntaxNode; names: string[] }[] = [];
  for (const statement of program) {
    const decl = statement.type === 'export_statement' ? (field(statement, 'declaration') ?? statement) : statement;
    if (decl.type === 'function_declaration' || decl.type === 'generator_function_declaration' || decl.type === 'class_declaration') {
      const name = field(decl, 'name')?.text;
      if (name) out.push({ node: statement, names: [name] });
    } else if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
      const declarators = namedChildrenOf(decl).filter((d) => d.type === 'variable_declarator');
      const values = declarators.map((d) => field(d, 'value'));
      if (values.some((v) => v && isImportLike(v))) continue;
      const names = declarators.flatMap((d) => {
        const n = field(d, 'name');
        return n?.type === 'identifier' ? [n.text] : [];
      });
      if (names.length) out.push({ node: statement, names });
    }
  }
  return out;
}

function isImportLike(value: SyntaxNode): boolean {
  let v = value;
  while (v.type === 'await_expression' || v.type === 'member_expression') v = namedChildrenOf(v)[0] ?? v;
  if (v.type !== 'call_expression') return false;
  const fn = field(v, 'function');
  return fn?.type === 'import' || fn?.text === 'require';
}
