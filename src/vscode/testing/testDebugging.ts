// The Testing view's Debug profile: the chosen tests run under the debugger that fits them, with
// the same report the Run profile reads, so a debug run shows its outcomes too. JavaScript (node's
// runner, jest, vitest) through VS Code's built-in JavaScript debugger (a `node` launch, child
// processes attached); Python through the Python Debugger extension (`debugpy`) when installed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiscoveredTest, Framework, TestCaseResult } from '../../core/failures/testFailure';
import { parseJestJson } from '../../core/failures/jestReport';
import { parseNodeTestEvents } from '../../core/failures/nodeTestReport';
import { parsePytestJunit } from '../../core/failures/pytestReport';
import { filesOf, namePattern } from '../../host/runners/jsRunners';

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
