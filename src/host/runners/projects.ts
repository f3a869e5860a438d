// Finds the test projects in a folder: the Python project (pytest also runs unittest-style tests)
// and every package.json folder (monorepos), each with the frameworks it uses and its test files
// as the project's own command or runner config finds them (testFiles.ts).
import { existsSync, readFileSync, readdirSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { detectFrameworks, isTestFileFor, type PackageJsonFacts } from '../../core/failures/detectFramework';
import type { Framework } from '../../core/failures/testFailure';
import { mochaTestFiles, nodeTestFiles, runnerTestFiles, type ListingRun } from './testFiles';

export interface TestProject {
  readonly root: string;
  readonly framework: Framework;
  readonly testFiles: string[];
  /**
   * Other projects live below this one (a monorepo root). Their tests are theirs: node's runner,
   * left to find test files itself, would run them here too, so the run names this project's files.
   */
  readonly hasNestedProjects?: boolean;
  /** Troubles finding the test files (the runner could not list them; its defaults were used). */
  readonly problems?: readonly string[];
}

/** Folders of installed, generated or cached files: never searched for tests or sources. */
export const ignoredFolders: ReadonlySet<string> = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', 'env', '__pycache__', '.tox', '.nox', '.mypy_cache', '.pytest_cache', 'dist', 'out', 'build', 'coverage', '.vscode-test', 'site-packages', '.next', '.cache']);
const maxFiles = 20_000;
const pythonMarkers = ['pytest.ini', 'conftest.py', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'setup.py'];

interface Tree {
  files: string[];
  packageDirs: string[];
  pythonMarkerDirs: string[];
}

function walk(folder: string): Tree {
  const tree: Tree = { files: [], packageDirs: [], pythonMarkerDirs: [] };
  const queue: [string, number][] = [[folder, 0]];
  while (queue.length && tree.files.length < maxFiles) {
    const [dir, depth] = queue.shift()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!ignoredFolders.has(e.name) && !e.name.startsWith('.') && depth < 8) queue.push([p, depth + 1]);
      } else if (e.isFile()) {
        tree.files.push(p);
        if (e.name === 'package.json') tree.packageDirs.push(dir);
        if (pythonMarkers.includes(e.name)) tree.pythonMarkerDirs.push(dir);
      }
    }
  }
  return tree;
}

function readJson(file: string): PackageJsonFacts | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJsonFacts;
  } catch {
    return undefined;
  }
}

function readIfExists(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

const isInside = (dir: string, file: string) => file.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Projects in `folder`; `override` forces one framework (the `ducktrace.tests.framework` setting).
 * `run`: how jest or vitest are started when they are asked for their files (they load the
 * project's config: fenced after a model's change, like the test runs).
 */
export async function findTestProjects(folder: string, override: Framework | 'auto' = 'auto', run: ListingRun = {}): Promise<TestProject[]> {
  const tree = walk(folder);
  const projects: TestProject[] = [];
  const rel = (f: string) => relative(folder, f);

  // Python: one project at the top-most folder with a Python marker (pytest finds the rest).
  const pyTests = tree.files.filter((f) => isTestFileFor('pytest', rel(f)));
  const pyRoot = [...tree.pythonMarkerDirs].sort((a, b) => a.length - b.length)[0] ?? folder;
  const pyConfig = ['pyproject.toml', 'setup.cfg', 'tox.ini'].map((n) => readIfExists(join(pyRoot, n))).join('\n');
  const pyFrameworks = detectFrameworks({
    fileNames: tree.files.filter((f) => f.startsWith(pyRoot) && !f.slice(pyRoot.length + 1).includes(sep)).map((f) => f.slice(pyRoot.length + 1)),
    pythonConfig: pyConfig,
    hasPythonTests: pyTests.length > 0,
    hasNodeTestImports: false,
  });
  const wantPython = override === 'pytest' || (override === 'auto' && pyFrameworks.includes('pytest'));
  if (wantPython) projects.push({ root: pyRoot, framework: 'pytest', testFiles: pyTests.filter((f) => isInside(pyRoot, f)) });

  // JavaScript: each package.json folder owns the files below it that no deeper one owns.
  const packageDirs = tree.packageDirs.length ? [...tree.packageDirs].sort((a, b) => b.length - a.length) : override !== 'auto' && override !== 'pytest' ? [folder] : [];
  const owner = (file: string) => packageDirs.find((d) => isInside(d, file));
  for (const dir of [...packageDirs].reverse()) {
    const owned = tree.files.filter((f) => owner(f) === dir);
    const jsCandidates = owned.filter((f) => /\.[cm]?[jt]sx?$/.test(f));
    const nodeImports = jsCandidates.filter((f) => isTestFileFor('node', relative(dir, f))).some((f) => /['"]node:test['"]/.test(readIfExists(f)));
    const fileNames = owned.filter((f) => !f.slice(dir.length + 1).includes(sep)).map((f) => f.slice(dir.length + 1));
    const packageJson = readJson(join(dir, 'package.json'));
    const frameworks = override === 'auto' ? detectFrameworks({ fileNames, ...(packageJson ? { packageJson } : {}), hasPythonTests: false, hasNodeTestImports: nodeImports }) : [override];
    for (const framework of frameworks) {
      if (framework === 'pytest') continue;
      // What the project's command or config selects, limited to the files this package owns.
      const owns = new Set(jsCandidates);
      const listing = framework === 'node' ? { files: nodeTestFiles(dir, jsCandidates), problems: [] } : framework === 'mocha' ? await mochaTestFiles(dir, jsCandidates, run) : await runnerTestFiles(framework, dir, jsCandidates, run);
      const testFiles = listing.files.filter((f) => owns.has(f));
      if (framework === 'node' && override === 'auto' && testFiles.length === 0) continue;
      const hasNestedProjects = packageDirs.some((d) => d !== dir && isInside(dir, d + sep));
      projects.push({ root: dir, framework, testFiles, ...(hasNestedProjects ? { hasNestedProjects } : {}), ...(listing.problems.length ? { problems: listing.problems } : {}) });
    }
  }
  return projects;
}
