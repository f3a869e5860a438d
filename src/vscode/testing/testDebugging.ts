// The Testing view's Debug profile: the chosen tests run under the debugger that fits them, with
// the same report the Run profile reads, so a debug run shows its outcomes too. JavaScript (node's
// runner, jest, vitest, mocha) through VS Code's built-in JavaScript debugger (a `node` launch, child
// processes attached); Python through the Python Debugger extension (`debugpy`) when installed.
// mocha starts as its Run does (its options as its own mocha merges them, Ducktrace's progress
// reporter), its CLI in the debugged process itself, with no per-test timeout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiscoveredTest, Framework, TestCaseResult, TestRunReport } from '../../core/failures/testFailure';
import { withTempDir } from '../../host/runners/testService';
import { parseJestJson, parseJestReport } from '../../core/failures/jestReport';
import { parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import { parsePytestJunit } from '../../core/failures/pytestReport';
import { parseRunProgress } from '../../core/failures/progressReport';
import { filesOf, namePattern, runEnv, withDeclaredLines } from '../../host/runners/jsRunners';
import { loadMochaProject, mochaArgs, mochaNodeLaunch, mochaReporterModule, mochaRunner } from '../../host/runners/mochaAdapter';
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
  if (framework === 'mocha') {
    const run = mochaRunner(root);
    if (typeof run === 'string') return run;
  }
  return undefined;
}

/** The launch configuration for `tests` of one project, writing its report into `tempDir`. */
export async function debugPlan(framework: Framework, root: string, tests: readonly SelectedTest[], options: { helpersDir: string; tempDir: string; python: string }): Promise<DebugPlan> {
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
    case 'mocha': {
      const loaded = await loadMochaProject(root, options.tempDir, { helpersDir: options.helpersDir });
      if (typeof loaded === 'string') throw new Error(loaded);
      const { run, setup } = loaded;
      const progress = path.join(options.tempDir, 'mocha-progress.jsonl');
      const pattern = namePattern(selection);
      const { nodeFlags, entry } = mochaNodeLaunch(run, setup);
      const args = mochaArgs(setup, { tempDir: options.tempDir, files, reporter: mochaReporterModule(run, options, progress), timeoutMs: 0, ...(pattern ? { pattern } : {}) });
      // What the project's test script sets (`NODE_ENV=test mocha`), over the editor's environment.
      const projectEnv = runEnv(run.invocation);
      const env = Object.fromEntries(Object.keys(run.invocation?.env ?? {}).map((k) => [k, projectEnv[k]]));
      return {
        config: { ...js, program: entry, runtimeArgs: nodeFlags, args, env },
        results: () => withDeclaredLines(parseJestReport(parseRunProgress(read(progress) ?? '').report, 'mocha', root)),
      };
    }
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
      const plan = await debugPlan(project.framework, project.root, selected, { helpersDir: tests.helpersDir, tempDir, python: await pythonInterpreter(vscode.Uri.file(project.root)) });
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
