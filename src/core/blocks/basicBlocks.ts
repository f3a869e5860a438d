// A function's basic blocks: maximal runs of straight-line statements, with the control-flow
// edges between them. A new block starts at every branch or loop header, `with`, `case`, handler
// and `finally`; a block ends after a return, raise/throw, break, continue, or a yield that
// suspends the function. Expressions never split a block (ternaries, `and`/`&&`, lambdas and
// nested functions stay inside their statement).
//
// Leaving the function (return, an uncaught raise, falling off the end) is not an edge: a block
// with no successors exits.

import { BlocksError } from './blocksError';
import { javascriptStatements } from './javascriptStatements';
import { familyOf, type SourceLanguage } from './languages';
import { LineIndex, type SourceRange } from './positions';
import { pythonStatements } from './pythonStatements';
import type { Jump, LoopShape, StatementReader, StatementShape, SwitchShape, TryShape, IfShape } from './statementShapes';
import { firstSyntaxError, type SyntaxNode } from './syntaxNode';

export type BlockKind =
  /** Falls through to the next block (or off the end of the function). */
  | 'straight'
  /** The test of an `if`/`elif`, `switch` or `match`. */
  | 'branch'
  | 'loop-header'
  /** A `with` header: the context manager is entered here. */
  | 'with'
  /** Entered from a `switch`/`match`: the case label and the straight-line code after it. */
  | 'case'
  /** Entered by an exception: the `except`/`catch` header and the straight-line code after it. */
  | 'handler'
  | 'finally'
  | 'return'
  /** Ends in `raise` or `throw`. */
  | 'throw'
  | 'break'
  | 'continue'
  /** Ends in a statement that yields: the function suspends there and resumes in the successor. */
  | 'yield';

export interface Block {
  /** `b1`, `b2`, ... in source order; `b1` is the entry. */
  readonly id: string;
  readonly kind: BlockKind;
  readonly range: SourceRange;
  readonly text: string;
  /** Ids of the blocks control may pass to next, exception edges included. */
  readonly successors: readonly string[];
}

/** A function's node and the node of its body (a block, or an expression for lambdas and arrows). */
export interface FunctionSyntax {
  readonly node: SyntaxNode;
  readonly body: SyntaxNode;
}

export function statementReaderFor(language: SourceLanguage): StatementReader {
  return familyOf(language) === 'python' ? pythonStatements : javascriptStatements;
}

/**
 * Splits a function into basic blocks. Throws a `BlocksError` ('syntax-error') naming the line
 * when the function's own subtree does not parse; errors elsewhere in the file do not matter.
 */
export function segmentFunction(fn: FunctionSyntax, source: string, language: SourceLanguage, lines = new LineIndex(source)): Block[] {
  const error = firstSyntaxError(fn.node);
  if (error) {
    const line = lines.positionAt(error.startIndex).line;
    const what = error.isMissing ? `missing '${error.type}'` : 'syntax error';
    throw new BlocksError('syntax-error', `${what} at line ${line}: the function cannot be split into blocks`, line);
  }
  const reader = statementReaderFor(language);
  const isStatementBody = fn.body.type === 'block' || fn.body.type === 'statement_block';
  const drafts: Draft[] = [];
  if (isStatementBody) new ControlFlowBuilder(reader, drafts).sequence(reader.statementsOf(fn.body), []);
  if (drafts.length === 0) {
    // An expression body returns its value; an empty body `{}` falls off the end.
    drafts.push(newDraft(fn.body.startIndex, fn.body.endIndex, isStatementBody ? 'straight' : 'return'));
  }
  return finish(drafts, source, lines);
}

interface Draft {
  start: number;
  end: number;
  kind: BlockKind;
  /** Straight-line code may still be appended: the block has not branched or jumped yet. */
  open: boolean;
  readonly successors: Draft[];
}

/** The blocks whose fall-through edge leads to whatever comes next. */
type Frontier = readonly Draft[];

/** Where `break` and `continue` go: a loop, a `switch`, or a labeled statement. */
interface JumpTarget {
  readonly kind: 'target';
  readonly labels: readonly string[];
  readonly isLoop: boolean;
  /** An unlabeled `break` stops here (loops and switches, not labeled blocks). */
  readonly takesPlainBreak: boolean;
  readonly breaks: Draft[];
  readonly continues: Draft[];
}

/** A `try` with a `finally`: jumps out of it run the finally body first. */
interface FinallyGuard {
  readonly kind: 'finally';
  readonly deferred: { from: Draft; jump: Jump; depth: number }[];
}

function newDraft(start: number, end: number, kind: BlockKind, open = false): Draft {
  return { start, end, kind, open, successors: [] };
}

function link(from: Draft, to: Draft): void {
  if (!from.successors.includes(to)) from.successors.push(to);
}

function unique(drafts: readonly Draft[]): Draft[] {
  return [...new Set(drafts)];
}

class ControlFlowBuilder {
  private readonly frames: (JumpTarget | FinallyGuard)[] = [];
  /** A keyword that executes nothing and waits for the next block to start (`else`, `try`, ...). */
  private pendingLabel: { start: number; kind?: BlockKind } | undefined;
  /** Statement labels (`outer:`) waiting for the loop or switch they name. */
  private pendingStatementLabels: string[] = [];

  constructor(
    private readonly reader: StatementReader,
    private readonly blocks: Draft[],
  ) {}

  sequence(statements: readonly SyntaxNode[], incoming: Frontier): Frontier {
    let frontier = incoming;
    for (const statement of statements) frontier = this.statement(statement, frontier);
    return frontier;
  }

  private statement(node: SyntaxNode, incoming: Frontier): Frontier {
    const shape = this.reader.shapeOf(node);
    if (shape.kind === 'simple') return this.simple(shape.span, shape.jump, incoming);
    if (shape.kind === 'sequence') return this.sequence(shape.body, incoming);
    const out = this.compound(shape, incoming);
    // Code after a compound statement starts a new block even where the CFG alone would allow
    // merging: after a `try` whose handlers all leave, merging would put the code that follows
    // under the handlers' exception edges; after a `with`, it would hide where the context exits.
    for (const block of out) block.open = false;
    return out;
  }

  private compound(shape: Exclude<StatementShape, { kind: 'simple' | 'sequence' }>, incoming: Frontier): Frontier {
    switch (shape.kind) {
      case 'if':
        return this.ifStatement(shape, incoming);
      case 'loop':
        return shape.postTest ? this.postTestLoop(shape, shape.postTest.label, incoming) : this.loop(shape, incoming);
      case 'try':
        return this.tryStatement(shape, incoming);
      case 'switch':
        return this.switchStatement(shape, incoming);
      case 'with': {
        const header = this.newBlock(shape.header.start, shape.header.end, 'with', false, incoming);
        return this.sequence(shape.body, [header]);
      }
      case 'labeled':
        return this.labeledStatement(shape.name, shape.label, shape.body, incoming);
    }
  }

  private simple(span: { start: number; end: number }, jump: Jump | undefined, incoming: Frontier): Frontier {
    const previous = incoming.length === 1 ? incoming[0] : undefined;
    let block: Draft;
    if (previous?.open && !this.pendingLabel) {
      block = previous;
      block.end = span.end;
    } else {
      block = this.newBlock(span.start, span.end, 'straight', true, incoming);
    }
    if (!jump) return [block];
    block.open = false;
    if (block.kind === 'straight') block.kind = jump.kind;
    if (jump.kind === 'yield') return [block];
    // A throw's edges are added by the enclosing try; outside one it leaves the function.
    if (jump.kind !== 'throw') this.route(block, jump);
    return [];
  }

  private ifStatement(shape: IfShape, incoming: Frontier): Frontier {
    let tested = incoming;
    const out: Draft[] = [];
    for (const branch of shape.branches) {
      const header = this.newBlock(branch.header.start, branch.header.end, 'branch', false, tested);
      out.push(...this.sequence(branch.body, [header]));
      tested = [header];
    }
    const otherwise = shape.otherwise;
    if (otherwise) out.push(...this.underLabel(otherwise.label, undefined, () => this.sequence(otherwise.body, tested)));
    else out.push(...tested);
    return unique(out);
  }

  private loop(shape: LoopShape, incoming: Frontier): Frontier {
    const header = this.newBlock(shape.header.start, shape.header.end, 'loop-header', false, incoming);
    const target = this.pushTarget(true, true);
    const bodyOut = this.sequence(shape.body, [header]);
    this.frames.pop();
    for (const block of [...bodyOut, ...target.continues]) link(block, header);
    let exits: Frontier = shape.infinite ? [] : [header];
    const otherwise = shape.otherwise;
    if (otherwise) exits = this.underLabel(otherwise.label, undefined, () => this.sequence(otherwise.body, exits));
    return unique([...exits, ...target.breaks]);
  }

  private postTestLoop(shape: LoopShape, doKeyword: number, incoming: Frontier): Frontier {
    const target = this.pushTarget(true, true);
    const firstBodyBlock = this.blocks.length;
    const bodyOut = this.underLabel(doKeyword, undefined, () => this.sequence(shape.body, incoming));
    this.frames.pop();
    const header = this.newBlock(shape.header.start, shape.header.end, 'loop-header', false, [...bodyOut, ...target.continues]);
    // The body's first block is where each iteration starts; an empty body loops on the header.
    link(header, this.blocks[firstBodyBlock]);
    return unique(shape.infinite ? target.breaks : [header, ...target.breaks]);
  }

  private tryStatement(shape: TryShape, incoming: Frontier): Frontier {
    const finalizer = shape.finalizer && shape.finalizer.body.length > 0 ? shape.finalizer : undefined;
    const guard: FinallyGuard | undefined = finalizer ? { kind: 'finally', deferred: [] } : undefined;
    if (guard) this.frames.push(guard);

    const bodyStart = this.blocks.length;
    let out = this.underLabel(shape.body.label, undefined, () => this.sequence(shape.body.body, incoming));
    const protectedBlocks = this.blocks.slice(bodyStart);
    const afterBody = this.blocks.length;
    const otherwise = shape.otherwise;
    if (otherwise) {
      const bodyOut = out;
      out = this.underLabel(otherwise.label, undefined, () => this.sequence(otherwise.body, bodyOut));
    }
    const handlerEntries: Draft[] = [];
    for (const handler of shape.handlers) {
      const entry = this.newBlock(handler.header.start, handler.header.end, 'handler', true, []);
      handlerEntries.push(entry);
      out = [...out, ...this.sequence(handler.body, [entry])];
    }
    for (const block of protectedBlocks) for (const entry of handlerEntries) link(block, entry);
    if (!guard || !finalizer) return unique(out);

    this.frames.pop();
    // Exceptions the handlers do not catch (all of them, without handlers) run the finally body.
    const reachingFinally = [...(handlerEntries.length ? [] : protectedBlocks), ...this.blocks.slice(afterBody)];
    const finallyStart = this.blocks.length;
    const normal = out;
    const finallyOut = this.underLabel(finalizer.label, 'finally', () =>
      this.sequence(finalizer.body, unique([...normal, ...guard.deferred.map((d) => d.from)])),
    );
    const finallyEntry = this.blocks[finallyStart];
    if (finallyEntry) for (const block of reachingFinally) link(block, finallyEntry);
    // After the finally body, each deferred jump continues to its own target.
    for (const { jump, depth } of guard.deferred) for (const exit of finallyOut) this.route(exit, jump, depth);
    return finallyOut;
  }

  private switchStatement(shape: SwitchShape, incoming: Frontier): Frontier {
    const header = this.newBlock(shape.header.start, shape.header.end, 'branch', false, incoming);
    const target = shape.fallsThrough ? this.pushTarget(false, true) : undefined;
    const out: Draft[] = [];
    let fallingThrough: Frontier = [];
    for (const clause of shape.cases) {
      const entry = this.newBlock(clause.header.start, clause.header.end, 'case', true, [header, ...fallingThrough]);
      const caseOut = this.sequence(clause.body, [entry]);
      if (shape.fallsThrough) fallingThrough = caseOut;
      else out.push(...caseOut);
    }
    if (target) {
      this.frames.pop();
      out.push(...fallingThrough, ...target.breaks);
    }
    if (!shape.cases.some((c) => c.catchesAll)) out.push(header);
    return unique(out);
  }

  private labeledStatement(name: string, label: number, body: SyntaxNode, incoming: Frontier): Frontier {
    const inner = this.reader.shapeOf(body);
    if (inner.kind === 'loop' || inner.kind === 'labeled' || (inner.kind === 'switch' && inner.fallsThrough)) {
      // The loop or switch owns the label: `continue outer` and `break outer` target it.
      this.pendingStatementLabels.push(name);
      return this.underLabel(label, undefined, () => this.statement(body, incoming));
    }
    const target = this.pushTarget(false, false, [name]);
    const out = this.underLabel(label, undefined, () => this.statement(body, incoming));
    this.frames.pop();
    return unique([...out, ...target.breaks]);
  }

  private newBlock(start: number, end: number, kind: BlockKind, open: boolean, incoming: Frontier): Draft {
    const label = this.pendingLabel;
    this.pendingLabel = undefined;
    const draft = newDraft(label ? Math.min(label.start, start) : start, end, kind === 'straight' ? (label?.kind ?? kind) : kind, open);
    this.blocks.push(draft);
    for (const block of incoming) link(block, draft);
    return draft;
  }

  /** Runs `build` with a keyword waiting to join the first block it creates; dropped if none is. */
  private underLabel<T>(start: number, kind: BlockKind | undefined, build: () => T): T {
    const outer = this.pendingLabel;
    this.pendingLabel = { start: Math.min(start, outer?.start ?? start), kind: kind ?? outer?.kind };
    const result = build();
    if (this.pendingLabel) this.pendingLabel = outer;
    return result;
  }

  private pushTarget(isLoop: boolean, takesPlainBreak: boolean, labels: string[] = []): JumpTarget {
    const target: JumpTarget = {
      kind: 'target',
      labels: [...labels, ...this.pendingStatementLabels],
      isLoop,
      takesPlainBreak,
      breaks: [],
      continues: [],
    };
    this.pendingStatementLabels = [];
    this.frames.push(target);
    return target;
  }

  /** Sends a jump to its target, through any `finally` in between. Returns leave the function. */
  private route(from: Draft, jump: Jump, depth = this.frames.length - 1): void {
    for (let i = depth; i >= 0; i--) {
      const frame = this.frames[i];
      if (frame.kind === 'finally') {
        frame.deferred.push({ from, jump, depth: i - 1 });
        return;
      }
      if (jump.kind === 'break' && (jump.label ? frame.labels.includes(jump.label) : frame.takesPlainBreak)) {
        frame.breaks.push(from);
        return;
      }
      if (jump.kind === 'continue' && frame.isLoop && (!jump.label || frame.labels.includes(jump.label))) {
        frame.continues.push(from);
        return;
      }
    }
  }
}

function finish(drafts: Draft[], source: string, lines: LineIndex): Block[] {
  const ordered = [...drafts].sort((a, b) => a.start - b.start);
  const ids = new Map(ordered.map((d, i) => [d, `b${i + 1}`]));
  return ordered.map((d) => ({
    id: ids.get(d)!,
    kind: d.kind,
    range: lines.rangeOf(d.start, d.end),
    text: source.slice(d.start, d.end),
    successors: d.successors.map((s) => ids.get(s)!),
  }));
}
