// How one JavaScript test is run, traced or not, by the framework the project uses: node's test
// runner, jest or vitest from the project's own node_modules. Only the selected test runs, by the
// framework's own filter: node --test-name-pattern, jest and vitest -t (the full name: suites and
// test joined by spaces, as the runners' adapters select a test) plus the test file.
//
// Traced runs differ from the untraced ones only in what loads the tracer:
// - node:   `node --test --require ducktrace_js_register.js [--import tsx] FILE`;
// - jest:   `node --require ducktrace_js_register.js <jest> --runInBand --cacheDirectory=<temp>`: in
//           band so the test runs in the process holding the recorder, with a fresh transform cache
//           so neither this run nor a later one mixes instrumented and plain output; the user's
//           config (jest.config.*, package.json "jest") is jest's own to find;
// - vitest: `vitest run --config <temp config>`, a config that imports the user's
//           (vitest.config.* / vite.config.*) and adds Ducktrace's Vite plugin and a temporary
//           cacheDir; the register module reaches the workers through NODE_OPTIONS;
// - mocha:  `node [--require ducktrace_js_register.js] <mocha>/bin/_mocha --config <temp> --no-package
//           --grep <full title> FILE`: mocha's own CLI in this one process, the project's options as its
//           mocha merges them (mochaAdapter.ts) written to a config without `spec`, so only FILE loads;
//           the project's `node-option`s become node's flags (bin/mocha would start a child for them).
//
// The environment is the one given (the user's, with what a traced run needs: the plan's path; for
// vitest the register module on NODE_OPTIONS): no CI, FORCE_COLOR or NO_COLOR, which the project's
// tests would see. jest gets `--ci` (no new snapshot files written); colours in what is read back
// are stripped (the report parsers) or absent (the runners colour only a terminal).

import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { detectFrameworks, type PackageJsonFacts } from '../../core/failures/detectFramework';
import { escapeRegExp } from '../runners/adapter';
import { findBin } from '../runners/jsRunners';
import { loadMochaProject, mochaArgs, mochaNodeLaunch } from '../runners/mochaAdapter';
import type { JsRunner } from './js/jsPlan';

export const jsVitestConfigModule = 'ducktrace_vitest.mjs';

/** A JavaScript test as the tracer's `--test` names it: `FILE`, `FILE::NAME` or `FILE::SUITE::...::NAME`. */
export interface JsTestId {
  /** Absolute. */
  readonly file: string;
  /** Enclosing suites then the test's name; empty for a whole file. */
  readonly names: readonly string[];
}

export function parseJsTestId(cwd: string, test: string): JsTestId {
  const [file, ...names] = test.split('::');
  return { file: isAbsolute(file) ? file : resolve(cwd, file), names };
}

/**
 * The `-t` regex of jest and vitest for one test. With suites given, the exact full name; with the
 * test's name alone, that name at the end of the full name (a test inside a describe block).
 */
export function fullNamePattern(names: readonly string[]): string | undefined {
  if (!names.length) return undefined;
  const escaped = escapeRegExp(names.join(' '));
  return names.length > 1 ? `^${escaped}$` : `^(?:.* )?${escaped}$`;
}

/**
 * `node --test` arguments that run only the selected test: its file, and its name as an exact
 * regex. Node matches a test's own name, so of `FILE::SUITE::NAME` the last part counts: a
 * `describe` suite runs to find what matches inside it. A subtest of a test (`test('parse', async
 * (t) => { await t.test('unquotes', ...) })`) runs only when its parent test runs, and the parent
 * must match a pattern of its own; it then runs all its subtests (node has no finer filter). Such
 * parents are found in the file's text: a `test(`, `it(` or `t.test(` call with the name as a
 * string literal, and no `describe(` or `suite(` with it.
 */
export function nodeTestArgsFor(test: string, fileText?: string): string[] {
  const [file, ...names] = test.split('::');
  const name = names[names.length - 1] ?? '';
  const parents = fileText ? names.slice(0, -1).filter((n) => isParentTest(fileText, n)) : [];
  return [...[...parents, ...(name ? [name] : [])].map((n) => `--test-name-pattern=^${escapeRegExp(n)}$`), file];
}

function isParentTest(text: string, name: string): boolean {
  const literal = `(?<q>['"\`])${escapeRegExp(name)}\\k<q>`;
  const call = (callee: string) => new RegExp(`(^|[^\\w$.])${callee}(\\.(only|skip|todo))?\\(\\s*${literal}`).test(text);
  return !call('(describe|suite)') && (call('(test|it)') || new RegExp(`[\\w$]\\.test\\(\\s*${literal}`).test(text));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The folder jest or vitest runs in: the nearest one above the test file with a package.json (monorepos), else cwd. */
export function jsProjectDir(cwd: string, testFile: string): string {
  for (let dir = dirname(testFile); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === cwd || dirname(dir) === dir) return cwd;
  }
}

/**
 * Which runner runs a test file: what the file imports its test API from when it says so, else the
 * project's frameworks as the runners detect them (config files, package.json), else node's runner.
 */
export function detectJsRunner(projectDir: string, testFile: string): JsRunner {
  const text = readText(testFile);
  if (/\bfrom\s*['"]node:test['"]|require\(\s*['"]node:test['"]\s*\)/.test(text)) return 'node';
  if (/\bfrom\s*['"]vitest['"]/.test(text)) return 'vitest';
  if (/\bfrom\s*['"]@jest\/globals['"]|require\(\s*['"]@jest\/globals['"]\s*\)/.test(text)) return 'jest';
  if (/\bfrom\s*['"]mocha['"]|require\(\s*['"]mocha['"]\s*\)/.test(text)) return 'mocha';
  let packageJson: PackageJsonFacts | undefined;
  try {
    packageJson = JSON.parse(readText(join(projectDir, 'package.json'))) as PackageJsonFacts;
  } catch {
    packageJson = undefined;
  }
  let fileNames: string[] = [];
  try {
    fileNames = readdirSync(projectDir);
  } catch {
    // no folder: node's runner reports it
  }
  const found = detectFrameworks({ fileNames, ...(packageJson ? { packageJson } : {}), hasPythonTests: false, hasNodeTestImports: false }).filter((f): f is JsRunner => f !== 'pytest');
  // Both named (a migration half done): the one that is installed.
  if (found.includes('vitest') && found.includes('jest')) return findBin(projectDir, 'vitest') || !findBin(projectDir, 'jest') ? 'vitest' : 'jest';
  return found[0] ?? 'node';
}

/** The runner's JavaScript entry point from the project's node_modules/.bin, run with our node. */
export function runnerEntry(projectDir: string, runner: 'jest' | 'vitest'): string {
  const bin = findBin(projectDir, runner);
  if (!bin) throw new Error(`${runner} is not installed in ${projectDir} (no node_modules/.bin/${runner}): run npm install there to trace its tests`);
  if (process.platform === 'win32') {
    const entry = join(dirname(bin), '..', runner, runner === 'jest' ? 'bin/jest.js' : 'vitest.mjs');
    if (existsSync(entry)) return entry;
    throw new Error(`${runner}'s entry point not found next to ${bin}`);
  }
  return realpathSync(bin);
}

/** The user's vitest config as vitest finds it (vitest.config.* before vite.config.*), if any. */
export function userVitestConfig(projectDir: string): string | undefined {
  for (const base of ['vitest.config', 'vite.config']) {
    for (const ext of ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']) {
      const file = join(projectDir, base + ext);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/** Writes the temporary vitest config (the user's config, Ducktrace's plugin, a temporary cache) and its setup file. */
export async function writeVitestConfig(projectDir: string, tempDir: string, planFile: string, tracerDir: string): Promise<string> {
  const user = userVitestConfig(projectDir);
  // Plain paths, not file: URLs: Vite bundles the config with esbuild, which compiles a path it
  // imports (a TypeScript config included) but leaves a URL to Node, which cannot load .ts.
  const url = (file: string) => JSON.stringify(file);
  const setupFile = join(tempDir, 'ducktrace.setup.mjs');
  await writeFile(
    setupFile,
    [
      '// Written by Ducktrace for one traced run: writes the trace when the test file is done.',
      "import { afterAll } from 'vitest';",
      'afterAll(() => {',
      `  const recorder = globalThis.__ducktrace ?? globalThis.process?.__ducktrace?.();`,
      '  recorder?.write?.();',
      '});',
      '',
    ].join('\n'),
  );
  const options = { planFile, cacheDir: join(tempDir, 'vite-cache'), setupFile, projectDir };
  const text = [
    '// Written by Ducktrace for one traced run; removed with its folder.',
    ...(user ? [`import user from ${url(user)};`] : ['const user = undefined;']),
    `import { withDucktrace } from ${url(join(tracerDir, jsVitestConfigModule))};`,
    `export default withDucktrace(user, ${JSON.stringify(options)});`,
    '',
  ].join('\n');
  const file = join(tempDir, 'vitest.config.ducktrace.mjs');
  await writeFile(file, text);
  return file;
}

export interface JsLaunch {
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly runner: JsRunner;
}

export interface LaunchRequest {
  readonly runner: JsRunner;
  /** Where the runner runs: cwd for node's runner, the project folder for jest and vitest. */
  readonly cwd: string;
  /** The test as given (node's runner keeps its `FILE::NAME` form). */
  readonly test: string;
  readonly node: string;
  readonly env: NodeJS.ProcessEnv;
  /** node's runner on TypeScript: the project's loader (`--import tsx`). */
  readonly loader?: readonly string[];
  /** Set for a traced run. */
  readonly traced?: { readonly register: string; readonly planFile: string; readonly tempDir: string; readonly tracerDir: string };
  /** A scratch folder for an untraced run's files (mocha's config), removed by the caller. */
  readonly tempDir?: string;
}

/** mocha's launch: its CLI in one process with the project's merged options and only the selected test. */
async function mochaLaunch(request: LaunchRequest, env: NodeJS.ProcessEnv): Promise<JsLaunch> {
  const { cwd, node, traced } = request;
  const temp = traced?.tempDir ?? request.tempDir;
  if (!temp) throw new Error('a mocha launch needs a scratch folder');
  const loaded = await loadMochaProject(cwd, temp);
  if (typeof loaded === 'string') throw new Error(loaded);
  const { run, setup } = loaded;
  const id = parseJsTestId(cwd, request.test);
  const pattern = fullNamePattern(id.names);
  const { nodeFlags, entry } = mochaNodeLaunch(run, setup);
  const pre = traced ? ['--require', traced.register] : [];
  const args = [...nodeFlags, ...pre, entry, ...mochaArgs(setup, { tempDir: temp, files: [id.file], ...(pattern ? { pattern } : {}) })];
  return { runner: 'mocha', cwd, command: node, env, args };
}

/** The command that runs only the selected test, traced or not. */
export async function jsLaunch(request: LaunchRequest): Promise<JsLaunch> {
  const { runner, cwd, node, traced } = request;
  const env = { ...request.env };
  if (runner === 'node') {
    const pre = traced ? ['--require', traced.register] : [];
    const id = parseJsTestId(cwd, request.test);
    const text = id.names.length > 1 ? readText(id.file) : undefined;
    return { runner, cwd, command: node, env, args: ['--test', ...pre, ...(request.loader ?? []), ...nodeTestArgsFor(request.test, text)] };
  }
  if (runner === 'mocha') return mochaLaunch(request, env);
  const id = parseJsTestId(cwd, request.test);
  const pattern = fullNamePattern(id.names);
  const entry = runnerEntry(cwd, runner);
  if (runner === 'jest') {
    const pre = traced ? ['--require', traced.register] : [];
    const cache = traced ? [`--cacheDirectory=${join(traced.tempDir, 'jest-cache')}`] : [];
    const args = [...pre, entry, '--runInBand', '--ci', ...cache, ...(pattern ? ['-t', pattern] : []), `^${escapeRegExp(id.file)}$`];
    return { runner, cwd, command: node, env, args };
  }
  const config = traced ? ['--config', await writeVitestConfig(cwd, traced.tempDir, traced.planFile, traced.tracerDir)] : [];
  const file = relative(cwd, id.file).split('\\').join('/');
  const args = [entry, 'run', ...config, ...(pattern ? ['-t', pattern] : []), file];
  const nodeOptions = traced ? `${env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(traced.register)}`.trim() : env.NODE_OPTIONS;
  return { runner, cwd, command: node, env: { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) }, args };
}
