// The failing test's own source, as the duck's prompt shows it: the test function (with its
// decorators) inside its `describe` chain or class, the hooks that run before it, and the short
// helpers, constants and pytest fixtures it uses from the same file (or a conftest.py), with the
// other tests left out and marked. Over the syntax tree (tree-sitter), never by regular
// expressions over the text, so strings, comments and template literals cannot confuse it.

import { familyOf, type SourceLanguage } from './languages';
import { leadingStartLine } from './sourceSpans';
import { childrenOf, field, isComment, namedChildrenOf, type SyntaxNode } from './syntaxNode';

/** Which test: a `TestFailure` or `TestCaseResult` has these. */
export interface TestIdentity {
  /** The test's own name (pytest: with its `[params]`, which are ignored here). */
  readonly name: string;
  /** Enclosing `describe` blocks or classes, outermost first. */
  readonly suitePath?: readonly string[];
  /** 1-based line of the test's definition, or a line inside it (0 or absent when unknown). */
  readonly line?: number;
}

/** Another parsed file whose pytest fixtures the test may use (a conftest.py). */
export interface FixtureSource {
  readonly root: SyntaxNode;
  readonly source: string;
  /** How the prompt names it, e.g. `tests/conftest.py`. */
  readonly label: string;
}

export interface TestSourceOptions {
  /** Helpers, constants and fixtures longer than this many lines are left out (default 30). */
  readonly maxHelperLines?: number;
  /** At most this many of them (default 4). */
  readonly maxHelpers?: number;
  /** Names never shown as helpers: the function under test, shown on its own. */
  readonly exclude?: readonly string[];
  /** conftest.py files above the test (pytest). */
  readonly fixtureSources?: readonly FixtureSource[];
}

export interface ExtractedTest {
  /** What the prompt shows: helpers and fixtures, then the test inside its suites, other code marked as left out. */
  readonly text: string;
  /** The test's own lines (decorators included), verbatim. */
  readonly testText: string;
  /** 1-based, inclusive: the test's own lines in its file. */
  readonly startLine: number;
  readonly endLine: number;
  /** Helpers, constants and fixtures shown, by name. */
  readonly helpers: readonly string[];
}

export function extractTestSource(root: SyntaxNode, source: string, language: SourceLanguage, test: TestIdentity, options: TestSourceOptions = {}): ExtractedTest | undefined {
  const text = source.replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  const opts = { maxHelperLines: options.maxHelperLines ?? 30, maxHelpers: options.maxHelpers ?? 4, exclude: new Set(options.exclude ?? []), fixtureSources: options.fixtureSources ?? [] };
  return familyOf(language) === 'python' ? extractPython(root, text, lines, test, opts) : extractJs(root, text, lines, test, opts);
}

interface Options {
  readonly maxHelperLines: number;
  readonly maxHelpers: number;
  readonly exclude: ReadonlySet<string>;
  readonly fixtureSources: readonly FixtureSource[];
}

/** A node's whole lines, verbatim: `first` and `last` are 0-based rows. */
function rows(lines: readonly string[], first: number, last: number): string[] {
  return lines.slice(first, last + 1);
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function containsLine(node: SyntaxNode, line: number | undefined): boolean {
  return !!line && node.startPosition.row + 1 <= line && line <= node.endPosition.row + 1;
}

function choose<T extends { node: SyntaxNode; suites: readonly string[] }>(candidates: readonly T[], test: TestIdentity): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  const wanted = test.suitePath ?? [];
  const score = (c: T) => (containsLine(c.node, test.line) ? 4 : 0) + (sameSuffix(c.suites, wanted) ? 2 : 0) + (c.suites.length === wanted.length ? 1 : 0);
  return [...candidates].sort((a, b) => score(b) - score(a))[0];
}

function sameSuffix(have: readonly string[], wanted: readonly string[]): boolean {
  if (!wanted.length) return have.length === 0;
  const tail = have.slice(-wanted.length);
  return tail.length === wanted.length && tail.every((s, i) => s === wanted[i]);
}

/** A helper, fixture or hook shown beside the test. */
interface Piece {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly label?: string;
  readonly lines?: readonly string[];
}

function renderPieces(pieces: readonly Piece[], lines: readonly string[], comment: string): string[] {
  const out: string[] = [];
  for (const p of [...pieces].sort((a, b) => (a.label ?? '').localeCompare(b.label ?? '') || a.first - b.first)) {
    if (p.label) out.push(`${comment} from ${p.label}`);
    out.push(...rows(p.lines ?? lines, p.first, p.last), '');
  }
  return out;
}

// ---------------------------------------------------------------- JavaScript, TypeScript, TSX

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

function extractJs(root: SyntaxNode, text: string, lines: readonly string[], test: TestIdentity, opts: Options): ExtractedTest | undefined {
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

/**
 * A suite's members around the one holding the test: those `keep` accepts verbatim, each run of
 * the others as one `… (what) left out` line.
 */
function membersAround(
  members: readonly SyntaxNode[],
  inner: SyntaxNode | undefined,
  keep: (m: SyntaxNode) => boolean,
  lines: readonly string[],
  text: string,
  marker: string,
  describe: (skipped: readonly SyntaxNode[]) => string,
  gap: readonly string[] = [],
): { before: string[]; after: string[] } {
  const before: string[] = [];
  const after: string[] = [];
  let out = before;
  let skipped: SyntaxNode[] = [];
  const flush = () => {
    if (skipped.length) out.push(`${marker} … (${describe(skipped)})`, ...gap);
    skipped = [];
  };
  for (const m of members) {
    if (m === inner) {
      flush();
      out = after;
    } else if (keep(m)) {
      flush();
      out.push(...rows(lines, leadingStartLine(m, text) - 1, m.endPosition.row), ...gap);
    } else skipped.push(m);
  }
  flush();
  return { before, after };
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

// ---------------------------------------------------------------- Python

const pythonHooks = new Set(['setup_method', 'setUp', 'setup_class', 'setUpClass', 'setup', 'setup_function', 'asyncSetUp']);
const pythonModuleHooks = new Set(['setup_module', 'setup_function', 'setUpModule']);

interface PyFunction {
  readonly node: SyntaxNode;
  /** The decorated definition when decorated, else the function. */
  readonly statement: SyntaxNode;
  readonly name: string;
  readonly suites: readonly string[];
  readonly classes: readonly SyntaxNode[];
}

function pyStatement(fn: SyntaxNode): SyntaxNode {
  return fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
}

function pyDecorators(statement: SyntaxNode): SyntaxNode[] {
  return statement.type === 'decorated_definition' ? childrenOf(statement).filter((c) => c.type === 'decorator') : [];
}

/** The fixture name of a `@pytest.fixture` / `@pytest.fixture(name="x")` / `@fixture` function, else undefined. */
function pyFixtureName(fn: SyntaxNode): string | undefined {
  const statement = pyStatement(fn);
  for (const d of pyDecorators(statement)) {
    const expr = namedChildrenOf(d)[0];
    const callee = expr?.type === 'call' ? field(expr, 'function') : expr;
    if (!callee || !/(^|\.)fixture$/.test(callee.text)) continue;
    const named = expr?.type === 'call' ? /\bname\s*=\s*["']([^"']+)["']/.exec(field(expr, 'arguments')?.text ?? '') : null;
    return named?.[1] ?? field(fn, 'name')?.text;
  }
  return undefined;
}

function pyFunctions(root: SyntaxNode): PyFunction[] {
  const out: PyFunction[] = [];
  for (const node of root.descendantsOfType(['function_definition'])) {
    if (!node) continue;
    const classes: SyntaxNode[] = [];
    let nested = false;
    for (let p = node.parent; p; p = p.parent) {
      if (p.type === 'class_definition') classes.unshift(p);
      if (p.type === 'function_definition') nested = true;
    }
    if (nested) continue;
    out.push({ node, statement: pyStatement(node), name: field(node, 'name')?.text ?? '', suites: classes.map((c) => field(c, 'name')?.text ?? ''), classes });
  }
  return out;
}

function pyParameters(fn: SyntaxNode): string[] {
  const params = field(fn, 'parameters');
  if (!params) return [];
  return namedChildrenOf(params).flatMap((p) => {
    const id = p.type === 'identifier' ? p : (field(p, 'name') ?? namedChildrenOf(p).find((c) => c.type === 'identifier'));
    return id && id.type === 'identifier' && id.text !== 'self' && id.text !== 'cls' ? [id.text] : [];
  });
}

function extractPython(root: SyntaxNode, text: string, lines: readonly string[], test: TestIdentity, opts: Options): ExtractedTest | undefined {
  const functions = pyFunctions(root);
  const bare = test.name.replace(/\[[\s\S]*\]$/, '');
  let chosen = choose(
    functions.filter((f) => f.name === bare),
    test,
  );
  chosen ??= functions.filter((f) => containsLine(f.statement, test.line) && /^test/.test(f.name))[0];
  if (!chosen) return undefined;

  const first = leadingStartLine(chosen.statement, text) - 1;
  const last = chosen.statement.endPosition.row;
  const body: string[] = [];
  const shownFunctions = new Set<number>([chosen.node.id]);
  const wantedFixtures = new Set(pyParameters(chosen.node));
  // Each class: its header, its setup methods and the fixtures the test asks for, the next class or the test.
  let innerFirst = first;
  const open: string[][] = [];
  for (let i = chosen.classes.length - 1; i >= 0; i--) {
    const cls = chosen.classes[i];
    const block = field(cls, 'body');
    if (!block) break;
    const clsStatement = cls.parent?.type === 'decorated_definition' ? cls.parent : cls;
    const headLast = Math.max(cls.startPosition.row, block.startPosition.row - 1);
    const members = namedChildrenOf(block).filter((s) => !isComment(s));
    const inner = members.find((s) => s.startIndex <= chosen!.statement.startIndex && s.endIndex >= chosen!.statement.endIndex);
    // Setup methods, the fixtures the test asks for and class attributes stay; other tests are left out.
    const keep = (m: SyntaxNode) => {
      const fn = m.type === 'decorated_definition' ? field(m, 'definition') : m;
      if (fn?.type !== 'function_definition') return m.type !== 'class_definition' && m.type !== 'decorated_definition' && m.endPosition.row - m.startPosition.row < opts.maxHelperLines;
      const name = field(fn, 'name')?.text ?? '';
      const fixture = pyFixtureName(fn);
      const wanted = pythonHooks.has(name) || (!!fixture && (wantedFixtures.has(fixture) || /autouse\s*=\s*True/.test(m.text)));
      if (wanted) shownFunctions.add(fn.id);
      return wanted;
    };
    const indent = indentOf(lines[innerFirst] ?? '');
    const around = membersAround(members, inner, keep, lines, text, `${indent}#`, (skipped) => `${skipped.length} other member${skipped.length === 1 ? '' : 's'} left out`, ['']);
    open.unshift([...rows(lines, leadingStartLine(clsStatement, text) - 1, headLast), ...around.before]);
    innerFirst = leadingStartLine(clsStatement, text) - 1;
  }
  body.push(...open.flat(), ...rows(lines, first, last));

  // Module-level fixtures, setup functions, helpers and constants the test (or its decorators) uses.
  const pieces: Piece[] = [];
  const names = new Set<string>();
  const collectNames = (node: SyntaxNode) => {
    for (const id of node.descendantsOfType(['identifier'])) if (id && !(id.parent?.type === 'attribute' && field(id.parent, 'attribute')?.id === id.id)) names.add(id.text);
  };
  collectNames(chosen.statement);
  const moduleLevel = namedChildrenOf(root);
  const fixtureCandidates: { fn: SyntaxNode; statement: SyntaxNode; lines: readonly string[]; text: string; label?: string }[] = [];
  for (const f of functions) if (!f.classes.length) fixtureCandidates.push({ fn: f.node, statement: f.statement, lines, text });
  for (const src of opts.fixtureSources) {
    const srcText = src.source.replace(/\r\n/g, '\n');
    for (const f of pyFunctions(src.root)) if (!f.classes.length && pyFixtureName(f.node)) fixtureCandidates.push({ fn: f.node, statement: f.statement, lines: srcText.split('\n'), text: srcText, label: src.label });
  }
  const addFixture = (c: (typeof fixtureCandidates)[number]) => {
    if (shownFunctions.has(c.fn.id) || pieces.length >= opts.maxHelpers) return;
    const from = leadingStartLine(c.statement, c.text) - 1;
    if (c.statement.endPosition.row - from + 1 > opts.maxHelperLines) return;
    shownFunctions.add(c.fn.id);
    pieces.push({ name: pyFixtureName(c.fn) ?? field(c.fn, 'name')?.text ?? '', first: from, last: c.statement.endPosition.row, label: c.label, lines: c.lines });
    collectNames(c.statement);
  };
  // Fixtures by parameter (the test file's own first, as pytest resolves them), then the fixtures those ask for.
  for (let round = 0; round < 2; round++) {
    const wanted = round === 0 ? wantedFixtures : new Set(pieces.flatMap((p) => fixtureCandidates.filter((c) => pyFixtureName(c.fn) === p.name).flatMap((c) => pyParameters(c.fn))));
    for (const name of wanted) {
      const found = fixtureCandidates.filter((c) => pyFixtureName(c.fn) === name);
      if (found[0]) addFixture(found[0]);
    }
  }
  for (const c of fixtureCandidates) if (!c.label && /autouse\s*=\s*True/.test(c.statement.text)) addFixture(c);
  for (const statement of moduleLevel) {
    if (pieces.length >= opts.maxHelpers) break;
    const fn = statement.type === 'decorated_definition' ? field(statement, 'definition') : statement;
    if (fn?.type === 'function_definition') {
      const name = field(fn, 'name')?.text ?? '';
      if (shownFunctions.has(fn.id) || opts.exclude.has(name) || pyFixtureName(fn) || /^test/.test(name)) continue;
      if (!names.has(name) && !pythonModuleHooks.has(name)) continue;
      addFixture({ fn, statement, lines, text });
      continue;
    }
    // `testdata = load(...)`, `CASES = [...]`: module constants the test or its parametrize use.
    const assignment = statement.type === 'expression_statement' ? namedChildrenOf(statement)[0] : undefined;
    if (assignment?.type !== 'assignment') continue;
    const left = field(assignment, 'left');
    const assigned = left?.type === 'identifier' ? [left.text] : left ? left.descendantsOfType(['identifier']).flatMap((n) => (n ? [n.text] : [])) : [];
    if (!assigned.some((n) => names.has(n)) || assigned.some((n) => opts.exclude.has(n))) continue;
    if (statement.endPosition.row - statement.startPosition.row + 1 > opts.maxHelperLines) continue;
    pieces.push({ name: assigned[0], first: leadingStartLine(statement, text) - 1, last: statement.endPosition.row });
  }
  const out = [...renderPieces(pieces, lines, '#'), ...body];
  return {
    text: out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd(),
    testText: rows(lines, first, last).join('\n'),
    startLine: first + 1,
    endLine: last + 1,
    helpers: pieces.map((p) => p.name),
  };
}
