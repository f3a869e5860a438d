// Suspicious blocks on HumanEvalFix-JS (../shared/bench/humanevalfix-js: 81 buggy functions with
// node:test tests), the ranking as `ducktrace localize` does it (the JavaScript coverage mode, the
// traced runs, the ranking), each task's plain `node --test solution.test.js` beside it for the
// cost ratio. Scored like QuixBugs (suspicionScoring.ts), with its baselines in the same run.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localize } from '../src/host/localize/localize';
import { runProcessTree } from '../src/host/process/processTree';
import type { BenchSection } from './benchTypes';
import { benchMutantBudget, cachedCollection, inParallel, suspicionFigures, type ProgramEvidence } from './suspicionScoring';

export interface HumanEvalFixTask {
  readonly task: string;
  readonly target: string;
  readonly bug_lines: number[];
}

/** Where HumanEvalFix-JS lives (beside the project, never inside it). */
export function humanEvalFixDir(repoRoot: string): string | undefined {
  const dir = process.env.DUCKTRACE_HUMANEVALFIX_JS ?? join(repoRoot, '../shared/bench/humanevalfix-js');
  return existsSync(join(dir, 'tasks.json')) ? dir : undefined;
}

export function humanEvalFixTasks(dir: string): HumanEvalFixTask[] {
  return JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')) as HumanEvalFixTask[];
}

export const suspicionJsBench: BenchSection = {
  name: 'suspicionJs',
  async run({ repoRoot }) {
    const dir = humanEvalFixDir(repoRoot);
    if (!dir) return [{ key: 'humanevalfix.top1', label: 'suspicion on HumanEvalFix-JS', value: null, note: 'skipped: ../shared/bench/humanevalfix-js not found (DUCKTRACE_HUMANEVALFIX_JS names it)' }];
    const tasks = humanEvalFixTasks(dir);
    const collected = await cachedCollection('humanevalfix', () => inParallel(tasks, 2, async (task): Promise<ProgramEvidence> => {
      const cwd = join(dir, 'tasks', task.task);
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const plain = await runProcessTree('node', ['--test', 'solution.test.js'], { cwd, env, timeoutMs: 300_000 });
      // The function holding the first buggy line (tasks.json's names differ in case from the code's now and then).
      const result = await localize({ cwd, target: { file: 'solution.js', function: String(task.bug_lines[0]) }, testFiles: ['solution.test.js'], testTimeoutSeconds: 30, timeoutMs: 300_000, mutantBudget: benchMutantBudget });
      const traced = result.values?.tests ?? [];
      return {
        program: task.task,
        blocks: result.target.blocks.blocks,
        bugLines: task.bug_lines,
        spectra: result.run.spectra,
        records: result.run.records,
        traced,
        ...(result.mutation ? { mutants: result.mutation.mutants, mutantRun: { outcomes: result.mutation.run.outcomes, elapsedMs: result.mutation.run.elapsedMs } } : {}),
        rankMs: result.elapsedMs,
        coverageMs: result.run.elapsedMs,
        plainMs: plain.elapsedMs,
      };
    }));
    return suspicionFigures('humanevalfix', 'HumanEvalFix-JS', collected, { top1: '≥ 53 / 81 (65%)', top3: '≥ 73 / 81 (90%)' });
  },
};
