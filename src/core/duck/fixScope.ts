// Whether a fixed file changes only what the fix is for, decided from the syntax trees of the file
// before and after: the target function may change; new imports and new helper functions and
// classes may be added (and an import may gain names); every other function, class and top-level
// statement must still be there, unchanged. The fixed file must also still parse. Every path that
// applies a model's fix goes through `applyFixInScope` (explainAndFix, and `apply-reply`).

import type { SourceRange } from '../blocks/positions';
import type { SourceLanguage } from '../blocks/languages';
import { codeChildrenOf, field, firstSyntaxError, isComment, namedChildrenOf, type SourceParser, type SyntaxNode } from '../blocks/syntaxNode';
import type { Fix } from './diagnosis';
import { simpleNameOf } from './definitions';
import { withoutListingLines } from './answerFormat';
import { applyFix, type ApplyResult, type FixTarget } from './fixApplier';

/** A fix target whose language has a grammar (the scope check parses the file). */
export interface ScopedFixTarget extends FixTarget {
  readonly language: SourceLanguage;
}

/**
 * `applyFix` (without the prompt's marker and value lines, which a model may copy into its code but
 * are not the user's), then the checks on the result: the fixed file parses (when the file did
 * before) and nothing but the target changed, except what a fix may add. A refusal names what
 * would change.
 */
export async function applyFixInScope(parser: SourceParser, fileText: string, target: ScopedFixTarget, fix: Fix): Promise<ApplyResult> {
  const applied = applyFix(fileText, target, withoutListingLines(fix));
  if (!applied.ok) return applied;
  const problem = await checkFixScope(parser, fileText, applied.text, target);
  return problem ? { ok: false, error: problem } : applied;
}

/** Undefined when `after` is an acceptable fix of `before`; otherwise why not. */
export async function checkFixScope(parser: SourceParser, before: string, after: string, target: ScopedFixTarget): Promise<string | undefined> {
  const oldTree = await parser.parse(before, target.language);
  try {
    const newTree = await parser.parse(after, target.language);
    try {
      if (!oldTree.rootNode.hasError) {
        const error = firstSyntaxError(newTree.rootNode);
        if (error) return `the fixed code does not parse (syntax error at line ${error.startPosition.row + 1})`;
      }
      const problems: string[] = [];
      const texts = { before: before.replace(/\r/g, ' '), after: after.replace(/\r/g, ' ') };
      compareLevel(itemsOf(oldTree.rootNode, target.language, texts.before), itemsOf(newTree.rootNode, target.language, texts.after), target, texts, problems);
      if (!problems.length) return undefined;
      const name = simpleNameOf(target.name);
      const shown = problems.slice(0, 3).join(', ') + (problems.length > 3 ? ` and ${problems.length - 3} more` : '');
      return `the fix would ${shown}; only \`${name}\` may change (new imports and new helper functions or classes may be added)`;
    } finally {
      newTree.delete();
    }
  } finally {
    oldTree.delete();
  }
}

// ---- items ----

type ItemKind = 'function' | 'class' | 'method' | 'import' | 'declaration' | 'interface' | 'type' | 'enum' | 'statement' | 'comment';

interface Item {
  readonly node: SyntaxNode;
  readonly kind: ItemKind;
  readonly name?: string;
  /** The class node, when the item is a class (possibly decorated or exported). */
  readonly classNode?: SyntaxNode;
  /** 1-based line where the item starts. */
  readonly line: number;
  /** A member of a class body, not a top-level item. */
  readonly member: boolean;
  /** The item's text with line breaks normalised and trailing whitespace dropped per line. */
  readonly text: string;
}

function keyOf(item: Item): string {
  return item.name !== undefined ? `${item.kind === 'method' ? 'function' : item.kind}:${item.name}` : `text:${item.text}`;
}

/**
 * The item's text from the start of its first line (so a change of its indentation counts), with
 * trailing whitespace dropped per line. `source` is the file with each CR replaced by a space, so
 * offsets stay those of the tree.
 */
function normalizedText(node: SyntaxNode, source: string, end = node.endIndex): string {
  const lineStart = source.lastIndexOf('\n', node.startIndex - 1) + 1;
  return source
    .slice(lineStart, end)
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** The top-level items of a module, or the members of a class body, comments included. */
function itemsOf(container: SyntaxNode, language: SourceLanguage, source: string, inClass = false): Item[] {
  return namedChildrenOf(container).map((node) => ({ node, line: node.startPosition.row + 1, member: inClass, text: normalizedText(node, source), ...(isComment(node) ? { kind: 'comment' as const } : describe(node, language, inClass)) }));
}

const functionValues = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const classValues = new Set(['class', 'class_expression']);

function describe(node: SyntaxNode, language: SourceLanguage, inClass: boolean): { kind: ItemKind; name?: string; classNode?: SyntaxNode } {
  const nameOf = (n: SyntaxNode | undefined) => (n ? field(n, 'name')?.text : undefined);
  switch (node.type) {
    // Python
    case 'decorated_definition': {
      const inner = field(node, 'definition');
      return inner ? describe(inner, language, inClass) : { kind: 'statement' };
    }
    case 'function_definition':
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'function_signature':
      return { kind: inClass ? 'method' : 'function', name: nameOf(node) };
    case 'class_definition':
    case 'class_declaration':
    case 'abstract_class_declaration':
      return { kind: 'class', name: nameOf(node), classNode: node };
    case 'import_statement':
    case 'import_from_statement':
    case 'future_import_statement':
      return { kind: 'import', name: importSource(node) };
    // JavaScript and TypeScript
    case 'export_statement': {
      const inner = field(node, 'declaration');
      if (inner) return describe(inner, language, inClass);
      const value = field(node, 'value');
      if (value && functionValues.has(value.type)) return { kind: 'function', name: 'default' };
      if (value && classValues.has(value.type)) return { kind: 'class', name: 'default', classNode: value };
      // `export { a } from './m'` re-exports like an import.
      return field(node, 'source') ? { kind: 'import', name: importSource(node) } : { kind: 'statement' };
    }
    case 'lexical_declaration':
    case 'variable_declaration': {
      const declarators = codeChildrenOf(node).filter((c) => c.type === 'variable_declarator');
      if (declarators.length !== 1) return { kind: 'declaration', name: declarators.map((d) => nameOf(d) ?? '?').join(',') };
      const value = field(declarators[0], 'value');
      if (value && functionValues.has(value.type)) return { kind: 'function', name: nameOf(declarators[0]) };
      if (value && classValues.has(value.type)) return { kind: 'class', name: nameOf(declarators[0]), classNode: value };
      if (value && value.type === 'call_expression' && field(value, 'function')?.text === 'require') return { kind: 'import', name: nameOf(declarators[0]) };
      return { kind: 'declaration', name: nameOf(declarators[0]) };
    }
    case 'expression_statement': {
      const expr = codeChildrenOf(node)[0];
      if (expr && (expr.type === 'assignment' || expr.type === 'assignment_expression')) {
        const left = field(expr, 'left')?.text;
        const right = field(expr, 'right');
        if (right && functionValues.has(right.type)) return { kind: 'function', name: left };
        if (right && classValues.has(right.type)) return { kind: 'class', name: left, classNode: right };
        return { kind: 'declaration', name: left };
      }
      return { kind: 'statement' };
    }
    case 'method_definition':
    case 'abstract_method_signature':
    case 'method_signature':
      return { kind: 'method', name: nameOf(node) };
    case 'field_definition':
    case 'public_field_definition': {
      const name = field(node, 'property')?.text ?? nameOf(node);
      const value = field(node, 'value');
      return { kind: value && functionValues.has(value.type) ? 'method' : 'declaration', name };
    }
    case 'interface_declaration':
      return { kind: 'interface', name: nameOf(node) };
    case 'type_alias_declaration':
      return { kind: 'type', name: nameOf(node) };
    case 'enum_declaration':
      return { kind: 'enum', name: nameOf(node) };
    default:
      return { kind: 'statement' };
  }
}

/** What an import is keyed by: its module (`from m import a`, `import a from 'm'`) or first name (`import m`). */
function importSource(node: SyntaxNode): string {
  const source = field(node, 'source') ?? field(node, 'module_name') ?? field(node, 'name');
  return (source ?? node).text;
}

/** The identifiers an import brings in (its names, aliases and module path). */
function importedNames(node: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const visit = (n: SyntaxNode) => {
    if (/identifier$/.test(n.type) || n.type === 'string_fragment') names.add(n.text);
    for (const c of codeChildrenOf(n)) visit(c);
  };
  visit(node);
  return names;
}

// ---- comparison ----

/** The body holding a class's members. */
function classBody(classNode: SyntaxNode): SyntaxNode | undefined {
  return field(classNode, 'body');
}

function contains(node: SyntaxNode, range: SourceRange): boolean {
  const start = node.startPosition.row + 1;
  const end = node.endPosition.row + 1;
  return start <= range.start.line && range.end.line <= end;
}

/**
 * Whether `item` is the target function itself (possibly wrapped in decorators, `export`, or a
 * `const f = ...` declaration), rather than a container (a class, an outer function, a `describe`
 * call) that holds it further down.
 */
function isTargetItem(item: Item, target: ScopedFixTarget): boolean {
  if (item.classNode) {
    const body = classBody(item.classNode);
    if (body && codeChildrenOf(body).some((m) => contains(m, target.range))) return false;
  }
  const name = simpleNameOf(target.name);
  if (item.name !== undefined && (item.name === name || item.name.endsWith(`.${name}`))) return true;
  // Anonymous targets (`export default function () {}`): the item starting on the target's line.
  return item.node.startPosition.row + 1 === target.range.start.line;
}

function describeItem(item: Item): string {
  const what = item.kind === 'statement' ? (item.member ? 'statement' : 'top-level statement') : item.kind;
  const label = item.name !== undefined && item.kind !== 'import' ? item.name : firstLine(item.text);
  return `${what} \`${label}\` (line ${item.line})`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/** The file before and after the fix (CRs as spaces): the trees' offsets index these. */
interface Texts {
  readonly before: string;
  readonly after: string;
}

function compareLevel(before: readonly Item[], after: readonly Item[], target: ScopedFixTarget, texts: Texts, problems: string[], where = ''): void {
  const used = new Set<number>();
  const claim = (predicate: (a: Item) => boolean): Item | undefined => {
    const k = after.findIndex((a, i) => !used.has(i) && predicate(a));
    if (k < 0) return undefined;
    used.add(k);
    return after[k];
  };
  const holder = before.findIndex((item) => item.kind !== 'comment' && contains(item.node, target.range));
  // The comments right above the target are its own (its documentation): they may change too.
  const attached = new Set<number>();
  for (let i = holder - 1; holder >= 0 && i >= 0 && before[i].kind === 'comment' && before[i].node.endPosition.row + 1 >= before[i + 1].node.startPosition.row; i--) attached.add(i);
  // Unchanged items first, wherever they moved to (looked up by text, so a long file stays fast).
  const byText = new Map<string, number[]>();
  after.forEach((a, i) => byText.set(a.text, [...(byText.get(a.text) ?? []), i]));
  const unmatched: Item[] = [];
  for (let i = 0; i < before.length; i++) {
    if (i === holder) continue;
    const b = before[i];
    const same = (byText.get(b.text) ?? []).filter((k) => !used.has(k));
    const k = same.find((j) => keyOf(after[j]) === keyOf(b)) ?? same[0];
    if (k !== undefined) used.add(k);
    else if (!attached.has(i)) unmatched.push(b);
  }
  // The item holding the target: the target itself may change; a class or other container holding
  // it must keep everything else.
  if (holder >= 0) {
    const h = before[holder];
    const now = claim((a) => keyOf(a) === keyOf(h)) ?? (h.name === undefined ? (claim((a) => sameStatement(a, h)) ?? claim((a) => a.name === undefined && a.kind === h.kind)) : undefined);
    if (!now) problems.push(`delete the ${describeItem(h)}${where}`);
    else if (!isTargetItem(h, target)) compareContainer(h, now, target, texts, problems);
  }
  for (const b of unmatched) {
    const now = b.name !== undefined ? claim((a) => keyOf(a) === keyOf(b)) : claim((a) => sameStatement(a, b));
    // An import may gain names; it may not lose any.
    if (now && b.kind === 'import' && now.kind === 'import' && isSuperset(importedNames(now.node), importedNames(b.node))) continue;
    problems.push(`${now ? 'change' : b.kind === 'comment' ? 'change or delete' : 'delete'} the ${describeItem(b)}${where}`);
  }
  const known = new Set(before.map((b) => keyOf(b)));
  for (let k = 0; k < after.length; k++) {
    if (used.has(k)) continue;
    const a = after[k];
    if (a.kind === 'import') continue;
    if (a.kind === 'comment') continue;
    const addable = a.kind === 'function' || a.kind === 'class' || a.kind === 'method' || a.kind === 'interface' || a.kind === 'type' || a.kind === 'enum';
    if (addable && a.name !== undefined && !known.has(keyOf(a))) continue;
    if (addable && a.name !== undefined) problems.push(`define \`${a.name}\` a second time (line ${a.line})${where}`);
    else problems.push(`add the ${describeItem(a)}${where}`);
  }
}

/** The same kind of nameless statement starting with the same line: `if __name__ == ...`, `describe(...)`. */
function sameStatement(a: Item, b: Item): boolean {
  return a.name === undefined && a.node.type === b.node.type && firstLine(a.text) === firstLine(b.text);
}

/** A container of the target (a class, or a function holding a nested target) keeps the rest of its text. */
function compareContainer(before: Item, after: Item, target: ScopedFixTarget, texts: Texts, problems: string[]): void {
  const oldBody = before.classNode ? classBody(before.classNode) : undefined;
  const newBody = after.classNode ? classBody(after.classNode) : undefined;
  if (before.kind === 'class' && oldBody && newBody) {
    // The class line (bases, decorators) stays; its members are compared like top-level items.
    if (normalizedText(before.node, texts.before, oldBody.startIndex) !== normalizedText(after.node, texts.after, newBody.startIndex)) problems.push(`change the header of the ${describeItem(before)}`);
    compareLevel(itemsOf(oldBody, target.language, texts.before, true), itemsOf(newBody, target.language, texts.after, true), target, texts, problems, ` in \`${before.name ?? 'the class'}\``);
    return;
  }
  // Any other container: the text before and after the target's own lines must be unchanged.
  const lines = before.text.split('\n');
  const from = target.range.start.line - before.line;
  const to = target.range.end.line - before.line + 1;
  const prefix = lines.slice(0, Math.max(0, from));
  const suffix = lines.slice(Math.max(from, to));
  const now = after.text.split('\n');
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l, i) => l === b[i]);
  if (now.length < prefix.length + suffix.length || !same(now.slice(0, prefix.length), prefix) || !same(now.slice(now.length - suffix.length), suffix)) {
    problems.push(`change the ${describeItem(before)} around \`${simpleNameOf(target.name)}\``);
  }
}

function isSuperset(big: ReadonlySet<string>, small: ReadonlySet<string>): boolean {
  for (const s of small) if (!big.has(s)) return false;
  return true;
}
