// A project's test files as its own command or its runner's config finds them, never guessed from
// folder names:
// - node --test: the file arguments of the package.json script (files, folders, globs, `**`
//   included; a glob the shell expands has no `**`), else node's own default patterns;
// - jest: `jest --listTests` with the script's flags and filters (testMatch, testRegex, roots,
//   testPathIgnorePatterns, projects: whatever the config says, jest applies it);
// - vitest: `vitest list --filesOnly --json` (2.1+; include/exclude/projects as the config says),
//   else vitest's default include pattern;
// - mocha: its own merge of the script's arguments, .mocharc.* and package.json "mocha" and its own
//   file collection (spec globs, extensions, --recursive, --ignore), asked of the project's mocha
//   (mochaAdapter.ts), else mocha's default `./test/*.{js,cjs,mjs}`;
// - pytest finds its own (discovery runs `pytest --collect-only` with its config).
// jest, vitest and mocha are asked once per set of files and configs (cached), since each answer
// costs a start of the runner.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { isTestFileFor } from '../../core/failures/detectFramework';
import { vitestFeatures } from '../../core/failures/runnerFeatures';
import { keptArguments } from '../../core/failures/testCommand';
import type { Framework } from '../../core/failures/testFailure';
import { jestLikeRunner } from './jestAdapter';
import { invocationIn, runEnv } from './jsRunners';
import { mochaHelpersDir, mochaRunner, mochaSetup } from './mochaAdapter';
import { runProcessTree } from '../process/processTree';
import type { SandboxSpec } from '../process/sandbox';

/** How a runner asked for its files is started: it loads the project's config, i.e. runs project code. */
export interface ListingRun {
  readonly signal?: AbortSignal;
  /** Fences the runner (after a model's change), as the test runs are. */
  readonly sandbox?: SandboxSpec;
}

export interface TestFileListing {
  readonly files: string[];
  /** Why the runner could not be asked (then its default patterns were used). */
  readonly problems: string[];
}

const posix = (p: string) => p.split(sep).join('/');

/**
 * node --test's files: the script's file arguments resolved against `candidates` (the project's
 * files, node_modules left out), or node's default patterns when it gives none.
 */
export function nodeTestFiles(root: string, candidates: readonly string[]): string[] {
  const invocation = invocationIn(root, 'node');
  const args = invocation ? keptArguments(invocation).positionals : [];
  const rel = (f: string) => posix(relative(root, f));
  const byDefault = (f: string) => isTestFileFor('node', rel(f));
  if (args.length === 0) return candidates.filter(byDefault);
  const found = new Set<string>();
  const known = new Set(candidates);
  for (const arg of args) {
    const path = resolve(root, arg.text);
    if (candidates.some((f) => f.startsWith(path + sep)) || (existsSync(path) && statSync(path).isDirectory())) {
      // A folder: node searches it with its default patterns.
      for (const f of candidates) if (f.startsWith(path + sep) && byDefault(f)) found.add(f);
    } else if (known.has(path) || existsSync(path)) {
      found.add(path);
    } else {
      // A glob: the shell's (no `**`) when unquoted, node's own (21+) when quoted.
      const pattern = posix(isAbsolute(arg.text) ? relative(root, arg.text) : arg.text).replace(/^\.\//, '');
      const match = picomatch(arg.shellGlob ? pattern.replace(/\*\*+/g, '*') : pattern, { dot: false });
      for (const f of candidates) if (match(rel(f))) found.add(f);
    }
  }
  return [...found].sort();
}

const listed = new Map<string, string[]>();

/** A key that changes when a file appears or goes, or a config changes. */
function cacheKey(framework: Framework, root: string, candidates: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`${framework}\0${root}\0`);
  for (const f of candidates) {
    hash.update(f);
    hash.update('\0');
    const name = f.slice(f.lastIndexOf(sep) + 1);
    if (/^(package\.json|(jest|vitest|vite)\.config\.[cm]?[jt]s(on)?|vitest\.(workspace|projects)\.[cm]?[jt]s(on)?|\.mocharc\.[a-z]+)$/.test(name)) {
      try {
        hash.update(String(statSync(f).mtimeMs));
      } catch {
        // gone meanwhile
      }
    }
  }
  return hash.digest('hex');
}

/** jest's or vitest's own list of the project's test files (their default patterns when they cannot be asked). */
export async function runnerTestFiles(framework: 'jest' | 'vitest', root: string, candidates: readonly string[], { signal, sandbox }: ListingRun = {}): Promise<TestFileListing> {
  const key = cacheKey(framework, root, candidates);
  const known = listed.get(key);
  if (known) return { files: known, problems: [] };
  const byDefault = candidates.filter((f) => isTestFileFor(framework, posix(relative(root, f))));
  const run = jestLikeRunner(framework, root);
  if (typeof run === 'string') return { files: byDefault, problems: [] };
  if (framework === 'vitest' && !vitestFeatures(run.version).listFiles) return { files: byDefault, problems: [] };
  const kept = keptArguments(run.invocation ?? { framework, args: [] });
  const args = framework === 'jest' ? [...kept.positionals.map((p) => p.text), ...kept.flags, '--listTests'] : ['list', ...kept.flags, '--filesOnly', '--json', ...kept.positionals.map((p) => p.text)];
  const result = await runProcessTree(run.bin, args, { cwd: root, env: runEnv(run.invocation), timeoutMs: 120_000, ...(signal ? { signal } : {}), ...(sandbox ? { sandbox } : {}) });
  const files = parseListing(framework, result.stdout, root);
  if (files === undefined || (result.exitCode !== 0 && files.length === 0)) {
    const tail = result.output.trim().split('\n').slice(-6).join('\n');
    return { files: byDefault, problems: [`${framework} could not list its test files (${result.startError ?? `exit code ${result.exitCode}`}); using its default patterns.${tail ? `\n${tail}` : ''}`] };
  }
  listed.set(key, files);
  return { files, problems: [] };
}

/**
 * mocha's own list of the project's test files (its default `./test/*.{js,cjs,mjs}` when it cannot
 * be asked).
 */
export async function mochaTestFiles(root: string, candidates: readonly string[], { signal, sandbox }: ListingRun = {}): Promise<TestFileListing> {
  const key = cacheKey('mocha', root, candidates);
  const known = listed.get(key);
  if (known) return { files: known, problems: [] };
  const byDefault = candidates.filter((f) => isTestFileFor('mocha', posix(relative(root, f))));
  const run = mochaRunner(root);
  if (typeof run === 'string') return { files: byDefault, problems: [] };
  const temp = mkdtempSync(join(tmpdir(), 'ducktrace-mocha-'));
  try {
    const setup = await mochaSetup(run, root, mochaHelpersDir(), temp, { ...(signal ? { signal } : {}), ...(sandbox ? { sandbox } : {}) });
    if (typeof setup === 'string') return { files: byDefault, problems: [`${setup}\nUsing mocha's default test files (./test/*.{js,cjs,mjs}).`] };
    const files = [...new Set(setup.files)].sort();
    listed.set(key, files);
    return { files, problems: [] };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** `jest --listTests` prints one path a line; `vitest list --filesOnly --json` an array of `{ file }`. */
export function parseListing(framework: 'jest' | 'vitest', stdout: string, root: string): string[] | undefined {
  const text = stdout.trim();
  if (framework === 'vitest') {
    const start = text.indexOf('[');
    if (start < 0) return text === '' ? [] : undefined;
    try {
      const entries = JSON.parse(text.slice(start)) as { file?: string }[];
      return [...new Set(entries.flatMap((e) => (typeof e.file === 'string' ? [resolve(root, e.file)] : [])))].sort();
    } catch {
      return undefined;
    }
  }
  if (text.startsWith('[')) {
    try {
      return (JSON.parse(text) as string[]).filter((f) => typeof f === 'string').map((f) => resolve(root, f)).sort();
    } catch {
      return undefined;
    }
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => isAbsolute(l) && existsSync(l))
    .sort();
}
