// Entry point loaded by VS Code as `extensionTestsPath`. Imports every test file, then runs them.
import * as vscode from 'vscode';
import { runRegisteredTests } from './harness';
import './activation.test';
import './agents.test';
import './review.test';
import './blocks.test';
import './explain.test';
import './iterate.test';
import './iterateJs.test';
import './privacy.test';
import './sandbox.test';
import './faults.test';
import './models.test';
import './suspicion.test';
import './trust.test';
import './testing.test';
import './terminal.test';
import './traceValues.test';
import './vitest.test';
import './mocha.test';
import './editorFlows.test';

export function run(): Promise<void> {
  return runRegisteredTests(vscode.version, process.env.DUCKTRACE_TEST_REPORT);
}
