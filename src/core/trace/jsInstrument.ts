// The JavaScript/TypeScript tracer's source rewrite: probe calls inserted into one function, on the
// lines where its blocks are, so that stack traces, test locations and coverage keep their line
// numbers (no line is ever added or removed), plus a source map (magic-string) that maps the
// columns back too. Inspector breakpoints would cost ~1.5 ms per pause; a probe is a plain call.
//
// Two modes. `values` (the tracer; R = the runtime, see runtimeLookup; C = this call's record):
//   body      `{ const R=..., C=R.enter(this, [params]); try { ...body... } catch (e) { R.threw(C, e); throw e } finally { R.exit(C) } }`
//   start     `C.b=k;stmt`                            the block is running (an exception is blamed on it)
//   straight  `stmt;R.s(C, k, [vars])`               after the block's last statement
//   if/while  `if (R.h(C, k, (C.b=k,cond), [vars]))` the condition's value passes through
//   for-of    `for (const x of xs) {R.s(C, k, [vars]);...}`  one visit per iteration
//   return    `return R.ret(C, k, (value), [vars])`   records the block and the value
//   throw     `throw R.thr(C, k, (value), [vars])`
//   break     `R.s(C, k, [vars]);break`
// `coverage` (the suspicion ranking's spectra: which blocks each test ran, no values):
//   body      `{ const R=..., C=R.cov(globalThis); ...body... }`  C is the running test's record
//   start     `R.c(C, k);stmt`, `if (R.c(C, k),cond)`, `for (const x of (R.c(C, k),xs)) {R.c(C, k);...}`
// A braceless body (`if (x) a++;`) gets braces on the same line. Variables are read in the probe's
// own scope (jsScopes.ts says which are readable where). `this` fields are read by the runtime from
// own data properties (no getters).
//
// The edits are made outside in: an edit that opens something at an offset goes after the openers
// made there before it, one that closes something goes before the closers made there before it
// (magic-string's appendRight / prependLeft), so the later, inner edits nest inside the earlier ones.
// Blocks are handled in source order (a loop header before its body), and in each the braces
// before the probes; the function's entry and exit, outermost of all, are added last around
// everything else.

import MagicString from 'magic-string';
import type { Block } from '../blocks/basicBlocks';
import { LineIndex } from '../blocks/positions';
import { childrenOf, codeChildrenOf, field, type SyntaxNode } from '../blocks/syntaxNode';
import { declarationsOf, enclosingClass, freeVariables, parametersOf, privateDataFields, visibleAt } from './jsScopes';
import { directivesOf, firstStatementIn, headerEnd, isDirective, lastStatementEndingAt, statementLists, statementsOf } from './jsStatements';

/** One value a probe passes: a variable, `this` (its touched fields are read from it), or a private field. */
export interface ProbeSlot {
  readonly name: string;
  readonly kind: 'var' | 'this' | 'private';
}

export interface Probe {
  readonly blockId: string;
  /** Empty in coverage mode. */
  readonly slots: readonly ProbeSlot[];
}

/** `values`: every block's variables (the tracer); `coverage`: which blocks ran, nothing else. */
export type InstrumentMode = 'values' | 'coverage';

/** A version 3 source map, as JSON. */
export interface SourceMapJson {
  readonly version: number;
  readonly file?: string;
  readonly sources: readonly string[];
  readonly names: readonly string[];
  readonly mappings: string;
}

export interface InstrumentOptions {
  readonly mode?: InstrumentMode;
  /** The file's name as the source map names it (its base name; the map sits next to it). */
  readonly sourceName?: string;
}

export interface InstrumentedFunction {
  /** The whole file with the function rewritten (same lines as the original), its source map inline at the end. */
  readonly text: string;
  /** From the rewritten text's positions back to the original's. */
  readonly map: SourceMapJson;
  readonly mode: InstrumentMode;
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

/** The text edits, made outside in (see the header). */
class Edits {
  readonly text: MagicString;
  constructor(source: string) {
    this.text = new MagicString(source);
  }
  /** Opens something at `at`, inside whatever was opened there before. */
  open(at: number, text: string): void {
    this.text.appendRight(at, text);
  }
  /** Closes something at `at`, inside whatever was closed there before. */
  close(at: number, text: string): void {
    this.text.prependLeft(at, text);
  }
  wrap(node: SyntaxNode, before: string, after: string): void {
    this.open(node.startIndex, before);
    this.close(node.endIndex, after);
  }
  /** The outermost opener at `at`, made after everything else: before all other text there. */
  openOutermost(at: number, text: string): void {
    this.text.prependLeft(at, text);
  }
  /** The outermost closer at `at`, made after everything else: after all other closers there. */
  closeOutermost(at: number, text: string): void {
    this.text.appendLeft(at, text);
  }
}

/**
 * Rewrites `fn` inside `source`. `blocks` are its basic blocks (`blocksOfFunction`), `selfFields`
 * the `this` fields it touches (`touchedSelfFields`).
 */
export function instrumentFunction(
  source: string,
  fn: { node: SyntaxNode; body: SyntaxNode },
  blocks: readonly Block[],
  selfFields: readonly string[],
  options: InstrumentOptions = {},
): InstrumentedFunction {
  const mode = options.mode ?? 'values';
  const { runtime: R, call: C, error: E } = probeNames;
  const lines = new LineIndex(source);
  const edits = new Edits(source);
  const { node, body } = fn;
  const params = parametersOf(node);
  const declarations = declarationsOf(node, body);
  const cls = enclosingClass(node);
  const isConstructor = node.type === 'method_definition' && field(node, 'name')?.text === 'constructor';
  // Before super() a derived constructor has no `this`: reading it would throw.
  const thisUnsafe = isConstructor && !!cls && childrenOf(cls).some((c) => c.type === 'class_heritage');
  const privateFields = privateDataFields(cls);
  const publicFields = selfFields.filter((f) => !f.startsWith('#'));
  const privates = selfFields.filter((f) => privateFields.has(f));
  const thisArg = mode === 'values' && node.type !== 'arrow_function' && !isConstructor && (node.type === 'method_definition' || selfFields.length > 0);
  const free = freeVariables(node, body, new Set([...params, ...declarations.map((d) => d.name)]));
  const probes: Probe[] = [];
  const unprobed: string[] = [];

  /** The variables a probe of block `index` reads at `offset`, as the call's array argument; records the probe's slots. */
  const varsAt = (index: number, offset: number): string => {
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
    probes[index] = { blockId: probes[index]!.blockId, slots };
    return `[${values.join(',')}]`;
  };

  const { statements, compounds } = statementsOf(body);
  const braced = new Set<number>();
  const braceIfNeeded = (stmt: SyntaxNode) => {
    if ((stmt.parent && statementLists.has(stmt.parent.type)) || braced.has(stmt.id)) return;
    braced.add(stmt.id);
    edits.wrap(stmt, '{', '}');
  };
  /** `R.fn(C, k, (value), vars)` around an expression; a header marks its block as running first. */
  const wrapValue = (expr: SyntaxNode, fnName: 'h' | 'ret' | 'thr', index: number, vars: string) => {
    // `if (x)`: the parentheses are the statement's own and stay outside the call.
    const own = expr.type === 'parenthesized_expression';
    const mark = fnName === 'h' ? `${C}.b=${index},` : '';
    // The value is evaluated before the variables are read: `if ((m = re.exec(s)))` shows m.
    edits.wrap(expr, `${own ? '(' : ''}${R}.${fnName}(${C},${index},(${mark}`, `),${vars})${own ? ')' : ''}`);
  };
  /** Coverage: the block is marked as it starts, before the expression is evaluated. */
  const markBefore = (expr: SyntaxNode, index: number) => {
    if (expr.type === 'parenthesized_expression') edits.open(expr.startIndex + 1, `${R}.c(${C},${index}),`);
    else edits.wrap(expr, `(${R}.c(${C},${index}),`, ')');
  };

  const bodyIsBlock = body.type === 'statement_block';
  for (const block of blocks) {
    const index = probes.length;
    probes.push({ blockId: block.id, slots: [] });
    const start = lines.offsetAt(block.range.start);
    const end = lines.offsetAt(block.range.end);
    if (!bodyIsBlock) {
      // An expression-bodied arrow: one 'return' block, the expression itself.
      if (mode === 'coverage') markBefore(body, index);
      else wrapValue(body, 'ret', index, varsAt(index, body.endIndex));
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
      edits.open(first.startIndex, mode === 'coverage' ? `${R}.c(${C},${index});` : entered ? `${R}.m(${C},${index});` : `${C}.b=${index};`);
      // Coverage needs nothing more than the mark.
      if (mode === 'coverage') continue;
    }
    const stmt = lastStatementEndingAt(statements, start, end);
    if (stmt) {
      // Coverage: a block of directives only is marked after them, where the call record exists.
      if (mode === 'coverage') edits.close(stmt.endIndex, `;${R}.c(${C},${index});`);
      else probeStatementEnd(stmt, index);
      continue;
    }
    const header = compounds.find((c) => headerEnd(c) === end && c.startIndex <= end);
    if (header && probeHeader(header, index)) continue;
    if (start === body.startIndex && end === body.endIndex) {
      // A body with no statement: the probe is all there is.
      edits.close(body.startIndex + 1, mode === 'coverage' ? `${R}.c(${C},${index});` : `${R}.s(${C},${index},${varsAt(index, body.startIndex + 1)});`);
      continue;
    }
    unprobed.push(block.id);
  }

  function probeStatementEnd(stmt: SyntaxNode, index: number): void {
    const here = stmt.endIndex;
    switch (stmt.type) {
      case 'return_statement':
      case 'throw_statement': {
        const fnName = stmt.type === 'return_statement' ? 'ret' : 'thr';
        const value = codeChildrenOf(stmt)[0];
        if (value) wrapValue(value, fnName, index, varsAt(index, here));
        else edits.open(childrenOf(stmt)[0]!.endIndex, ` ${R}.${fnName}(${C},${index},void 0,${varsAt(index, here)})`);
        return;
      }
      case 'break_statement':
      case 'continue_statement':
        braceIfNeeded(stmt);
        edits.open(stmt.startIndex, `${R}.s(${C},${index},${varsAt(index, stmt.startIndex)});`);
        return;
      default:
        braceIfNeeded(stmt);
        edits.close(here, `;${R}.s(${C},${index},${varsAt(index, here)});`);
    }
  }

  /** The probe of a header block (a condition, a loop's iteration, a case label, a handler). */
  function probeHeader(c: SyntaxNode, index: number): boolean {
    switch (c.type) {
      case 'if_statement':
      case 'while_statement':
      case 'do_statement':
      case 'switch_statement':
      case 'with_statement': {
        const value = field(c, c.type === 'switch_statement' ? 'value' : c.type === 'with_statement' ? 'object' : 'condition');
        if (!value) return false;
        if (mode === 'coverage') markBefore(value, index);
        else wrapValue(value, 'h', index, varsAt(index, value.endIndex));
        return true;
      }
      case 'for_statement': {
        const conds = c.childrenForFieldName('condition').filter((n): n is SyntaxNode => !!n);
        const expr = conds.find((n) => n.isNamed && n.type !== 'empty_statement');
        const cond = expr?.type === 'expression_statement' ? codeChildrenOf(expr)[0] : expr;
        if (cond) {
          if (mode === 'coverage') markBefore(cond, index);
          else wrapValue(cond, 'h', index, varsAt(index, cond.endIndex));
          return true;
        }
        // `for (init;;update)`: the missing condition is `true`.
        const semicolon = conds.find((n) => n.type === ';' || n.type === 'empty_statement');
        if (!semicolon) return false;
        const at = semicolon.startIndex;
        edits.open(at, mode === 'coverage' ? `(${R}.c(${C},${index}),true)` : `${R}.h(${C},${index},true,${varsAt(index, at)})`);
        return true;
      }
      case 'for_in_statement': {
        const loopBody = field(c, 'body');
        if (!loopBody) return false;
        if (mode === 'coverage') {
          // Marked where the loop starts (an empty iterable too) and at each iteration.
          const iterable = field(c, 'right');
          if (iterable) markBefore(iterable, index);
        }
        const visit = (at: number) => (mode === 'coverage' ? `${R}.c(${C},${index});` : `${R}.s(${C},${index},${varsAt(index, at)});`);
        if (loopBody.type === 'statement_block') edits.open(loopBody.startIndex + 1, visit(loopBody.startIndex + 1));
        else edits.wrap(loopBody, `{${visit(loopBody.startIndex)}`, '}');
        return true;
      }
      case 'switch_case':
      case 'switch_default': {
        const colon = childrenOf(c).find((n) => n.type === ':');
        if (!colon) return false;
        edits.open(colon.endIndex, mode === 'coverage' ? `${R}.c(${C},${index});` : `${R}.s(${C},${index},${varsAt(index, colon.endIndex)});`);
        return true;
      }
      case 'catch_clause': {
        const handlerBody = field(c, 'body');
        if (!handlerBody) return false;
        const at = handlerBody.startIndex + 1;
        edits.open(at, mode === 'coverage' ? `${R}.c(${C},${index});` : `${R}.s(${C},${index},${varsAt(index, at)});`);
        return true;
      }
    }
    return false;
  }

  // Entry and exit around the whole body, outermost of all.
  const enter = mode === 'coverage' ? `const ${R}=${runtimeLookup},${C}=${R}.cov(globalThis);` : `const ${R}=${runtimeLookup},${C}=${R}.enter(${thisArg ? 'this' : 'void 0'},[${params.join(',')}]);try{`;
  const leave = mode === 'coverage' ? '' : `}catch(${E}){${R}.threw(${C},${E});throw ${E}}finally{${R}.exit(${C})}`;
  if (bodyIsBlock) {
    const directives = directivesOf(body);
    const last = directives[directives.length - 1];
    // After the prologue, so that 'use strict' stays a directive; `;` ends one written without.
    edits.openOutermost(last ? last.endIndex : body.startIndex + 1, `${last ? ';' : ''}${enter}`);
    if (leave) edits.closeOutermost(body.endIndex - 1, leave);
  } else {
    edits.openOutermost(body.startIndex, `{${enter}return `);
    edits.closeOutermost(body.endIndex, `${leave}}`);
  }

  const sourceName = options.sourceName ?? 'source.js';
  const map = edits.text.generateMap({ source: sourceName, hires: 'boundary' });
  const code = edits.text.toString();
  // The source map as a comment on the last line (never a line of its own when the text ends with a
  // newline, so lines stay as they are): Node with source maps on, Babel (babel-jest) and Vite read it.
  const text = `${code}${code.endsWith('\n') ? '' : '\n'}//# sourceMappingURL=${map.toUrl()}`;
  return { text, map: { version: 3, sources: [sourceName], names: [...map.names], mappings: map.mappings }, mode, probes, params, thisArg, unprobed };
}

/**
 * Function-entry coverage of several functions of one file, for ordering candidates within a module
 * (src/core/blocks/functionSpectrum.ts): each function marks probe k (`f0`, `f1`, ... in the order
 * given) as it is entered, through the coverage runtime (`R.c`), so a run gives per test which of
 * them ran, how often, and which ran last. Nothing else changes; lines stay where they are.
 */
export function instrumentFunctionEntries(source: string, fns: readonly { node: SyntaxNode; body: SyntaxNode }[], options: Omit<InstrumentOptions, 'mode'> = {}): InstrumentedFunction {
  const { runtime: R, call: C } = probeNames;
  const edits = new Edits(source);
  const probes: Probe[] = [];
  for (const [index, { body }] of fns.entries()) {
    probes.push({ blockId: `f${index}`, slots: [] });
    const enter = `const ${R}=${runtimeLookup},${C}=${R}.cov(globalThis);${R}.c(${C},${index});`;
    if (body.type === 'statement_block') {
      const last = directivesOf(body).at(-1);
      edits.openOutermost(last ? last.endIndex : body.startIndex + 1, `${last ? ';' : ''}${enter}`);
    } else {
      // An expression-bodied arrow.
      edits.openOutermost(body.startIndex, `{${enter}return `);
      edits.closeOutermost(body.endIndex, '}');
    }
  }
  const sourceName = options.sourceName ?? 'source.js';
  const map = edits.text.generateMap({ source: sourceName, hires: 'boundary' });
  const code = edits.text.toString();
  const text = `${code}${code.endsWith('\n') ? '' : '\n'}//# sourceMappingURL=${map.toUrl()}`;
  return { text, map: { version: 3, sources: [sourceName], names: [...map.names], mappings: map.mappings }, mode: 'coverage', probes, params: [], thisArg: false, unprobed: [] };
}
