// A fixture project's node_modules, installed from the npm registry once per set of dependencies
// into a git-ignored cache (.fixture-deps/ at the repository root, or DUCKTRACE_FIXTURE_CACHE) and
// symlinked into a temporary copy of the fixture. The same idea as the integration workspace's
// vitest project (test/integration/vitestProject.mjs). A failed install throws with npm's own
// words: tests that need the project fail saying so, they are never skipped in silence.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/** The repository root, from out/test/support/ (compiled) or test/support/ (source). */
const repoRoot = resolve(__dirname, __dirname.includes(`${join('out', 'test')}`) ? '../../..' : '../..');

function cacheRoot(): string {
  return process.env.DUCKTRACE_FIXTURE_CACHE || join(repoRoot, '.fixture-deps');
}

/** The fixture's dependencies as a package.json of their own: the cache key is its hash. */
function dependencyManifest(fixtureDir: string): string {
  const pkg = JSON.parse(readFileSync(join(fixtureDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  return manifestOf(pkg.dependencies ?? {}, pkg.devDependencies ?? {});
}

function manifestOf(dependencies: Record<string, string>, devDependencies: Record<string, string>): string {
  return JSON.stringify({ private: true, dependencies, devDependencies }, null, 2) + '\n';
}

const installed = new Map<string, string>();

/** The cached node_modules for the fixture's dependencies, installing them when missing. Throws when npm fails. */
export function fixtureNodeModules(fixtureDir: string): string {
  return installedNodeModules(dependencyManifest(fixtureDir), fixtureDir);
}

/**
 * The cached node_modules holding exactly these packages (pinned versions, as for a project whose
 * own package.json asks for more than its tests need: the real-projects bench), installing them
 * when missing. `what` names them in messages. Throws when npm fails.
 */
export function nodeModulesFor(devDependencies: Record<string, string>, what: string): string {
  return installedNodeModules(manifestOf({}, devDependencies), what);
}

function installedNodeModules(manifest: string, what: string): string {
  const key = createHash('sha256').update(manifest).digest('hex').slice(0, 16);
  const known = installed.get(key);
  if (known) return known;
  const cached = join(cacheRoot(), key);
  const done = join(cached, '.installed');
  if (!existsSync(done)) {
    // Installed aside, then renamed into place: concurrent runs never see half an install.
    const staging = join(cacheRoot(), `${key}.tmp-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'package.json'), manifest);
    process.stderr.write(`installing the dependencies of ${what} into ${cached}\n`);
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: staging, encoding: 'utf8', timeout: 600_000, shell: process.platform === 'win32' });
    if (r.status !== 0 || !existsSync(join(staging, 'node_modules'))) {
      rmSync(staging, { recursive: true, force: true });
      const tail = `${r.stderr ?? ''}`.trim().split('\n').filter((l) => !l.startsWith('npm warn')).slice(-6).join(' | ');
      throw new Error(`'npm install' of ${what}'s dependencies failed (${r.error ? r.error.message : `exit code ${r.status}`}); these tests need the npm registry: ${tail}`);
    }
    writeFileSync(join(staging, '.installed'), new Date().toISOString());
    try {
      renameSync(staging, cached);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run put it there first
    }
    if (!existsSync(done)) throw new Error(`the dependencies of ${what} are not in ${cached} after installing them`);
  }
  const modules = join(cached, 'node_modules');
  installed.set(key, modules);
  return modules;
}

/** A temporary copy of the fixture with its node_modules linked in (`install: false`: without). Remove it when done. */
export function fixtureProject(fixtureDir: string, { install = true }: { install?: boolean } = {}): string {
  const modules = install ? fixtureNodeModules(fixtureDir) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-fixture-'));
  cpSync(fixtureDir, dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('node_modules') });
  if (modules) symlinkSync(modules, join(dir, 'node_modules'), 'junction');
  return dir;
}

/** A fixture project's files (its node_modules left out), path -> sha256: equal before and after means byte-identical. */
export function projectFileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
