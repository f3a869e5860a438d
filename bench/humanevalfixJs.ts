// Where the HumanEvalFix JavaScript tasks live (beside the project, never inside it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HumanEvalFixTask {
  readonly task: string;
  readonly task_id: string;
  /** The buggy function's name. */
  readonly target: string;
  /** 1-based lines of solution.js that the fix changes. */
  readonly bug_lines: readonly number[];
}

export function humanevalfixJsDir(repoRoot: string): string | undefined {
  const dir = process.env.DUCKTRACE_HUMANEVALFIX_JS ?? join(repoRoot, '../shared/bench/humanevalfix-js');
  return existsSync(join(dir, 'tasks.json')) ? dir : undefined;
}

export function humanevalfixTasks(dir: string): HumanEvalFixTask[] {
  return JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8'));
}
