// Loads web-tree-sitter and its grammars, each once per process, from absolute paths: the
// extension passes its own folder, the CLI and tests find the repository's. Loading is lazy so
// that activating the extension costs nothing until a file is first segmented.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Language, Parser } from 'web-tree-sitter';
import type { SourceLanguage } from '../core/blocks/languages';
import type { SourceParser, SyntaxTree } from '../core/blocks/syntaxNode';

export interface TreeSitterPaths {
  /** Folder holding tree-sitter-python.wasm, tree-sitter-javascript.wasm, ... */
  readonly grammarsDir: string;
  /** web-tree-sitter's own runtime, web-tree-sitter.wasm. */
  readonly runtimeWasm: string;
}

const grammarFiles: Readonly<Record<SourceLanguage, string>> = {
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
};

type TreeSitterModule = typeof import('web-tree-sitter');

let runtime: Promise<TreeSitterModule> | undefined;
const grammars = new Map<string, Promise<Language>>();

/** The grammars and runtime of an extension or repository folder. */
export function treeSitterPathsIn(root: string): TreeSitterPaths {
  const bundled = join(root, 'dist', 'web-tree-sitter.wasm');
  const installed = join(root, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm');
  return { grammarsDir: join(root, 'grammars'), runtimeWasm: existsSync(bundled) ? bundled : installed };
}

/**
 * The repository's (or installed extension's) folders, found by walking up from this file: it
 * runs from out/src/host (unit tests) or dist (the bundles).
 */
export function defaultTreeSitterPaths(from = __dirname): TreeSitterPaths {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'grammars', grammarFiles.python))) return treeSitterPathsIn(dir);
    if (dirname(dir) === dir) {
      throw new Error(`tree-sitter grammars not found above ${from}: run 'npm run build' to copy them into grammars/`);
    }
  }
}

/** Initialises the wasm runtime. Only the first call's path counts: the runtime is process-wide. */
export function loadTreeSitterRuntime(runtimeWasm: string): Promise<TreeSitterModule> {
  if (!runtime) {
    const loading = (async () => {
      if (!existsSync(runtimeWasm)) throw new Error(`web-tree-sitter runtime not found at ${runtimeWasm}: run 'npm run build'`);
      const module = await import('web-tree-sitter');
      await module.Parser.init({ locateFile: () => runtimeWasm });
      return module;
    })();
    // A failed load should not poison later attempts with a corrected path.
    loading.catch(() => {
      if (runtime === loading) runtime = undefined;
    });
    runtime = loading;
  }
  return runtime;
}

/** Loads a grammar once per file; safe to call concurrently. */
export function loadGrammar(paths: TreeSitterPaths, language: SourceLanguage): Promise<Language> {
  const file = join(paths.grammarsDir, grammarFiles[language]);
  let grammar = grammars.get(file);
  if (!grammar) {
    grammar = (async () => {
      const { Language } = await loadTreeSitterRuntime(paths.runtimeWasm);
      if (!existsSync(file)) throw new Error(`tree-sitter grammar for ${language} not found at ${file}: run 'npm run build'`);
      return Language.load(file);
    })();
    grammars.set(file, grammar);
    const loading = grammar;
    loading.catch(() => {
      if (grammars.get(file) === loading) grammars.delete(file);
    });
  }
  return grammar;
}

/** A `SourceParser` over web-tree-sitter, with one parser per language. Callers delete the trees. */
export class TreeSitterParser implements SourceParser {
  private readonly parsers = new Map<SourceLanguage, Promise<Parser>>();

  constructor(private readonly paths: TreeSitterPaths = defaultTreeSitterPaths()) {}

  async parse(text: string, language: SourceLanguage): Promise<SyntaxTree> {
    const parser = await this.parserFor(language);
    const tree = parser.parse(text);
    if (!tree) throw new Error(`tree-sitter returned no tree for a ${language} file`);
    return tree;
  }

  /** Loads the runtime and a grammar ahead of time (and lets a benchmark time it). */
  async preload(language: SourceLanguage): Promise<void> {
    await this.parserFor(language);
  }

  private parserFor(language: SourceLanguage): Promise<Parser> {
    let parser = this.parsers.get(language);
    if (!parser) {
      parser = (async () => {
        const grammar = await loadGrammar(this.paths, language);
        const { Parser } = await loadTreeSitterRuntime(this.paths.runtimeWasm);
        return new Parser().setLanguage(grammar);
      })();
      this.parsers.set(language, parser);
      const loading = parser;
      loading.catch(() => {
        if (this.parsers.get(language) === loading) this.parsers.delete(language);
      });
    }
    return parser;
  }
}
