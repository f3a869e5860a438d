// Runs the tests of a folder with whichever frameworks it uses, one adapter per framework.
// Shared by the CLI and the editor.
import type { Framework, TestRunReport } from '../../core/failures/testFailure';
import type { RunSelection } from './adapter';
import { adapters, contextFor, withTempDir, type RunOptions } from './adapterRegistry';
import { checkPlainRun } from './plainRun';
import { findTestProjects, type TestProject } from './projects';

export { adapters, contextFor, withTempDir, type RunOptions } from './adapterRegistry';

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
  let report = await withTempDir((dir) => adapters[project.framework].run(contextFor(project, options, dir), effective));
  if (options.plainCheck) report = await checkPlainRun(project, report, options);
  return project.problems?.length ? { ...report, problems: [...project.problems, ...report.problems] } : report;
}

export interface FolderRun {
  readonly projects: TestProject[];
  readonly reports: TestRunReport[];
}

export async function runFolder(folder: string, framework: Framework | 'auto', options: RunOptions): Promise<FolderRun> {
  const projects = await findTestProjects(folder, framework, { signal: options.signal, sandbox: options.sandbox });
  const reports: TestRunReport[] = [];
  for (const project of projects) {
    if (options.signal?.aborted) break;
    reports.push(await runProject(project, options));
  }
  return { projects, reports };
}
