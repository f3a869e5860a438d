// Runs the tests of a folder with whichever frameworks it uses, one adapter per framework.
// Shared by the CLI and the editor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Framework, TestRunReport } from '../../core/failures/testFailure';
import { withWritable, type SandboxSpec } from '../process/sandbox';
import type { FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { jestAdapter } from './jestAdapter';
import { nodeTestAdapter } from './nodeTestAdapter';
import { findTestProjects, type TestProject } from './projects';
import { pytestAdapter } from './pytestAdapter';
import { vitestAdapter } from './vitestAdapter';

export const adapters: Record<Framework, FrameworkAdapter> = {
  pytest: pytestAdapter,
  node: nodeTestAdapter,
  jest: jestAdapter,
  vitest: vitestAdapter,
};

export interface RunOptions {
  readonly helpersDir: string;
  readonly python: string;
  readonly testTimeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string) => void;
  /** Runs fenced (bubblewrap) after a model's change; each run's report folder is added as writable. */
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

export function contextFor(project: Pick<TestProject, 'root'>, options: RunOptions, tempDir: string): RunnerContext {
  return {
    cwd: project.root,
    helpersDir: options.helpersDir,
    python: options.python,
    testTimeoutMs: options.testTimeoutMs,
    tempDir,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.sandbox ? { sandbox: withWritable(options.sandbox, tempDir) } : {}),
  };
}

/**
 * What a run of the whole project really selects. A JavaScript runner started in a monorepo root
 * without files (node --test, jest, vitest) would also run the nested projects' tests, from the
 * wrong folder and twice: name this project's own files instead. Undefined: nothing to run.
 */
export function projectSelection(project: TestProject, selection: RunSelection): RunSelection | undefined {
  if (project.framework === 'pytest' || !project.hasNestedProjects || selection.files?.length || selection.tests?.length) return selection;
  return project.testFiles.length ? { files: project.testFiles } : undefined;
}

export async function runProject(project: TestProject, options: RunOptions, selection: RunSelection = {}): Promise<TestRunReport> {
  const effective = projectSelection(project, selection);
  if (!effective) return { framework: project.framework, cwd: project.root, results: [], problems: [] };
  return withTempDir((dir) => adapters[project.framework].run(contextFor(project, options, dir), effective));
}

export interface FolderRun {
  readonly projects: TestProject[];
  readonly reports: TestRunReport[];
}

export async function runFolder(folder: string, framework: Framework | 'auto', options: RunOptions): Promise<FolderRun> {
  const projects = findTestProjects(folder, framework);
  const reports: TestRunReport[] = [];
  for (const project of projects) {
    if (options.signal?.aborted) break;
    reports.push(await runProject(project, options));
  }
  return { projects, reports };
}
