// The project folder an agent works in, and the only place its tools read from. Every path an
// agent gives (a test file, a target, a folder to run) is resolved here: relative to the folder,
// then through realpath, so `..`, absolute paths and symbolic links that lead outside are refused
// with the same message before anything is read or run.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AgentToolError } from './toolResult';

export class ProjectRoot {
  private constructor(
    /** The folder's real path (symbolic links resolved). */
    readonly path: string,
  ) {}

  /** The folder `dir` as a root; a clear error when it is missing or not a folder. */
  static async open(dir: string): Promise<ProjectRoot> {
    let real: string;
    try {
      real = await realpath(resolve(dir));
    } catch {
      throw new AgentToolError(`The project folder ${dir} does not exist.`);
    }
    if (!(await stat(real)).isDirectory()) throw new AgentToolError(`The project folder ${dir} is not a folder.`);
    return new ProjectRoot(real);
  }

  /**
   * The real path of `given` (relative to the root, or absolute), which must exist and lie inside
   * the root after following symbolic links.
   */
  async resolve(given: string, what = 'file'): Promise<string> {
    const path = this.lexical(given);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      // Say "outside" before "missing": a path outside the root gets the same answer either way.
      if (!this.contains(path)) throw this.outside(given);
      throw new AgentToolError(`No such ${what} in the project: ${given}`);
    }
    if (!this.contains(real)) throw this.outside(given, real !== path);
    return real;
  }

  /** Whether an absolute path lies inside the root (the root itself included), without touching the disk. */
  contains(path: string): boolean {
    const rel = relative(this.path, path);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  }

  /** How the agent should write a path of the project: relative, with forward slashes. */
  relative(path: string): string {
    const rel = relative(this.path, path);
    return (rel === '' ? '.' : rel).split(sep).join('/');
  }

  private lexical(given: string): string {
    return isAbsolute(given) ? resolve(given) : resolve(join(this.path, given));
  }

  private outside(given: string, viaLink = false): AgentToolError {
    return new AgentToolError(
      `${given} is outside the project folder ${this.path}${viaLink ? ' (a symbolic link leads out of it)' : ''}; Ducktrace reads and runs nothing outside it.`,
    );
  }
}
