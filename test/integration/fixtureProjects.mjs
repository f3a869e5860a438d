// Projects of the integration workspace whose runner comes from the npm registry: a fixture folder
// copied in as a subfolder, its node_modules installed once per package.json into the git-ignored
// .vscode-test/<name>-cache and symlinked in. A failed install is handed on to the suite in an
// environment variable, and the suite that needs the project then fails saying so.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '../support/vscodeServer.mjs';

/**
 * Copies test/fixtures/FIXTURE into WORKSPACE/FOLDER and installs its dependencies (unless
 * `install` is false); returns `{ [errorEnv]: message }` when the install failed, else `{}`.
 */
export function addNpmProject(workspace, { fixture, folder, bin, errorEnv, install = true }) {
  const dest = join(workspace, folder);
  cpSync(join(repoRoot, 'test/fixtures', fixture), dest, { recursive: true });
  const error = install ? installInto(dest, folder, bin) : undefined;
  if (error) console.error(`${folder} fixture: ${error}`);
  return error ? { [errorEnv]: error } : {};
}

function installInto(dest, folder, bin) {
  const pkg = readFileSync(join(dest, 'package.json'));
  const key = createHash('sha256').update(pkg).digest('hex').slice(0, 16);
  const cacheRoot = join(repoRoot, `.vscode-test/${folder}-cache`);
  const cached = join(cacheRoot, key);
  if (!existsSync(join(cached, 'node_modules/.bin', bin))) {
    // Installed aside, then renamed into place: concurrent runs never see half an install.
    const staging = join(cacheRoot, `${key}.tmp-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'package.json'), pkg);
    console.log(`installing the ${folder} fixture's dependencies into ${cached}`);
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: staging, encoding: 'utf8', timeout: 300_000, shell: process.platform === 'win32' });
    if (r.status !== 0 || !existsSync(join(staging, 'node_modules/.bin', bin))) {
      rmSync(staging, { recursive: true, force: true });
      const tail = `${r.stderr ?? ''}`.trim().split('\n').filter((l) => !l.startsWith('npm warn')).slice(-5).join(' | ');
      return `'npm install' of ${folder}'s dependencies failed (${r.error ? r.error.message : `exit code ${r.status}`}): ${tail}`;
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
