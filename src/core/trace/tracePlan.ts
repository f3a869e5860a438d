// What a tracer needs to know about its target, computed once from the function's blocks: which
// block each line belongs to, and which fields of self/this the function touches. The tracers
// (Python and JavaScript) receive this as JSON and never parse source themselves.

import type { Block } from '../blocks/basicBlocks';
import type { FunctionBlocks } from '../blocks/functionBlocks';
import type { TraceBudget } from './traceModel';

export interface TracePlan {
  readonly file: string;
  readonly language: string;
  /** The function's own name (Python's `co_name`), `<lambda>` or `<anonymous>` for unnamed ones. */
  readonly name: string;
  /** Ducktrace's dotted name: `Cart.total`, `outer.inner`. */
  readonly qualifiedName: string;
  /** 1-based lines of the function's definition (the `def`/`function` keyword, not decorators). */
  readonly firstLine: number;
  readonly lastLine: number;
  /** Line -> the block that owns it; where two blocks share a line, the earlier one. */
  readonly lineBlocks: Readonly<Record<string, string>>;
  /** Block id -> its first line: a jump back to this line starts a new visit. */
  readonly blockFirstLines: Readonly<Record<string, number>>;
  /** Blocks that may follow themselves (a loop of one block): re-entering them is a new visit. */
  readonly selfLoopBlocks: readonly string[];
  /**
   * `except`/`catch` blocks: their first line is the clause's header, which Python runs to test
   * whether the exception matches; the block runs only when a line of its body (or, on one line,
   * what follows) does.
   */
  readonly handlerBlocks?: readonly string[];
  /** `finally` blocks: they run whether an exception passes through or not. */
  readonly finallyBlocks?: readonly string[];
  /** `self.x` / `this.x` names the function reads or writes, traced as variables `self.x`. */
  readonly selfFields: readonly string[];
  readonly budget: TraceBudget;
}

/** The last line a block covers (its range's end is exclusive: a block ending at column 0 ends on the line before). */
export function lastLineOf(block: Block): number {
  const { start, end } = block.range;
  return end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
}

/** Line -> block for one function; each line goes to the first block that holds it. */
export function lineBlockMap(blocks: readonly Block[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const block of blocks) {
    for (let line = block.range.start.line; line <= lastLineOf(block); line++) {
      if (!(line in map)) map[String(line)] = block.id;
    }
  }
  return map;
}

/** Fields of `self` (Python) or `this` (JavaScript) the function's text touches, in order of appearance. */
export function touchedSelfFields(text: string, family: 'python' | 'javascript'): string[] {
  const pattern = family === 'python' ? /\bself\.([A-Za-z_]\w*)/g : /\bthis\.(#?[A-Za-z_$][\w$]*)/g;
  const fields: string[] = [];
  for (const match of text.matchAll(pattern)) if (!fields.includes(match[1])) fields.push(match[1]);
  return fields;
}

export function tracePlanOf(file: string, fn: FunctionBlocks, functionText: string, budget: TraceBudget): TracePlan {
  const family = fn.language === 'python' ? 'python' : 'javascript';
  const qualifiedName = fn.function.name;
  const name = qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1);
  const blockFirstLines: Record<string, number> = {};
  for (const block of fn.blocks) blockFirstLines[block.id] = block.range.start.line;
  return {
    file,
    language: fn.language,
    name,
    qualifiedName,
    firstLine: fn.function.range.start.line,
    lastLine: fn.function.range.end.line,
    lineBlocks: lineBlockMap(fn.blocks),
    blockFirstLines,
    selfLoopBlocks: fn.blocks.filter((b) => b.successors.includes(b.id)).map((b) => b.id),
    handlerBlocks: fn.blocks.filter((b) => b.kind === 'handler').map((b) => b.id),
    finallyBlocks: fn.blocks.filter((b) => b.kind === 'finally').map((b) => b.id),
    selfFields: touchedSelfFields(functionText, family),
    budget,
  };
}
