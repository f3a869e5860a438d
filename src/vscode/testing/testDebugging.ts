// The Testing view's Debug profile: the chosen tests run under the debugger that fits them, with
// the same report the Run profile reads, so a debug run shows its outcomes too. JavaScript (node's
// runner, jest, vitest) through VS Code's built-in JavaScript debugger (a `node` launch, child
// processes attached); Python through the Python Debugger extension (`debugpy`) when installed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiscoveredTest, Framework, TestCaseResult, TestRunReport } from '../../core/failures/testFailure';
import { withTempDir } from '../../host/runners/testService';
import { parseJestJson } from '../../core/failures/jestReport';
import { parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import { parsePytestJunit } from '../../core/failures/pytestReport';
import { filesOf, namePattern } from '../../host/runners/jsRunners';
import { pythonInterpreter } from './pythonInterpreter';

type SelectedTest = Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'>;

export interface DebugPlan {
  readonly config: vscode.DebugConfiguration;
  /** Reads the outcomes once the session has ended. */
  readonly results: () => TestCaseResult[];
}

/** Why these tests cannot be debugged here, or undefined. */
export function debugUnavailable(framework: Framework, root: string): string | undefined {
  if (framework === 'pytest') {
    return vscode.extensions.getExtension('ms-python.debugpy') || vscode.extensions.getExtension('ms-python.python')
      ? undefined
      : 'Debugging a Python test needs the Python Debugger extension (ms-python.debugpy). Install it, or use Run.';
  }
  if (framework === 'jest' && !fs.existsSync(path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'))) return `jest is not installed in ${root}: run npm install there.`;
  if (framework === 'vitest' && !fs.existsSync(path.join(root, 'node_modules', 'vitest', 'vitest.mjs'))) return `vitest is not installed in ${root}: run npm install there.`;
  if (framework === 'mocha') return 'Debugging mocha tests from the Testing view is not supported yet: use Run, or a launch configuration of your own.';
  return undefined;
}

/** The launch configuration for `tests` of one project, writing its report into `tempDir`. */
export function debugPlan(framework: Framework, root: string, tests: readonly SelectedTest[], options: { helpersDir: string; tempDir: string; python: string }): DebugPlan {
  const selection = { tests };
  const files = filesOf(selection);
  const name = `Ducktrace: debug ${tests.length === 1 ? tests[0]!.name : `${tests.length} tests`}`;
  const js = { type: 'node', request: 'launch', name, cwd: root, console: 'internalConsole', autoAttachChildProcesses: true, skipFiles: ['<node_internals>/**'] };
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  switch (framework) {
    case 'node': {
      const report = path.join(options.tempDir, 'node.jsonl');
      // Node 20 matches a test by its own name (suites are matched separately).
      const pattern = namePattern({ tests: tests.map((t) => ({ ...t, suitePath: [] })) });
      const runtimeArgs = ['--test', `--test-reporter=${path.join(options.helpersDir, 'nodeTestReporter.js')}`, `--test-reporter-destination=${report}`, '--test-reporter=spec', '--test-reporter-destination=stdout', ...(pattern ? [`--test-name-pattern=${pattern}`] : []), ...files];
      return { config: { ...js, runtimeExecutable: 'node', runtimeArgs }, results: () => parseNodeTestEvents(read(report) ?? '', root) };
    }
    case 'jest': {
      const report = path.join(options.tempDir, 'jest.json');
      const pattern = namePattern(selection);
      const args = ['--runInBand', '--json', '--testLocationInResults', `--outputFile=${report}`, '--testTimeout=0', ...(pattern ? ['-t', pattern] : []), ...files.map((f) => `^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)];
      return { config: { ...js, program: path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), args }, results: () => parseJestJson(read(report) ?? '{}', 'jest', root) };
    }
    case 'vitest': {
      const report = path.join(options.tempDir, 'vitest.json');
      const pattern = namePattern(selection);
      const args = ['run', '--no-file-parallelism', '--reporter=json', '--includeTaskLocation', `--outputFile=${report}`, '--testTimeout=0', ...(pattern ? ['-t', pattern] : []), ...files];
      return { config: { ...js, program: path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), args }, results: () => parseJestJson(read(report) ?? '{}', 'vitest', root) };
    }
    case 'mocha':
      throw new Error('Debugging mocha tests is not supported yet.');
    case 'pytest': {
      const report = path.join(options.tempDir, 'junit.xml');
      const ids = tests.map((t) => t.nodeId ?? path.relative(root, t.file).split(path.sep).join('/'));
      const env = { PYTHONPATH: [options.helpersDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
      const args = ['-p', 'no:cacheprovider', `--junitxml=${report}`, '-o', 'junit_family=xunit1', '-q', ...ids];
      return {
        config: { type: 'debugpy', request: 'launch', name, module: 'pytest', args, cwd: root, env, python: options.python, console: 'internalConsole', justMyCode: true, purpose: [] },
        results: () => {
          const xml = read(report);
          return xml ? parsePytestJunit(xml, { rootdir: root, cwd: root }) : [];
        },
      };
    }
  }
}

/** Starts the session as part of `run` and resolves when it has ended (false: it could not start). */
export async function debugUntilEnd(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration, run: vscode.TestRun, token: vscode.CancellationToken): Promise<boolean> {
  let session: vscode.DebugSession | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const subs = [
    vscode.debug.onDidStartDebugSession((s) => {
      if (!session && s.name === config.name) session = s;
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (session && s.id === session.id) resolveEnded();
    }),
    token.onCancellationRequested(() => {
      if (session) void vscode.debug.stopDebugging(session);
      resolveEnded();
    }),
  ];
  try {
    if (!(await vscode.debug.startDebugging(folder, config, { testRun: run }))) return false;
    await ended;
    return true;
  } finally {
    subs.forEach((s) => s.dispose());
  }
}

/**
 * The Debug profile: one project's chosen tests under the debugger that fits them; once the
 * session has ended, their outcomes from the report, shown as a run's.
 */
/** What the Debug profile needs of the test controller. */
export interface DebugHost {
  readonly controller: vscode.TestController;
  readonly helpersDir: string;
  groupsOf(request: vscode.TestRunRequest): Map<vscode.TestItem, { readonly project: { readonly root: string; readonly framework: Framework }; readonly leaves: vscode.TestItem[] }>;
  testOf(item: vscode.TestItem): SelectedTest | undefined;
  report(run: vscode.TestRun, projectItem: vscode.TestItem, report: TestRunReport): void;
}

export async function debugTests(tests: DebugHost, request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Ducktrace runs no tests in an untrusted workspace.');
    return;
  }
  const groups = [...tests.groupsOf(request)].filter(([, g]) => g.leaves.length);
  const [first] = groups;
  if (!first) {
    void vscode.window.showInformationMessage('Ducktrace: choose a test (or a file or folder of tests) to debug.');
    return;
  }
  if (groups.length > 1) void vscode.window.showInformationMessage('Ducktrace debugs the tests of one project at a time; the others were left out.');
  const [projectItem, { project, leaves }] = first;
  const unavailable = debugUnavailable(project.framework, project.root);
  if (unavailable) {
    void vscode.window.showWarningMessage(`Ducktrace: ${unavailable}`);
    return;
  }
  const selected = leaves.flatMap((l) => tests.testOf(l) ?? []);
  const run = tests.controller.createTestRun(request, `Debug: ${selected.length === 1 ? selected[0]!.name : `${selected.length} tests`}`);
  try {
    for (const l of leaves) run.started(l);
    await withTempDir(async (tempDir) => {
      const plan = debugPlan(project.framework, project.root, selected, { helpersDir: tests.helpersDir, tempDir, python: await pythonInterpreter(vscode.Uri.file(project.root)) });
      if (!(await debugUntilEnd(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(project.root)), plan.config, run, token))) {
        run.appendOutput('\r\nThe debugger did not start.\r\n');
        return;
      }
      const results = plan.results();
      if (!results.length) run.appendOutput('\r\nThe debug session ended without a report of the tests (stopped before they finished?).\r\n');
      tests.report(run, projectItem, { framework: project.framework, cwd: project.root, results, problems: [] });
    });
  } catch (err) {
    run.appendOutput(`\r\nDucktrace could not debug the tests: ${String(err)}\r\n`);
  } finally {
    run.end();
  }
}
