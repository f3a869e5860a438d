// The test files of a folder that mention a target by name: the tests that can reach it, for the
// suspicion ranking's coverage runs (Python and JavaScript). A bounded walk, sorted, skipping hidden
// folders and the ones that hold installed or generated code.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface TestFileWalk {
  /** Folder names never entered (besides hidden ones). */
  readonly skippedDirs: ReadonlySet<string>;
  /** Whether a file (its name, and its path) is a test file of the language. */
  readonly isTestFile: (name: string, path: string) => boolean;
  /** A last check on a test file's text (e.g. that it defines tests at all). */
  readonly accept?: (text: string, path: string) => boolean | Promise<boolean>;
  /** At most this many entries are looked at. */
  readonly maxFiles: number;
}

/** Words that name the target: its module (the file's name) and its function, whole words only. */
export function targetWords(targetFile: string, functionName: string, extension: RegExp, identifier: RegExp): RegExp[] {
  const moduleName = basename(targetFile).replace(extension, '');
  const simpleName = functionName.slice(functionName.lastIndexOf('.') + 1);
  return [moduleName, simpleName]
    .filter((w) => identifier.test(w) && w !== 'default' && w !== '<anonymous>')
    .map((w) => new RegExp(`(^|[^\\w$])${w.replace(/[$]/g, '\\$')}($|[^\\w$])`));
}

/** Absolute paths of the test files under `cwd` whose text matches one of `words`, in walk order. */
export async function testFilesMentioning(cwd: string, words: readonly RegExp[], walk: TestFileWalk): Promise<string[]> {
  const found: string[] = [];
  let seen = 0;
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (seen++ > walk.maxFiles) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !walk.skippedDirs.has(entry.name)) await visit(path);
      } else if (walk.isTestFile(entry.name, path)) {
        const text = await readFile(path, 'utf8').catch(() => '');
        if (words.some((w) => w.test(text)) && (!walk.accept || (await walk.accept(text, path)))) found.push(path);
      }
    }
  };
  await visit(cwd);
  return found;
}
