// How a project runs its tests, read from its own command: a terminal command line or the
// package.json `test` script, followed through `npm run X` / `yarn X` / `pnpm X` indirections to
// the segment that starts the runner. What that segment says (its environment assignments, the
// runner's flags, node --test's file arguments, jest's and vitest's path filters) is what
// Ducktrace's runs keep, minus the flags Ducktrace must control itself (watch modes, reporters and
// report files, coverage, snapshot updates, bail, sharding).
import { commandSegments, type CommandSegment, type Word } from './commandLine';
import type { Framework } from './testFailure';

/** Wrappers in front of a command that run it unchanged (assignments after them are environment). */
export const passThrough: ReadonlySet<string> = new Set(['time', 'exec', 'env', 'command', 'sudo', 'nice', 'cross-env', 'cross-env-shell', 'dotenv']);
const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

export function baseName(word: string): string {
  return word.split(/[\\/]/).pop() ?? word;
}

/** Where the runner starts in a segment's words: its framework, its launcher and the index of its first argument. */
export interface RunnerLocation {
  readonly framework: Framework;
  /** `node` or `tsx` for node's test runner (its flags are node's); the runner's name otherwise. */
  readonly launcher: string;
  /** Index of the first word after the launcher (node: its flags and `--test`; jest/vitest: their arguments). */
  readonly argsAt: number;
  /** Assignments made by wrappers (`cross-env A=1 jest`, `env A=1 jest`). */
  readonly env: Readonly<Record<string, string>>;
}

/** The runner a command's words start, after wrappers (`cross-env`, `npx`, `pnpm exec`, `uv run`...). */
export function locateRunner(words: readonly string[]): RunnerLocation | undefined {
  let i = 0;
  const env: Record<string, string> = {};
  for (;;) {
    const head = baseName(words[i] ?? '');
    if (passThrough.has(head)) {
      i++;
      if (head === 'dotenv') while (i < words.length && words[i] !== '--') i++;
      if (words[i] === '--') i++;
      while (i < words.length && words[i].startsWith('-') && head === 'env') i++;
      for (let m = assignment.exec(words[i] ?? ''); m; m = assignment.exec(words[i] ?? '')) {
        env[m[1]] = m[2];
        i++;
      }
    } else if (head === 'npx' || head === 'bunx') {
      i++;
      while (i < words.length && words[i].startsWith('-')) i++;
    } else if (['pnpm', 'yarn', 'bun'].includes(head) && ['exec', 'dlx', 'x'].includes(words[i + 1] ?? '')) {
      i += 2;
      while (i < words.length && words[i].startsWith('-')) i++;
    } else if (['uv', 'poetry', 'pipenv', 'hatch', 'pdm', 'rye'].includes(head) && words[i + 1] === 'run') {
      i += 2;
      while (i < words.length && words[i].startsWith('-')) i++;
    } else if (head === 'yarn' && ['jest', 'vitest', 'pytest', 'mocha'].includes(words[i + 1] ?? '')) {
      i += 1;
    } else if (coverageWrappers.has(head)) {
      // `nyc --reporter lcov mocha`, `c8 --100 node --test`: the command starts at the first runner
      // after the wrapper's own flags (whose values cannot be told from a command without knowing them).
      const at = words.findIndex((w, j) => j > i && runnerTools.test(baseName(w)));
      if (at < 0) break;
      i = at;
    } else break;
  }
  const tool = baseName(words[i] ?? '');
  const rest = words.slice(i + 1);
  if (/^(pytest|py\.test)(\.exe)?$/.test(tool)) return { framework: 'pytest', launcher: 'pytest', argsAt: i + 1, env };
  if (/^python[\d.]*(\.exe)?$|^py$/.test(tool)) {
    const m = rest.indexOf('-m');
    return m >= 0 && (rest[m + 1] === 'pytest' || rest[m + 1] === 'py.test') ? { framework: 'pytest', launcher: 'python', argsAt: i + 1 + m + 2, env } : undefined;
  }
  if (tool === 'jest' || tool === 'jest.js') return { framework: 'jest', launcher: 'jest', argsAt: i + 1, env };
  if (tool === 'vitest' || tool === 'vitest.mjs') return { framework: 'vitest', launcher: 'vitest', argsAt: i + 1, env };
  if (/^(node|tsx)(\.exe)?$/.test(tool) && rest.includes('--test')) return { framework: 'node', launcher: tool.replace(/\.exe$/, ''), argsAt: i + 1, env };
  if (/^_?mocha(\.js)?$/.test(tool)) return { framework: 'mocha', launcher: 'mocha', argsAt: i + 1, env };
  return undefined;
}

/** Coverage tools that run a test command given after their own flags. */
const coverageWrappers: ReadonlySet<string> = new Set(['nyc', 'c8']);
const runnerTools = /^(_?mocha(\.js)?|jest|vitest|node|tsx|pytest|python[\d.]*)(\.exe)?$/;

/** The npm script a segment runs (`npm test`, `npm run X`, `yarn X`, `pnpm X`), with the words after it. */
export function npmScriptOfWords(words: readonly string[]): { name: string; extra: string[] } | undefined {
  const tool = baseName(words[0] ?? '');
  if (!/^(npm|pnpm|yarn|bun)$/.test(tool)) return undefined;
  const rest = words.slice(1);
  const positional = rest.map((w, i) => ({ w, i })).filter(({ w }) => !w.startsWith('-'));
  const first = positional[0];
  if (!first) return undefined;
  const after = (i: number) => {
    const tail = rest.slice(i + 1);
    // npm and pnpm take the script's own arguments after `--`; yarn passes them as they are.
    const dashes = tail.indexOf('--');
    return tool === 'yarn' ? tail.filter((w) => w !== '--') : dashes >= 0 ? tail.slice(dashes + 1) : [];
  };
  if (['test', 't', 'tst'].includes(first.w)) return { name: 'test', extra: after(first.i) };
  if ((first.w === 'run' || first.w === 'run-script') && positional[1]) return { name: positional[1].w, extra: after(positional[1].i) };
  if ((tool === 'yarn' || tool === 'pnpm') && !['add', 'install', 'i', 'remove', 'upgrade', 'dlx', 'exec', 'x', 'create', 'init', 'why', 'link'].includes(first.w)) return { name: first.w, extra: after(first.i) };
  return undefined;
}

/** The npm script a command line runs (`npm test`, `npm run test`, `yarn test`, `pnpm t`), if any. */
export function npmScriptOf(commandLine: string): string | undefined {
  for (const segment of commandSegments(commandLine)) {
    const script = npmScriptOfWords(segment.words.map((w) => w.text));
    if (script) return script.name;
  }
  return undefined;
}

/** How a project starts one runner: found in a command line or a package.json script. */
export interface RunnerInvocation {
  readonly framework: Framework;
  /** `node` or `tsx` for node's runner; the runner's name otherwise. */
  readonly launcher: string;
  /** Assignments in the command and in the scripts that led to it (`NODE_ENV=test jest`), `$VAR` unexpanded. */
  readonly env: Readonly<Record<string, string>>;
  /** The launcher's arguments as written (node: its flags, `--test` and the file arguments). */
  readonly args: readonly Word[];
  /** The npm scripts followed to reach it (`test`, then `test:unit`), empty for a command line. */
  readonly scripts: readonly string[];
}

/**
 * The invocation of `framework` in a command line, following npm scripts (`scripts` answers a
 * script's text by name); undefined when the command never reaches that runner.
 */
export function findInvocation(commandLine: string, framework: Framework | undefined, scripts: (name: string) => string | undefined, followed: readonly string[] = []): RunnerInvocation | undefined {
  const segments = commandSegments(commandLine);
  for (const segment of segments) {
    const words = segment.words.map((w) => w.text);
    const runner = locateRunner(words);
    if (runner && (!framework || runner.framework === framework)) {
      return { framework: runner.framework, launcher: runner.launcher, env: { ...segment.env, ...runner.env }, args: segment.words.slice(runner.argsAt), scripts: followed };
    }
    const script = npmScriptOfWords(words);
    if (script && !followed.includes(script.name) && followed.length < 8) {
      const text = scripts(script.name);
      if (text === undefined) continue;
      // `npm run X -- --flag` appends to X's command, so to its last segment.
      const found = findInvocation(text, framework, scripts, [...followed, script.name]);
      if (found) {
        const appended = script.extra.length && isLastSegment(text, found) ? script.extra.map((w) => ({ text: w })) : [];
        return { ...found, env: { ...segment.env, ...found.env }, args: [...found.args, ...appended] };
      }
    }
  }
  return undefined;
}

function isLastSegment(text: string, found: RunnerInvocation): boolean {
  const segments = commandSegments(text);
  const last = segments[segments.length - 1] as CommandSegment | undefined;
  return !!last && locateRunner(last.words.map((w) => w.text))?.framework === found.framework;
}

/**
 * The invocation of `framework` among a package.json's scripts: what `npm test` runs, else the
 * first `test*` script that reaches it (`test:unit`). Undefined when no script runs it.
 */
export function projectInvocation(framework: Framework, scripts: Readonly<Record<string, string>> | undefined): RunnerInvocation | undefined {
  if (!scripts) return undefined;
  const lookup = (name: string) => (typeof scripts[name] === 'string' ? scripts[name] : undefined);
  const names = ['test', ...Object.keys(scripts).filter((n) => n !== 'test' && /^test/.test(n) && !/watch|cov|debug|ui\b/i.test(n)).sort()];
  for (const name of names) {
    const text = lookup(name);
    if (text === undefined) continue;
    const found = findInvocation(text, framework, lookup, [name]);
    if (found) return found;
  }
  return undefined;
}

/** The framework a command line runs, following npm scripts once each. */
export function recogniseTestCommand(commandLine: string, npmScript?: (name: string) => string | undefined): { framework: Framework } | undefined {
  const found = findInvocation(commandLine, undefined, npmScript ?? (() => undefined));
  return found ? { framework: found.framework } : undefined;
}

// ---- the runner's arguments ----

/** One flag with its value words, or one positional argument. */
export interface RunnerArg {
  /** The flag's canonical name (`--testTimeout`, `-t`, `--test-reporter`); undefined for a positional. */
  readonly flag?: string;
  readonly words: readonly Word[];
}

interface RunnerArgSpec {
  /** Flags whose value may be the next word. */
  readonly valued: ReadonlySet<string>;
  /** Flags that take every following non-flag word (jest's arrays). */
  readonly arrays: ReadonlySet<string>;
  /** Short flags to their long names. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Flags spelt in kebab case are the camel-case ones (yargs, cac). */
  readonly camelCase: boolean;
}

const nodeSpec: RunnerArgSpec = {
  valued: new Set(['--require', '--import', '--loader', '--experimental-loader', '--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern', '--test-concurrency', '--test-timeout', '--test-shard', '--env-file', '--env-file-if-exists', '--conditions', '--input-type', '--test-coverage-include', '--test-coverage-exclude', '--test-coverage-branches', '--test-coverage-functions', '--test-coverage-lines', '--watch-path', '--inspect-port', '--test-global-setup', '--test-isolation', '--experimental-default-type', '--title', '--disable-warning', '--redirect-warnings', '--stack-trace-limit', '--experimental-config-file']),
  arrays: new Set(),
  aliases: { '-r': '--require', '-C': '--conditions' },
  camelCase: false,
};

const jestSpec: RunnerArgSpec = {
  valued: new Set(['--config', '--maxWorkers', '--testNamePattern', '--testPathPattern', '--outputFile', '--testTimeout', '--rootDir', '--testEnvironment', '--env', '--testRunner', '--testSequencer', '--globalSetup', '--globalTeardown', '--cacheDirectory', '--coverageDirectory', '--coverageProvider', '--maxConcurrency', '--shard', '--seed', '--changedSince', '--filter', '--testResultsProcessor', '--resolver', '--preset', '--snapshotResolver', '--prettierPath', '--testFailureExitCode', '--workerIdleMemoryLimit', '--openHandlesTimeout', '--moduleNameMapper', '--transform', '--globals', '--timers', '--notifyMode', '--testURL', '--haste', '--testEnvironmentOptions', '--coverageThreshold']),
  arrays: new Set(['--roots', '--testMatch', '--testRegex', '--testPathIgnorePatterns', '--testPathPatterns', '--reporters', '--setupFiles', '--setupFilesAfterEnv', '--modulePaths', '--moduleDirectories', '--moduleFileExtensions', '--collectCoverageFrom', '--coveragePathIgnorePatterns', '--coverageReporters', '--selectProjects', '--ignoreProjects', '--projects', '--snapshotSerializers', '--watchPathIgnorePatterns', '--modulePathIgnorePatterns', '--transformIgnorePatterns', '--unmockedModulePathPatterns']),
  aliases: { '-c': '--config', '-w': '--maxWorkers', '-t': '--testNamePattern', '-b': '--bail', '-i': '--runInBand', '-o': '--onlyChanged', '-u': '--updateSnapshot', '-e': '--expand', '-f': '--onlyFailures' },
  camelCase: true,
};

const vitestSpec: RunnerArgSpec = {
  valued: new Set(['--config', '--root', '--dir', '--testNamePattern', '--reporter', '--outputFile', '--testTimeout', '--hookTimeout', '--teardownTimeout', '--pool', '--environment', '--project', '--shard', '--maxWorkers', '--minWorkers', '--maxConcurrency', '--mode', '--exclude', '--bail', '--retry', '--sequence.seed', '--silent', '--logHeapUsage', '--diff', '--exclude', '--execArgv', '--configLoader', '--tags', '--tagsFilter']),
  arrays: new Set(),
  aliases: { '-c': '--config', '-r': '--root', '-t': '--testNamePattern', '-w': '--watch', '-u': '--update' },
  camelCase: true,
};

// mocha's options (yargs, kebab case; `--require a --require b` repeats, one value each).
const mochaSpec: RunnerArgSpec = {
  valued: new Set(['--require', '--timeout', '--grep', '--fgrep', '--reporter', '--reporter-option', '--reporter-options', '--ui', '--config', '--package', '--extension', '--spec', '--file', '--ignore', '--exclude', '--slow', '--retries', '--jobs', '--node-option', '--watch-files', '--watch-ignore', '--import', '--loader', '--experimental-loader', '--conditions', '--inspect-port']),
  arrays: new Set(),
  aliases: { '-r': '--require', '-t': '--timeout', '-g': '--grep', '-f': '--fgrep', '-R': '--reporter', '-O': '--reporter-option', '--reporter-options': '--reporter-option', '-u': '--ui', '-s': '--slow', '-j': '--jobs', '-n': '--node-option', '-b': '--bail', '-w': '--watch', '-p': '--parallel', '-A': '--async-only', '-c': '--colors', '-C': '--no-colors', '-S': '--sort', '-V': '--version', '-h': '--help', '--timeouts': '--timeout', '--exclude': '--ignore' },
  camelCase: false,
};

type ArgFramework = 'node' | 'jest' | 'vitest' | 'mocha';

const specs: Record<ArgFramework, RunnerArgSpec> = { node: nodeSpec, jest: jestSpec, vitest: vitestSpec, mocha: mochaSpec };

function canonical(flag: string, spec: RunnerArgSpec): string {
  const aliased = spec.aliases[flag] ?? flag;
  if (!spec.camelCase || !aliased.startsWith('--')) return aliased;
  return '--' + aliased.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--silent` and friends take a value only when it is one of these. */
const optionalValues = /^(true|false|passed-only|\d+)$/;

/** A runner's arguments as flags with their values and positionals. */
export function splitRunnerArgs(framework: ArgFramework, args: readonly Word[]): RunnerArg[] {
  const spec = specs[framework];
  const out: RunnerArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    const text = word.text;
    if (text === '--') {
      // Everything after `--` is positional.
      for (const rest of args.slice(i + 1)) out.push({ words: [rest] });
      break;
    }
    if (!text.startsWith('-') || text === '-') {
      out.push({ words: [word] });
      continue;
    }
    const eq = text.indexOf('=');
    const name = canonical(eq > 0 ? text.slice(0, eq) : text, spec);
    const words: Word[] = [word];
    if (eq < 0) {
      const next = args[i + 1];
      const takesNext = next !== undefined && !next.text.startsWith('-');
      if (spec.arrays.has(name)) {
        while (i + 1 < args.length && !args[i + 1].text.startsWith('-')) words.push(args[++i]);
      } else if (takesNext && spec.valued.has(name) && (!['--silent', '--logHeapUsage', '--bail', '--diff'].includes(name) || optionalValues.test(next.text))) {
        words.push(args[++i]);
      } else if (takesNext && framework === 'vitest' && name.startsWith('--coverage.') && optionalValues.test(next.text)) {
        words.push(args[++i]);
      }
    }
    out.push({ flag: name, words });
  }
  return out;
}

/** Flags Ducktrace controls in every run it makes (both its own and the plain run). */
const dropAlways: Record<ArgFramework, (flag: string) => boolean> = {
  node: (f) =>
    ['--test', '--test-reporter', '--test-reporter-destination', '--watch', '--watch-path', '--watch-preserve-output', '--experimental-test-coverage', '--test-shard', '--test-update-snapshots', '--test-force-exit'].includes(f) ||
    f.startsWith('--test-coverage-') ||
    f.startsWith('--inspect') ||
    f === '--debug-port',
  jest: (f) =>
    ['--watch', '--watchAll', '--coverage', '--collectCoverage', '--json', '--outputFile', '--reporters', '--updateSnapshot', '--ci', '--bail', '--listTests', '--onlyChanged', '--changedSince', '--lastCommit', '--onlyFailures', '--shard', '--notify', '--watchPathIgnorePatterns', '--showConfig', '--clearCache', '--init', '--testLocationInResults', '--findRelatedTests', '--useStderr'].includes(f),
  vitest: (f) =>
    ['--watch', '--run', '--ui', '--open', '--reporter', '--outputFile', '--coverage', '--update', '--bail', '--changed', '--shard', '--standalone', '--includeTaskLocation', '--inspect', '--inspectBrk', '--api'].includes(f) ||
    f.startsWith('--coverage.') ||
    f.startsWith('--outputFile.') ||
    f.startsWith('--api.') ||
    f.startsWith('--inspect'),
  // mocha: its config is read by Ducktrace's run itself (mochaAdapter.ts), so `--config`/`--package`
  // go too; --parallel goes because the progress reporter reads tests as they start, in one process.
  mocha: (f) =>
    ['--watch', '--watch-files', '--watch-ignore', '--reporter', '--reporter-option', '--bail', '--parallel', '--jobs', '--config', '--no-config', '--package', '--no-package', '--list-files', '--list-interfaces', '--list-reporters', '--dry-run', '--help', '--version'].includes(f) || f.startsWith('--inspect') || f === '--debug-brk' || f === 'inspect',
};

/** vitest's sub-commands: Ducktrace always uses `run`. */
const vitestCommands = new Set(['run', 'watch', 'dev', 'related', 'bench', 'list', 'typecheck']);

export interface KeptArguments {
  /** The invocation's flags Ducktrace keeps, as words, in their order. */
  readonly flags: string[];
  /** Its positional arguments: node's files, globs and folders; jest's and vitest's path filters. */
  readonly positionals: Word[];
}

/**
 * What of an invocation's arguments a Ducktrace run keeps. `replaced` names flags Ducktrace gives a
 * value of its own in this run (a per-test timeout, a test-name filter), so the project's copy goes.
 */
export function keptArguments(invocation: Pick<RunnerInvocation, 'framework' | 'args'>, replaced: readonly string[] = []): KeptArguments {
  const framework = invocation.framework;
  if (framework === 'pytest') return { flags: invocation.args.map((w) => w.text), positionals: [] };
  const flags: string[] = [];
  const positionals: Word[] = [];
  const split = splitRunnerArgs(framework, invocation.args);
  const relatedFiles = split.some((a) => a.flag === '--findRelatedTests') || (framework === 'vitest' && split.find((a) => !a.flag)?.words[0].text === 'related');
  let sawCommand = false;
  for (const arg of split) {
    if (!arg.flag) {
      const text = arg.words[0].text;
      if (framework === 'vitest' && !sawCommand && vitestCommands.has(text)) {
        sawCommand = true;
        continue;
      }
      sawCommand = true;
      if (!relatedFiles) positionals.push(arg.words[0]);
      continue;
    }
    if (dropAlways[framework](arg.flag) || replaced.includes(arg.flag)) continue;
    flags.push(...arg.words.map((w) => w.text));
  }
  return { flags, positionals };
}
