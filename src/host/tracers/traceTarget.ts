// From `FILE:FUNCTION` to the plan a tracer runs with: the function's blocks (tree-sitter), the
// line -> block map, the self/this fields it touches, and the budget.

import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { blocksOfFunction, type FunctionBlocks } from '../../core/blocks/functionBlocks';
import type { FunctionSelector } from '../../core/blocks/functionFinder';
import { languageForFile, type SourceLanguage } from '../../core/blocks/languages';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { tracePlanOf, type TracePlan } from '../../core/trace/tracePlan';
import { normalizeTraceBudget, type TraceBudget } from '../../core/trace/traceModel';
import { TreeSitterParser } from '../treeSitter';

export interface TargetSpec {
  /** Absolute, or relative to the run's cwd. */
  readonly file: string;
  /** `gcd`, `Cart.total`, `outer.inner`, `default`; or a line number: the function holding that line. */
  readonly function: string;
}

export interface ResolvedTarget {
  readonly file: string;
  readonly language: SourceLanguage;
  readonly source: string;
  readonly blocks: FunctionBlocks;
  readonly plan: TracePlan;
}

/** `path/to/file.py:Class.method` -> { file, function }; the last colon splits (Windows drive letters survive). */
export function parseTargetSpec(text: string): TargetSpec | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  const file = text.slice(0, colon);
  const fn = text.slice(colon + 1);
  return { file, function: fn };
}

let sharedParser: SourceParser | undefined;

export async function resolveTarget(cwd: string, target: TargetSpec, budget: Partial<TraceBudget> = {}, parser?: SourceParser): Promise<ResolvedTarget> {
  const file = isAbsolute(target.file) ? target.file : resolve(cwd, target.file);
  const language = languageForFile(file);
  if (!language) throw new Error(`${target.file}: not a Python, JavaScript, TypeScript or TSX file`);
  const source = await readFile(file, 'utf8');
  return targetInText(file, language, source, /^\d+$/.test(target.function) ? { line: Number(target.function) } : { name: target.function }, normalizeTraceBudget(budget), parser);
}

async function targetInText(file: string, language: SourceLanguage, source: string, selector: FunctionSelector, budget: TraceBudget, parser?: SourceParser): Promise<ResolvedTarget> {
  const blocks = await blocksOfFunction(source, language, parser ?? (sharedParser ??= new TreeSitterParser()), selector);
  const lines = new LineIndex(source);
  const { start, end } = blocks.function.range;
  const text = source.slice(lines.offsetAt(start), lines.offsetAt(end));
  return { file, language, source, blocks, plan: tracePlanOf(file, blocks, text, budget) };
}

/**
 * The same function in another text of its file (a mutant's): its blocks and plan read from that
 * text, the file on disk untouched. Found again by the line it starts on.
 */
export function targetWithSource(target: ResolvedTarget, source: string, parser?: SourceParser): Promise<ResolvedTarget> {
  return targetInText(target.file, target.language, source, { line: target.blocks.function.range.start.line }, target.plan.budget, parser);
}
