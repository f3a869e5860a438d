// The JavaScript/TypeScript tracer's source rewrite: probe calls inserted at the end of every basic
// block of one function, on the lines where the blocks end, so that stack traces, test locations and
// coverage keep their line numbers (no line is ever added or removed). Inspector breakpoints would
// cost ~1.5 ms per pause; a probe is a plain function call.
//
// What the rewritten function does (R = the runtime, see runtimeLookup; C = this call's record):
//   body      `{ const R=..., C=R.enter(this, [params]); try { ...body... } catch (e) { R.threw(C, e); throw e } finally { R.exit(C) } }`
//   straight  `stmt;R.s(C, k, [vars])`               after the block's last statement
//   if/while  `if (R.h(C, k, (cond), [vars]))`        the condition's value passes through
//   for-of    `for (const x of xs) {R.s(C, k, [vars]);...}`  one visit per iteration
//   return    `return R.ret(C, k, (value), [vars])`   records the block and the value
//   throw     `throw R.thr(C, k, (value), [vars])`
//   break     `R.s(C, k, [vars]);break`
// A braceless body (`if (x) a++;`) gets braces on the same line. Variables are read in the probe's
// own scope: only names whose declaration has run by then (parameters, `var`s and functions
// declared earlier, `let`/`const`/`class` earlier in an enclosing block), never one in its temporal
// dead zone; names of a `switch` body, where a `case` may skip a declaration, are read through a
// guarded closure. `this` fields are read by the runtime from own data properties (no getters).

import type { Block } from '../blocks/basicBlocks';
import { LineIndex } from '../blocks/positions';
import { childrenOf, codeChildrenOf, field, type SyntaxNode } from '../blocks/syntaxNode';

/** One value a probe passes: a variable, `this` (its touched fields are read from it), or a private field. */
export interface ProbeSlot {
  readonly name: string;
  readonly kind: 'var' | 'this' | 'private';
}

export interface Probe {
  readonly blockId: string;
  readonly slots: readonly ProbeSlot[];
}

export interface InstrumentedFunction {
  /** The whole file with the function rewritten; same number of lines as the original. */
  readonly text: string;
  /** Indexed by the number each probe call passes. */
  readonly probes: readonly Probe[];
  /** Parameter names, in the order `enter` receives their values. */
  readonly params: readonly string[];
  /** `enter` receives `this` as the call's first argument, recorded as arg `this`. */
  readonly thisArg: boolean;
  /** Blocks that could not be given a probe (never expected; reported in the trace's notes). */
  readonly unprobed: readonly string[];
}

/** Globals the rewritten code uses; chosen to collide with nothing a person writes. */
export const probeNames = { runtime: '__dtR', call: '__dtC', error: '__dtE', global: '__ducktrace' } as const;

/**
 * How the rewritten function finds the runtime: `globalThis.__ducktrace` (node:test, vitest), else
 * `process.__ducktrace()` for code running in a vm sandbox with its own global (jest), whose
 * `process` is a copy of the real one that keeps functions by reference. Through Reflect.get so
 * that the TypeScript a type-checking transform (ts-jest) compiles has no type errors.
 */
export const runtimeLookup = `Reflect.get(globalThis,'${probeNames.global}')??Reflect.get(Reflect.get(globalThis,'process'),'${probeNames.global}')()`;

const functionTypes = new Set([
  'function_declaration',
  'function_expression',
  'function',
  'generator_function',
  'generator_function_declaration',
  'arrow_function',
  'method_definition',
]);
const classTypes = new Set(['class_declaration', 'class', 'abstract_class_declaration']);
/** Where a statement may be followed by another one without braces. */
const statementLists = new Set(['statement_block', 'program', 'switch_case', 'switch_default', 'class_static_block']);

interface Insertion {
  readonly offset: number;
  /** Order at one offset: what closes a statement (0-9) comes before what opens the next (10-19). */
  readonly rank: number;
  readonly text: string;
}

interface Declaration {
  readonly name: string;
  /** The range the name is visible in. */
  readonly scopeStart: number;
  readonly scopeEnd: number;
  /** Where the declaration has run: reading the name before this offset is a TDZ error (let/const/class). */
  readonly readyAt: number;
  readonly lexical: boolean;
  /** Declared in a `switch` body: a case may have skipped it. */
  readonly risky: boolean;
}

/** Names bound by a binding pattern: `a`, `{ b, c: [d] }`, `e = 1`, `...r`, TypeScript's `x?: T`. */
export function patternNames(node: SyntaxNode | undefined): string[] {
  if (!node) return [];
  switch (node.type) {
    case 'identifier':
    case 'shorthand_property_identifier_pattern':
      return [node.text];
    case 'required_parameter':
    case 'optional_parameter':
      return patternNames(field(node, 'pattern'));
    case 'assignment_pattern':
    case 'object_assignment_pattern':
      return patternNames(field(node, 'left'));
    case 'pair_pattern':
      return patternNames(field(node, 'value'));
    case 'rest_pattern':
    case 'object_pattern':
    case 'array_pattern':
      return codeChildrenOf(node).flatMap((c) => patternNames(c));
    default:
      return [];
  }
}

function parametersOf(fn: SyntaxNode): string[] {
  const single = field(fn, 'parameter');
  if (single) return patternNames(single);
  const params = field(fn, 'parameters');
  if (!params) return [];
  return codeChildrenOf(params).flatMap((p) => (p.type === 'identifier' && p.text === 'this' ? [] : patternNames(p)));
}

/** Every binding the function body makes, outside nested functions and classes. */
function declarationsOf(fn: SyntaxNode, body: SyntaxNode): Declaration[] {
  const out: Declaration[] = [];
  const fnScope = { start: fn.startIndex, end: fn.endIndex };
  const visit = (node: SyntaxNode, scope: { start: number; end: number }, inSwitch: boolean) => {
    for (const child of childrenOf(node)) {
      const t = child.type;
      if (t === 'function_declaration' || t === 'generator_function_declaration') {
        const name = field(child, 'name')?.text;
        if (name) out.push({ name, scopeStart: scope.start, scopeEnd: scope.end, readyAt: child.endIndex, lexical: false, risky: false });
        continue;
      }
      if (classTypes.has(t)) {
        const name = t === 'class' ? undefined : field(child, 'name')?.text;
        if (name) out.push({ name, scopeStart: scope.start, scopeEnd: scope.end, readyAt: child.endIndex, lexical: true, risky: inSwitch });
        continue;
      }
      if (functionTypes.has(t) || t === 'class') continue;
      if (t === 'variable_declaration' || t === 'lexical_declaration') {
        const lexical = t === 'lexical_declaration';
        const s = lexical ? scope : fnScope;
        for (const d of codeChildrenOf(child).filter((c) => c.type === 'variable_declarator')) {
          for (const name of patternNames(field(d, 'name'))) {
            out.push({ name, scopeStart: s.start, scopeEnd: s.end, readyAt: child.endIndex, lexical, risky: lexical && inSwitch });
          }
        }
        // Initialisers may hold nested functions only: nothing more to bind here.
        continue;
      }
      if (t === 'for_in_statement') {
        const kind = field(child, 'kind')?.text;
        const left = field(child, 'left');
        const lexical = kind === 'let' || kind === 'const';
        const s = kind === 'var' ? fnScope : { start: child.startIndex, end: child.endIndex };
        if (kind) for (const name of patternNames(left)) out.push({ name, scopeStart: s.start, scopeEnd: s.end, readyAt: left?.endIndex ?? child.startIndex, lexical, risky: false });
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'for_statement') {
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'catch_clause') {
        const param = field(child, 'parameter');
        for (const name of patternNames(param)) out.push({ name, scopeStart: child.startIndex, scopeEnd: child.endIndex, readyAt: param?.endIndex ?? child.startIndex, lexical: true, risky: false });
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'statement_block' || t === 'switch_body') {
        visit(child, { start: child.startIndex, end: child.endIndex }, t === 'switch_body' || (inSwitch && t !== 'statement_block'));
        continue;
      }
      visit(child, scope, inSwitch);
    }
  };
  visit(body.type === 'statement_block' ? body : fn, { start: body.startIndex, end: body.endIndex }, false);
  return out;
}

/**
 * Variables of enclosing functions that the function reads (a closure's state): read through a
 * guarded closure, since the outer declaration may not have run when the function is called.
 */
function freeVariables(fn: SyntaxNode, body: SyntaxNode, own: ReadonlySet<string>): string[] {
  const outer = new Set<string>();
  for (let node = fn.parent; node; node = node.parent) {
    if (!functionTypes.has(node.type)) continue;
    const outerBody = field(node, 'body');
    if (!outerBody) continue;
    for (const name of parametersOf(node)) outer.add(name);
    for (const d of declarationsOf(node, outerBody)) outer.add(d.name);
  }
  const used: string[] = [];
  const visit = (n: SyntaxNode) => {
    for (const child of childrenOf(n)) {
      if (child.type === 'identifier' && outer.has(child.text) && !own.has(child.text) && !used.includes(child.text)) used.push(child.text);
      visit(child);
    }
  };
  visit(body);
  return used;
}

/** Variables that may be read at `offset`: parameters first, then locals in declaration order. */
function visibleAt(offset: number, params: readonly string[], declarations: readonly Declaration[]): { name: string; risky: boolean }[] {
  const innermost = new Map<string, Declaration>();
  for (const d of declarations) {
    if (offset < d.scopeStart || offset >= d.scopeEnd) continue;
    const seen = innermost.get(d.name);
    // A redeclared `var` is one binding; an inner `let` shadows an outer one.
    if (!seen || d.scopeEnd - d.scopeStart < seen.scopeEnd - seen.scopeStart || (d.scopeStart === seen.scopeStart && d.readyAt <= offset && seen.readyAt > offset)) {
      innermost.set(d.name, d);
    }
  }
  // A parameter stays readable unless a `let`/`const` of the same name shadows it here.
  const out: { name: string; risky: boolean }[] = params.filter((p) => !innermost.get(p)?.lexical).map((name) => ({ name, risky: false }));
  const ready = [...innermost.values()].filter((d) => d.readyAt <= offset).sort((a, b) => a.readyAt - b.readyAt);
  for (const d of ready) if (!out.some((o) => o.name === d.name)) out.push({ name: d.name, risky: d.risky });
  return out;
}

function enclosingClass(fn: SyntaxNode): SyntaxNode | undefined {
  let node = fn.parent;
  // A method's class is its grandparent (class_body -> class); an arrow in a field too.
  while (node && !classTypes.has(node.type)) {
    if (functionTypes.has(node.type) && node.type !== 'arrow_function') return undefined;
    node = node.parent;
  }
  return node ?? undefined;
}

/** `#x` fields the class declares as data (not private methods or accessors, whose reads run code). */
function privateDataFields(cls: SyntaxNode | undefined): Set<string> {
  const names = new Set<string>();
  const body = cls && field(cls, 'body');
  if (!body) return names;
  for (const member of codeChildrenOf(body)) {
    if (member.type !== 'field_definition' && member.type !== 'public_field_definition') continue;
    const name = field(member, 'property') ?? field(member, 'name');
    if (name?.type === 'private_property_identifier') names.add(name.text);
  }
  return names;
}

/**
 * Rewrites `fn` inside `source`. `blocks` are its basic blocks (`blocksOfFunction`), `selfFields`
 * the `this` fields it touches (`touchedSelfFields`).
 */
export function instrumentFunction(source: string, fn: { node: SyntaxNode; body: SyntaxNode }, blocks: readonly Block[], selfFields: readonly string[]): InstrumentedFunction {
  const { runtime: R, call: C, error: E } = probeNames;
  const lines = new LineIndex(source);
  const node = fn.node;
  const body = fn.body;
  const insertions: Insertion[] = [];
  const insert = (offset: number, rank: number, text: string) => insertions.push({ offset, rank, text });
  const params = parametersOf(node);
  const declarations = declarationsOf(node, body);
  const cls = enclosingClass(node);
  const isArrow = node.type === 'arrow_function';
  const isConstructor = node.type === 'method_definition' && field(node, 'name')?.text === 'constructor';
  const derived = !!cls && childrenOf(cls).some((c) => c.type === 'class_heritage');
  // Before super() a derived constructor has no `this`: reading it would throw.
  const thisUnsafe = isConstructor && derived;
  const privateFields = privateDataFields(cls);
  const publicFields = selfFields.filter((f) => !f.startsWith('#'));
  const privates = selfFields.filter((f) => privateFields.has(f));
  const thisArg = !isArrow && !isConstructor && (node.type === 'method_definition' || selfFields.length > 0);
  const probes: Probe[] = [];
  const unprobed: string[] = [];

  const free = freeVariables(node, body, new Set([...params, ...declarations.map((d) => d.name)]));
  // Each block's probe number is fixed before its text is built: its start mark names it too.
  let current = -1;
  const varsAt = (offset: number, blockId: string): string => {
    const slots: ProbeSlot[] = [];
    const values: string[] = [];
    for (const { name, risky } of visibleAt(offset, params, declarations)) {
      slots.push({ name, kind: 'var' });
      values.push(risky ? `${R}.safe(()=>${name})` : name);
    }
    for (const name of free) {
      slots.push({ name, kind: 'var' });
      values.push(`${R}.safe(()=>${name})`);
    }
    if (publicFields.length) {
      slots.push({ name: 'this', kind: 'this' });
      values.push(thisUnsafe ? `${R}.safe(()=>this)` : 'this');
    }
    for (const f of privates) {
      slots.push({ name: `this.${f}`, kind: 'private' });
      values.push(`${R}.safe(()=>this.${f})`);
    }
    probes[current] = { blockId, slots };
    return `${current},[${values.join(',')}]`;
  };

  // Statements of this function (not of nested functions), by where they end and start.
  const statements: SyntaxNode[] = [];
  const compounds: SyntaxNode[] = [];
  const collect = (n: SyntaxNode) => {
    for (const child of childrenOf(n)) {
      // `for (let i = 0; ...)`: the initializer is part of the header, not a statement of its own.
      if (n.type === 'for_statement' && field(n, 'body')?.id !== child.id) continue;
      if (isStatement(child)) statements.push(child);
      if (functionTypes.has(child.type) || classTypes.has(child.type)) continue;
      if (['if_statement', 'while_statement', 'do_statement', 'for_statement', 'for_in_statement', 'switch_statement', 'with_statement', 'switch_case', 'switch_default', 'catch_clause'].includes(child.type)) compounds.push(child);
      collect(child);
    }
  };
  collect(body);

  const braced = new Set<number>();
  const braceIfNeeded = (stmt: SyntaxNode) => {
    if ((stmt.parent && statementLists.has(stmt.parent.type)) || braced.has(stmt.id)) return;
    braced.add(stmt.id);
    insert(stmt.startIndex, 11, '{');
    insert(stmt.endIndex, 1, '}');
  };
  const wrapValue = (expr: SyntaxNode | undefined, fnName: string, k: () => string, fallbackAt: number) => {
    if (expr) {
      // `if (x)`: the parentheses are the statement's own and stay outside the call.
      const own = expr.type === 'parenthesized_expression';
      const args = k();
      const comma = args.indexOf(',');
      // A header marks itself as running: an exception in the condition is then attributed to it.
      const mark = fnName === 'h' ? `${C}.b=${args.slice(0, comma)},` : '';
      insert(expr.startIndex, 15, `${own ? '(' : ''}${R}.${fnName}(${C},${args.slice(0, comma)},${own ? `(${mark}` : `(${mark}`}`);
      // The value is evaluated before the variables are read: `if ((m = re.exec(s)))` shows m.
      insert(expr.endIndex, 0, `),${args.slice(comma + 1)})${own ? ')' : ''}`);
    } else {
      insert(fallbackAt, 15, ` ${R}.${fnName}(${C},${k().replace(',', ',void 0,')})`);
    }
  };

  const bodyIsBlock = body.type === 'statement_block';
  for (const block of blocks) {
    current = probes.length;
    probes.push({ blockId: block.id, slots: [] });
    const start = lines.offsetAt(block.range.start);
    const end = lines.offsetAt(block.range.end);
    if (!bodyIsBlock) {
      // An expression-bodied arrow: one 'return' block, the expression itself.
      wrapValue(body, 'ret', () => varsAt(body.endIndex, block.id), body.endIndex);
      continue;
    }
    // The block marks itself as running when it starts: an exception before its probe still
    // records it (as the Python tracer records the block it was in). A handler or finally block
    // first records the block the exception interrupted.
    const first = firstStatementIn(statements, start, end);
    // Not before a directive ('use strict'): the call record is declared after the prologue.
    if (first && !isDirective(first, body)) {
      braceIfNeeded(first);
      const entered = block.kind === 'handler' || block.kind === 'finally' || /^\s*(catch|finally)\b/.test(source.slice(start, first.startIndex));
      insert(first.startIndex, 12, entered ? `${R}.m(${C},${current});` : `${C}.b=${current};`);
    }
    const stmt = lastStatementEndingAt(statements, start, end);
    if (stmt) {
      const here = stmt.endIndex;
      switch (stmt.type) {
        case 'return_statement': {
          const value = codeChildrenOf(stmt)[0];
          wrapValue(value, 'ret', () => varsAt(here, block.id), childrenOf(stmt)[0].endIndex);
          break;
        }
        case 'throw_statement':
          wrapValue(codeChildrenOf(stmt)[0], 'thr', () => varsAt(here, block.id), childrenOf(stmt)[0].endIndex);
          break;
        case 'break_statement':
        case 'continue_statement':
          braceIfNeeded(stmt);
          insert(stmt.startIndex, 13, `${R}.s(${C},${varsAt(stmt.startIndex, block.id)});`);
          break;
        default:
          braceIfNeeded(stmt);
          insert(here, 0, `;${R}.s(${C},${varsAt(here, block.id)});`);
      }
      continue;
    }
    const header = compounds.find((c) => headerEnd(c) === end && c.startIndex <= end);
    if (header && probeHeader(header, block.id)) continue;
    if (start === body.startIndex && end === body.endIndex) {
      insert(body.startIndex + 1, 14, `${R}.s(${C},${varsAt(body.startIndex + 1, block.id)});`);
      continue;
    }
    unprobed.push(block.id);
  }

  function probeHeader(c: SyntaxNode, blockId: string): boolean {
    switch (c.type) {
      case 'if_statement':
      case 'while_statement':
      case 'do_statement': {
        const cond = field(c, 'condition');
        if (!cond) return false;
        wrapValue(cond, 'h', () => varsAt(cond.endIndex, blockId), cond.endIndex);
        return true;
      }
      case 'switch_statement':
      case 'with_statement': {
        const value = field(c, c.type === 'switch_statement' ? 'value' : 'object');
        if (!value) return false;
        wrapValue(value, 'h', () => varsAt(value.endIndex, blockId), value.endIndex);
        return true;
      }
      case 'for_statement': {
        const conds = c.childrenForFieldName('condition').filter((n): n is SyntaxNode => !!n);
        const expr = conds.find((n) => n.isNamed && n.type !== 'empty_statement');
        const cond = expr?.type === 'expression_statement' ? codeChildrenOf(expr)[0] : expr;
        if (cond) {
          wrapValue(cond, 'h', () => varsAt(cond.endIndex, blockId), cond.endIndex);
          return true;
        }
        // `for (init;;update)`: the missing condition is `true`.
        const semicolon = conds.find((n) => n.type === ';' || n.type === 'empty_statement');
        if (!semicolon) return false;
        insert(semicolon.startIndex, 15, `${R}.h(${C},${varsAt(semicolon.startIndex, blockId).replace(',', ',true,')})`);
        return true;
      }
      case 'for_in_statement': {
        const loopBody = field(c, 'body');
        if (!loopBody) return false;
        if (loopBody.type === 'statement_block') {
          insert(loopBody.startIndex + 1, 12, `${R}.s(${C},${varsAt(loopBody.startIndex + 1, blockId)});`);
        } else {
          insert(loopBody.startIndex, 11, '{');
          insert(loopBody.startIndex, 12, `${R}.s(${C},${varsAt(loopBody.startIndex, blockId)});`);
          insert(loopBody.endIndex, 1, '}');
        }
        return true;
      }
      case 'switch_case':
      case 'switch_default': {
        const colon = childrenOf(c).find((n) => n.type === ':');
        if (!colon) return false;
        insert(colon.endIndex, 13, `${R}.s(${C},${varsAt(colon.endIndex, blockId)});`);
        return true;
      }
      case 'catch_clause': {
        const handlerBody = field(c, 'body');
        if (!handlerBody) return false;
        insert(handlerBody.startIndex + 1, 14, `${R}.s(${C},${varsAt(handlerBody.startIndex + 1, blockId)});`);
        return true;
      }
    }
    return false;
  }

  // Entry and exit around the whole body.
  const thisValue = thisArg ? 'this' : 'void 0';
  const enter = `const ${R}=${runtimeLookup},${C}=${R}.enter(${thisValue},[${params.join(',')}]);try{`;
  const leave = `}catch(${E}){${R}.threw(${C},${E});throw ${E}}finally{${R}.exit(${C})}`;
  if (bodyIsBlock) {
    const directives = codeChildrenOf(body);
    let open = body.startIndex + 1;
    for (const d of directives) {
      if (d.type !== 'expression_statement' || codeChildrenOf(d)[0]?.type !== 'string') break;
      open = d.endIndex;
    }
    insert(open, -1, enter);
    insert(body.endIndex - 1, 2, leave);
  } else {
    insert(body.startIndex, -1, `{${enter}return `);
    insert(body.endIndex, 2, `${leave}}`);
  }

  const text = apply(source, insertions);
  return { text, probes, params, thisArg, unprobed };
}

function isDirective(stmt: SyntaxNode, body: SyntaxNode): boolean {
  for (const d of codeChildrenOf(body)) {
    if (d.type !== 'expression_statement' || codeChildrenOf(d)[0]?.type !== 'string') return false;
    if (d.id === stmt.id) return true;
  }
  return false;
}

function isStatement(node: SyntaxNode): boolean {
  return (node.type.endsWith('_statement') && node.type !== 'labeled_statement') || node.type === 'lexical_declaration' || node.type === 'variable_declaration' || node.type === 'function_declaration' || node.type === 'generator_function_declaration' || node.type === 'class_declaration';
}

const compoundStatements = new Set(['if_statement', 'while_statement', 'do_statement', 'for_statement', 'for_in_statement', 'switch_statement', 'try_statement', 'statement_block', 'labeled_statement', 'with_statement']);

/** The simple statement that ends a block: ends exactly at `end`, starts inside the block. */
function lastStatementEndingAt(statements: readonly SyntaxNode[], start: number, end: number): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (const s of statements) {
    if (s.endIndex !== end || s.startIndex < start || compoundStatements.has(s.type)) continue;
    // The outermost such statement: `return x;` rather than anything nested in it.
    if (!found || s.startIndex < found.startIndex) found = s;
  }
  return found;
}

/** The first simple statement of a block, if it starts with one (not with a header). */
function firstStatementIn(statements: readonly SyntaxNode[], start: number, end: number): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (const s of statements) {
    if (s.startIndex < start || s.endIndex > end || compoundStatements.has(s.type)) continue;
    if (!found || s.startIndex < found.startIndex || (s.startIndex === found.startIndex && s.endIndex > found.endIndex)) found = s;
  }
  return found;
}

/** Where the header block of a compound statement ends (as `headerSpan` computes it). */
function headerEnd(c: SyntaxNode): number | undefined {
  const bodyField = c.type === 'if_statement' ? 'consequence' : c.type === 'do_statement' ? undefined : 'body';
  if (c.type === 'do_statement') return c.endIndex;
  if (c.type === 'switch_case' || c.type === 'switch_default') return childrenOf(c).find((n) => n.type === ':')?.endIndex;
  const b = bodyField ? field(c, bodyField) : undefined;
  if (!b) return undefined;
  let end = c.startIndex;
  for (const child of childrenOf(c)) {
    if (child.startIndex >= b.startIndex) break;
    if (!child.isExtra && child.type !== 'comment') end = child.endIndex;
  }
  return end;
}

function apply(source: string, insertions: Insertion[]): string {
  const sorted = [...insertions].sort((a, b) => a.offset - b.offset || a.rank - b.rank);
  let out = '';
  let at = 0;
  for (const ins of sorted) {
    out += source.slice(at, ins.offset) + ins.text;
    at = ins.offset;
  }
  return out + source.slice(at);
}
