// The `SourceFiles` port over the file system.

import { readFile } from 'node:fs/promises';
import type { SourceFiles } from '../core/blocks/sourceFiles';

export class NodeSourceFiles implements SourceFiles {
  async read(file: string): Promise<string | undefined> {
    try {
      return await readFile(file, 'utf8');
    } catch {
      // Missing, a directory, or unreadable: to the caller all mean "no such source".
      return undefined;
    }
  }
}
