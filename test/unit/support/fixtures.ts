// Paths and a shared parser for unit tests. Tests run from out/test/unit/, fixtures stay in test/.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { segmentFunction, type Block } from '../../../src/core/blocks/basicBlocks';
import { listFunctions, type FunctionInfo } from '../../../src/core/blocks/functionFinder';
import { languageForFile, type SourceLanguage } from '../../../src/core/blocks/languages';
import { LineIndex } from '../../../src/core/blocks/positions';
import type { SyntaxTree } from '../../../src/core/blocks/syntaxNode';
import { TreeSitterParser } from '../../../src/host/treeSitter';

/** The repository root, found from out/test/unit/support. */
export const repoRoot = resolve(__dirname, '..', '..', '..', '..');

export function fixturePath(...parts: string[]): string {
  return join(repoRoot, 'test', 'fixtures', ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}

/** One parser for the whole test process: grammars load once. */
export const parser = new TreeSitterParser();

export interface ParsedFixture {
  readonly source: string;
  readonly language: SourceLanguage;
  readonly lines: LineIndex;
  readonly tree: SyntaxTree;
  readonly functions: FunctionInfo[];
  /** The function by qualified name; throws when there is none. */
  fn(name: string): FunctionInfo;
  blocks(name: string): Block[];
}

/** Parses source text (a fixture's, or one built by the test). Call `tree.delete()` when done. */
export async function parseSource(source: string, language: SourceLanguage): Promise<ParsedFixture> {
  const tree = await parser.parse(source, language);
  const lines = new LineIndex(source);
  const functions = listFunctions(tree.rootNode, language, lines);
  const fn = (name: string) => {
    const found = functions.find((f) => f.qualifiedName === name);
    if (!found) throw new Error(`no function ${name} in ${functions.map((f) => f.qualifiedName).join(', ')}`);
    return found;
  };
  return { source, language, lines, tree, functions, fn, blocks: (name) => segmentFunction(fn(name), source, language, lines) };
}

export async function parseFixture(...parts: string[]): Promise<ParsedFixture> {
  const language = languageForFile(parts[parts.length - 1]);
  if (!language) throw new Error(`no language for ${parts.join('/')}`);
  return parseSource(readFixture(...parts), language);
}

/** `b2 loop-header 12:4-12:24 -> b3,b7`: a block in one line, for exact comparisons. */
export function describeBlock(block: Block): string {
  const { start, end } = block.range;
  return `${block.id} ${block.kind} ${start.line}:${start.character}-${end.line}:${end.character} -> ${block.successors.join(',')}`;
}

/**
 * A folder of the shared benchmark material (`../shared/bench/NAME` beside the checkout; from a
 * worktree in `wt/`, one level further up), or the first candidate when neither exists.
 */
export function sharedBench(...parts: string[]): string {
  const candidates = [join(repoRoot, '..', 'shared', 'bench', ...parts), join(repoRoot, '..', '..', 'shared', 'bench', ...parts)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}
