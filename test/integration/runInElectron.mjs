// The same integration suite through @vscode/test-electron, for desktop machines that can download
// VS Code (the standard path for contributors). On machines without internet use
// `npm run test:integration`, which runs the suite in code-server's VS Code instead.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { addMochaProject, addVitestProject } from './vitestProject.mjs';
import { repoRoot, tempDir } from '../support/vscodeServer.mjs';

const work = tempDir('electron');
const workspace = join(work, 'workspace');
cpSync(join(repoRoot, 'test/fixtures/workspace'), workspace, { recursive: true });
const vitestEnv = { ...addVitestProject(workspace), ...addMochaProject(workspace) };
try {
  await runTests({
    version: process.env.DUCKTRACE_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out/test/integration/suite/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(work, 'user-data')],
    extensionTestsEnv: { DUCKTRACE_TEST_REPORT: join(work, 'report.json'), DUCKTRACE_TEST_WORKSPACE: workspace, ...vitestEnv },
  });
} catch (err) {
  console.error(`integration tests failed under @vscode/test-electron: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
