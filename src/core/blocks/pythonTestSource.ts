// A failing pytest test's own source: the test function (with its decorators) inside its classes
// (setup methods, the fixtures it asks for and class attributes kept, other members marked as left
// out), with the module's and conftest.py's fixtures it uses, setup functions, helpers and constants.

import { leadingStartLine } from './sourceSpans';
import { childrenOf, field, isComment, namedChildrenOf, type SyntaxNode } from './syntaxNode';
import { choose, containsLine, indentOf, membersAround, renderPieces, rows, type ExtractedTest, type ExtractOptions, type Piece, type TestIdentity } from './testSourceParts';

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

export function extractPython(root: SyntaxNode, text: string, lines: readonly string[], test: TestIdentity, opts: ExtractOptions): ExtractedTest | undefined {
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
