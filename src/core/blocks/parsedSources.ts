// The sources one target search parses, each parsed once and freed when the search ends.

import { normalize } from 'node:path';
import { listFunctions, type FunctionInfo } from './functionFinder';
import { readImports, type ImportBinding } from './imports';
import { familyOf, languageForFile, type LanguageFamily, type SourceLanguage } from './languages';
import { LineIndex } from './positions';
import type { SourceFiles } from './sourceFiles';
import type { SourceParser, SyntaxTree } from './syntaxNode';

export interface ParsedSource {
  readonly file: string;
  readonly language: SourceLanguage;
  readonly family: LanguageFamily;
  readonly tree: SyntaxTree;
  readonly functions: readonly FunctionInfo[];
  readonly imports: readonly ImportBinding[];
}

export class ParsedSources {
  private readonly parsed = new Map<string, Promise<ParsedSource | undefined>>();
  private readonly done: ParsedSource[] = [];

  constructor(
    private readonly files: SourceFiles,
    private readonly parser: SourceParser,
    private readonly isWorkspaceSource: (file: string) => boolean,
  ) {}

  get(file: string): Promise<ParsedSource | undefined> {
    const path = normalize(file);
    let entry = this.parsed.get(path);
    if (!entry) {
      entry = this.isWorkspaceSource(path) ? this.load(path) : Promise.resolve(undefined);
      this.parsed.set(path, entry);
    }
    return entry;
  }

  /** Every source parsed so far in this search. */
  loaded(): readonly ParsedSource[] {
    return this.done;
  }

  private async load(file: string): Promise<ParsedSource | undefined> {
    const language = languageForFile(file);
    const text = language ? await this.files.read(file) : undefined;
    if (!language || text === undefined) return undefined;
    const tree = await this.parser.parse(text, language);
    const lines = new LineIndex(text);
    const source: ParsedSource = {
      file,
      language,
      family: familyOf(language),
      tree,
      functions: listFunctions(tree.rootNode, language, lines),
      imports: readImports(tree.rootNode, language),
    };
    this.done.push(source);
    return source;
  }

  dispose(): void {
    for (const entry of this.parsed.values()) void entry.then((source) => source?.tree.delete(), () => undefined);
    this.parsed.clear();
  }
}
