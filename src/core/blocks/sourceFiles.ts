// The core reads source files through this port: the host implements it over the file system,
// tests and the editor (for unsaved buffers) over memory.

export interface SourceFiles {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  read(file: string): Promise<string | undefined>;
}

/** Files held in memory, keyed by path. */
export class InMemorySourceFiles implements SourceFiles {
  private readonly files: Map<string, string>;

  constructor(files: Iterable<readonly [string, string]> = []) {
    this.files = new Map(files);
  }

  set(file: string, text: string): this {
    this.files.set(file, text);
    return this;
  }

  async read(file: string): Promise<string | undefined> {
    return this.files.get(file);
  }
}
