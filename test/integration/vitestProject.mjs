// The integration workspace's vitest project: test/fixtures/vitest-project copied in as the
// subfolder vitest-project/, its node_modules installed once per package.json into the git-ignored
// .vscode-test/vitest-project-cache and symlinked in. Returns the env for the suite: a failed
// install is handed on (DUCKTRACE_VITEST_INSTALL_ERROR), and the vitest suite then fails saying so.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '../support/vscodeServer.mjs';

export function addVitestProject(workspace, { install = true } = {}) {
  const dest = join(workspace, 'vitest-project');
  cpSync(join(repoRoot, 'test/fixtures/vitest-project'), dest, { recursive: true });
  const error = install ? installInto(dest) : undefined;
  if (error) console.error(`vitest fixture: ${error}`);
  return error ? { DUCKTRACE_VITEST_INSTALL_ERROR: error } : {};
}

function installInto(dest) {
  const pkg = readFileSync(join(dest, 'package.json'));
  const key = createHash('sha256').update(pkg).digest('hex').slice(0, 16);
  const cacheRoot = join(repoRoot, '.vscode-test/vitest-project-cache');
  const cached = join(cacheRoot, key);
  if (!existsSync(join(cached, 'node_modules/.bin/vitest'))) {
    // Installed aside, then renamed into place: concurrent runs never see half an install.
    const staging = join(cacheRoot, `${key}.tmp-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'package.json'), pkg);
    console.log(`installing the vitest fixture's dependencies into ${cached}`);
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: staging, encoding: 'utf8', timeout: 300_000, shell: process.platform === 'win32' });
    if (r.status !== 0 || !existsSync(join(staging, 'node_modules/.bin/vitest'))) {
      rmSync(staging, { recursive: true, force: true });
      const tail = `${r.stderr ?? ''}`.trim().split('\n').filter((l) => !l.startsWith('npm warn')).slice(-5).join(' | ');
      return `'npm install' of test/fixtures/vitest-project failed (${r.error ? r.error.message : `exit code ${r.status}`}): ${tail}`;
    }
    try {
      renameSync(staging, cached);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run put it there first
    }
  }
  symlinkSync(join(cached, 'node_modules'), join(dest, 'node_modules'), 'junction');
  return undefined;
}
