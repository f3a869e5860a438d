// The one adapter of each framework, and what every run of one needs: its options, its context,
// a scratch folder for its reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Framework } from '../../core/failures/testFailure';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import type { FrameworkAdapter, RunnerContext } from './adapter';
import { jestAdapter } from './jestAdapter';
import { mochaAdapter } from './mochaAdapter';
import { nodeTestAdapter } from './nodeTestAdapter';
import type { TestProject } from './projects';
import { pytestAdapter } from './pytestAdapter';
import { vitestAdapter } from './vitestAdapter';

export const adapters: Record<Framework, FrameworkAdapter> = {
  pytest: pytestAdapter,
  node: nodeTestAdapter,
  jest: jestAdapter,
  vitest: vitestAdapter,
  mocha: mochaAdapter,
};

export interface RunOptions {
  readonly helpersDir: string;
  readonly python: string;
  readonly testTimeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string) => void;
  /**
   * After the run, run its failing tests once more the plain way (the project's own command,
   * untouched environment) and set `failure.plainRun` (see plainRun.ts). Only before any file
   * was changed: it tells a failure of the code from one that happens only under Ducktrace.
   */
  readonly plainCheck?: boolean;
  /**
   * Runs fenced (bubblewrap) after a model's change: every runner start of the run (discovery
   * included); each run's report folder is added as writable.
   */
  readonly sandbox?: SandboxSpec;
}

/** A scratch folder for reports, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-run-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function contextFor(project: Pick<TestProject, 'root'> & Partial<Pick<TestProject, 'testFiles'>>, options: RunOptions, tempDir: string): RunnerContext {
  return {
    cwd: project.root,
    helpersDir: options.helpersDir,
    python: options.python,
    testTimeoutMs: options.testTimeoutMs,
    tempDir,
    ...(project.testFiles ? { testFiles: project.testFiles } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.sandbox ? { sandbox: withWritable(options.sandbox, tempDir) } : {}),
  };
}
