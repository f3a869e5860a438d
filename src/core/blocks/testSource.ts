// The failing test's own source, as the duck's prompt shows it: the test function (with its
// decorators) inside its `describe` chain or class, the hooks that run before it, and the short
// helpers, constants and pytest fixtures it uses from the same file (or a conftest.py), with the
// other tests left out and marked. Over the syntax tree (tree-sitter), never by regular
// expressions over the text, so strings, comments and template literals cannot confuse it.
//
// The entry point; the JavaScript side is jsTestSource.ts, the Python side pythonTestSource.ts, what
// they share testSourceParts.ts.

import { familyOf, type SourceLanguage } from './languages';
import { extractJs } from './jsTestSource';
import { extractPython } from './pythonTestSource';
import type { SyntaxNode } from './syntaxNode';
import type { ExtractedTest, FixtureSource, TestIdentity } from './testSourceParts';

export type { ExtractedTest, FixtureSource, TestIdentity } from './testSourceParts';

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

export function extractTestSource(root: SyntaxNode, source: string, language: SourceLanguage, test: TestIdentity, options: TestSourceOptions = {}): ExtractedTest | undefined {
  const text = source.replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  const opts = { maxHelperLines: options.maxHelperLines ?? 30, maxHelpers: options.maxHelpers ?? 4, exclude: new Set(options.exclude ?? []), fixtureSources: options.fixtureSources ?? [] };
  return familyOf(language) === 'python' ? extractPython(root, text, lines, test, opts) : extractJs(root, text, lines, test, opts);
}
