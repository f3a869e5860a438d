// Where the QuixBugs benchmark lives (beside the project, never inside it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function quixbugsDir(repoRoot: string): string | undefined {
  const dir = process.env.DUCKTRACE_QUIXBUGS ?? join(repoRoot, '../shared/bench/quixbugs');
  return existsSync(join(dir, 'bug_lines.json')) ? dir : undefined;
}

/** Program name -> 1-based buggy lines. */
export function bugLines(dir: string): Record<string, number[]> {
  return JSON.parse(readFileSync(join(dir, 'bug_lines.json'), 'utf8'));
}
