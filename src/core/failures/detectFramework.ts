// Which test frameworks a project uses, from facts the host gathers (file names, package.json,
// Python config files). A project may use several (Python and JavaScript side by side).
import type { Framework } from './testFailure';

export interface PackageJsonFacts {
  readonly scripts?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly jest?: unknown;
  /** mocha's options in package.json (the `mocha` key). */
  readonly mocha?: unknown;
}

export interface ProjectFacts {
  /** Names of the files in the project's folder (not recursive). */
  readonly fileNames: readonly string[];
  readonly packageJson?: PackageJsonFacts;
  /** Contents of pyproject.toml, setup.cfg and tox.ini when present. */
  readonly pythonConfig?: string;
  /** Whether Python test files (test_*.py, *_test.py) exist in the project. */
  readonly hasPythonTests: boolean;
  /** Whether JavaScript/TypeScript test files importing node:test exist. */
  readonly hasNodeTestImports: boolean;
}

const configFile = (names: readonly string[], base: string) => names.some((n) => n.startsWith(`${base}.`) && /\.(c|m)?[jt]s$|\.json$/.test(n));

export function detectFrameworks(facts: ProjectFacts): Framework[] {
  const found: Framework[] = [];
  const names = facts.fileNames;
  const pkg = facts.packageJson;
  const deps = { ...(pkg?.dependencies ?? {}), ...(pkg?.devDependencies ?? {}) };
  const scripts = Object.values(pkg?.scripts ?? {}).join('\n');
  const python =
    names.includes('pytest.ini') ||
    names.includes('conftest.py') ||
    /\[(tool\.pytest|tool:pytest|pytest)/.test(facts.pythonConfig ?? '') ||
    facts.hasPythonTests;
  if (python) found.push('pytest');
  const vitest = configFile(names, 'vitest.config') || configFile(names, 'vitest.workspace') || 'vitest' in deps || /\bvitest\b/.test(scripts);
  const jest = configFile(names, 'jest.config') || pkg?.jest !== undefined || 'jest' in deps || /\bjest\b/.test(scripts);
  if (vitest) found.push('vitest');
  if (jest) found.push('jest');
  const mocha = names.some((n) => /^\.mocharc\.(js|cjs|mjs|json|jsonc|yaml|yml)$/.test(n)) || pkg?.mocha !== undefined || 'mocha' in deps || /\b_?mocha\b/.test(scripts);
  if (mocha) found.push('mocha');
  const node = /\b(node|tsx)\b[^\n]*--test\b/.test(scripts) || (pkg !== undefined && !vitest && !jest && !mocha && facts.hasNodeTestImports);
  if (node) found.push('node');
  return found;
}

/** The test files each framework runs by default (node's runner, jest's, vitest's and mocha's defaults: mocha's is `./test/*.{js,cjs,mjs}`, not recursive). */
export function isTestFileFor(framework: Framework, relativePath: string): boolean {
  const p = relativePath.replace(/\\/g, '/');
  const base = p.split('/').pop() ?? p;
  switch (framework) {
    case 'pytest':
      return /^test_.*\.py$|^.*_test\.py$/.test(base);
    case 'node':
      return /\.(test|spec)\.[cm]?js$|[-_]test\.[cm]?js$|^test-.*\.[cm]?js$|^test\.[cm]?js$/.test(base) || /(^|\/)test\/.*\.[cm]?js$/.test(p);
    case 'jest':
    case 'vitest':
      return /\.(test|spec)\.[cm]?[jt]sx?$/.test(base) || /(^|\/)__tests__\/.*\.[cm]?[jt]sx?$/.test(p);
    case 'mocha':
      return /^test\/[^/]+\.[cm]?js$/.test(p.replace(/^\.\//, ''));
  }
}
