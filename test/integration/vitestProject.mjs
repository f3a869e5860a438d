// The integration workspace's vitest project: test/fixtures/vitest-project copied in as the
// subfolder vitest-project/ with its node_modules (fixtureProjects.mjs). A failed install is handed
// on (DUCKTRACE_VITEST_INSTALL_ERROR), and the vitest suite then fails saying so.
import { addNpmProject } from './fixtureProjects.mjs';

export function addVitestProject(workspace, { install = true } = {}) {
  return addNpmProject(workspace, { fixture: 'vitest-project', folder: 'vitest-project', bin: 'vitest', errorEnv: 'DUCKTRACE_VITEST_INSTALL_ERROR', install });
}

// The mocha project: test/fixtures/runners/mocha/project as mocha-project/ (DUCKTRACE_MOCHA_INSTALL_ERROR).
export function addMochaProject(workspace, { install = true } = {}) {
  return addNpmProject(workspace, { fixture: 'runners/mocha/project', folder: 'mocha-project', bin: 'mocha', errorEnv: 'DUCKTRACE_MOCHA_INSTALL_ERROR', install });
}
