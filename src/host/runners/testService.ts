// Runs the tests of a folder with whichever frameworks it uses, one adapter per framework.
// Shared by the CLI and the editor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Framework, TestRunReport } from '../../core/failures/testFailure';
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
    ...('testFiles' in project && project.testFiles ? { testFiles: project.testFiles } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
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
  const report = await withTempDir((dir) => adapters[project.framework].run(contextFor(project, options, dir), effective));
  return project.problems?.length ? { ...report, problems: [...project.problems, ...report.problems] } : report;
}

export interface FolderRun {
  readonly projects: TestProject[];
  readonly reports: TestRunReport[];
}

export async function runFolder(folder: string, framework: Framework | 'auto', options: RunOptions): Promise<FolderRun> {
  const projects = await findTestProjects(folder, framework, options.signal);
  const reports: TestRunReport[] = [];
  for (const project of projects) {
    if (options.signal?.aborted) break;
    reports.push(await runProject(project, options));
  }
  return { projects, reports };
}
