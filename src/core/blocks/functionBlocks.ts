// One call from source text to a function's blocks: what the CLI, the editor and benchmarks use.

import { segmentFunction, type Block } from './basicBlocks';
import { selectFunction, type FunctionSelector } from './functionFinder';
import type { SourceLanguage } from './languages';
import { LineIndex, type SourceRange } from './positions';
import type { SourceParser } from './syntaxNode';

export interface FunctionBlocks {
  readonly language: SourceLanguage;
  readonly function: { readonly name: string; readonly range: SourceRange };
  readonly blocks: readonly Block[];
}

/** Parses `source`, finds the selected function and segments it. Throws `BlocksError`s. */
export async function blocksOfFunction(
  source: string,
  language: SourceLanguage,
  parser: SourceParser,
  selector: FunctionSelector,
): Promise<FunctionBlocks> {
  const tree = await parser.parse(source, language);
  try {
    const lines = new LineIndex(source);
    const fn = selectFunction(tree.rootNode, language, lines, selector);
    return {
      language,
      function: { name: fn.qualifiedName, range: fn.range },
      blocks: segmentFunction(fn, source, language, lines),
    };
  } finally {
    tree.delete();
  }
}
