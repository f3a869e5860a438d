// The languages Ducktrace segments, and how a file name maps to one. Each has its own grammar
// (TypeScript and TSX are separate grammars: `<T>x` means different things in each).

export type SourceLanguage = 'python' | 'javascript' | 'typescript' | 'tsx';

export const sourceLanguages: readonly SourceLanguage[] = ['python', 'javascript', 'typescript', 'tsx'];

const languageByExtension: Readonly<Record<string, SourceLanguage>> = {
  '.py': 'python',
  '.pyi': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
};

/** The language of a file by its extension, or undefined when Ducktrace has no grammar for it. */
export function languageForFile(file: string): SourceLanguage | undefined {
  const dot = file.lastIndexOf('.');
  if (dot < 0 || dot < Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'))) return undefined;
  return languageByExtension[file.slice(dot).toLowerCase()];
}

/** JavaScript, TypeScript and TSX share statement shapes; Python has its own. */
export type LanguageFamily = 'python' | 'javascript';

export function familyOf(language: SourceLanguage): LanguageFamily {
  return language === 'python' ? 'python' : 'javascript';
}

/** File extensions a module specifier may omit, in the order resolvers try them. */
export function moduleExtensions(family: LanguageFamily): readonly string[] {
  return family === 'python' ? ['.py'] : ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
}
