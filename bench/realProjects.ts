// `npm run bench:real`: Ducktrace on real projects, run as a user runs it. Not part of `npm test`
// nor of `npm run bench`: it downloads real packages, installs their test runners and takes a
// quarter of an hour or more.
//
// Each project is a real package pinned by version, with the tests its authors wrote: an npm
// tarball that ships its tests (its test runner installed from the npm registry at a pinned
// version), or a Debian package that ships its tests inside the module (fetched with
// `apt-get download`, unpacked with `dpkg -x`; Python 3 and pytest run them). Downloads and
// installs are cached (`.bench-cache/real/`, and node_modules through test/support/fixtureDeps.ts,
// `DUCKTRACE_FIXTURE_CACHE`); each run works on fresh temporary copies.
//
// One documented bug is injected into each project: an off-by-one or a wrong comparison in a
// function several tests use (why each is realistic is written next to it below). Then the CLI
// runs as a process, as a user would run it, and each step is checked:
//   failures  `ducktrace failures --json` on the project without the bug (what fails anyway, e.g.
//             because of this machine) and with it: the tests the bug breaks, as the project's own
//             runner counts them, must all be among the failures.
//   trace     `ducktrace trace --test <the first of those tests> --target <the buggy function>`:
//             the function ran and values were recorded after its blocks.
//   localize  `ducktrace localize --target <the buggy function>`: the rank of the block holding the
//             bug (printed, not a pass/fail criterion: the ranking's figures are in `npm run bench`).
//   fix       `ducktrace fix --write` against test/support/scriptedModelServer.mjs replaying the
//             reference fix. This is a REPLAY, not a model: it answers with the original function
//             when the prompt shows the buggy function (its first line), and with "no fix" for any
//             other function. So it checks that Ducktrace finds the right function on its own
//             (the target: which function each prompt was about), carries the fix through, and
//             reaches green.
//   restored  the reverse of the diff `fix --json` reports is applied; every file of the project
//             must then be byte-identical to the buggy project before the first command (so no
//             command changed anything it did not report, and the report is exact).
// A project passes when its failures, target, trace, green and restored checks pass.
//
// Usage: npm run bench:real [-- NAME...] [--projects FILE.json] [--keep]
//   NAME...            only these projects
//   --projects FILE    projects from a JSON file (an array shaped like `realProjects` below): held-out
//                      checks on projects that are not in this repository
//   --keep             keep the temporary copies (their folder is printed)
// Writes bench/results/real-projects.json; exits 1 when a project does not pass.

import { parsePatch, applyPatch, reversePatch } from 'diff';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { blocksOfFunction } from '../src/core/blocks/functionBlocks';
import { languageForFile } from '../src/core/blocks/languages';
import { containsLine, LineIndex } from '../src/core/blocks/positions';
import { runProcessTree } from '../src/host/process/processTree';
import { TreeSitterParser, defaultTreeSitterPaths } from '../src/host/treeSitter';
import { nodeModulesFor } from '../test/support/fixtureDeps';

export interface NpmSource {
  readonly kind: 'npm';
  /** `name@exact.version`: the published tarball, which must include the tests. */
  readonly spec: string;
}

export interface DebSource {
  readonly kind: 'deb';
  readonly package: string;
  readonly version: string;
  /** The folder of the unpacked package holding the modules, e.g. usr/lib/python3/dist-packages. */
  readonly from: string;
  /** The module folders to take from it (tests included); they become the project's top level. */
  readonly take: readonly string[];
}

export interface InjectedBug {
  /** Relative to the project. */
  readonly file: string;
  /** As `ducktrace trace --target` takes it: `name`, `Class.method`. */
  readonly function: string;
  /** Text of the original file, found exactly once, and what the bug puts in its place. */
  readonly original: string;
  readonly injected: string;
  /** Why this is a bug people write. */
  readonly why: string;
}

export interface RealProject {
  readonly name: string;
  readonly runner: 'node' | 'jest' | 'vitest' | 'mocha' | 'pytest';
  readonly what: string;
  readonly source: NpmSource | DebSource;
  /** What the tests need installed, pinned: the runner, its transform, the package's dependencies. */
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly bug: InjectedBug;
  /** How many tests the bug breaks, as the project's own test command counts them (run by hand once). */
  readonly bugTestCount: number;
  /** Per-test timeout for failures and fix, seconds. */
  readonly timeoutSeconds?: number;
}

export const realProjects: readonly RealProject[] = [
  {
    name: 'proxy-addr',
    runner: 'node',
    what: "@fastify/proxy-addr: which address a request came from behind proxies (node:test, CommonJS; its script: c8 --100 node --test)",
    source: { kind: 'npm', spec: '@fastify/proxy-addr@5.1.3' },
    devDependencies: { '@fastify/forwarded': '3.1.2', 'ipaddr.js': '2.5.0' },
    bug: {
      file: 'index.js',
      function: 'alladdrs',
      original: '    addrs.length = i + 1\n',
      injected: '    addrs.length = i\n',
      why: 'Cutting a list after index i needs the length i + 1; writing the index as the length is the classic index-versus-length off-by-one. It drops the first untrusted address, which is the one proxyaddr() returns.',
    },
    bugTestCount: 23,
  },
  {
    name: 'hashids',
    runner: 'jest',
    what: 'hashids 2.1.0: short ids from numbers (jest 24 with babel-jest and @babel/preset-typescript, a TypeScript class)',
    source: { kind: 'npm', spec: 'hashids@2.1.0' },
    // The package's own devDependencies minus lint, release and build tools.
    devDependencies: { jest: '24.9.0', '@babel/core': '7.29.13', '@babel/preset-env': '7.29.14', '@babel/preset-typescript': '7.29.7', '@babel/plugin-syntax-bigint': '7.8.3' },
    bug: {
      file: 'lib/hashids.ts',
      function: 'Hashids._encode',
      original: '      if (i + 1 < numbers.length) {',
      injected: '      if (i < numbers.length) {',
      why: '"Is there a next number?" written as i < length instead of i + 1 < length: a loop-bound off-by-one that appends a separator after the last number, so every id changes and decode() rejects its own ids.',
    },
    bugTestCount: 181,
  },
  {
    name: 'css-what',
    runner: 'vitest',
    what: 'css-what 8.0.0: a CSS selector parser and stringifier (vitest 4, TypeScript, ES modules)',
    source: { kind: 'npm', spec: 'css-what@8.0.0' },
    devDependencies: { vitest: '4.1.12' },
    bug: {
      file: 'src/stringify.ts',
      function: 'escapeName',
      original: '            lastIndex = index + 1;',
      injected: '            lastIndex = index;',
      why: 'After copying an escaped character the scan must resume after it; resuming at the character itself is an off-by-one that writes every escaped character twice. Only stringify() of selectors with characters to escape goes wrong, and the tests see it as a re-parse that differs.',
    },
    bugTestCount: 12,
  },
  {
    name: 'millisecond',
    runner: 'mocha',
    what: "millisecond 0.1.2: '2 days' or '1.5h' to milliseconds (mocha with assume, CommonJS; its script: mocha test.js)",
    source: { kind: 'npm', spec: 'millisecond@0.1.2' },
    // The package asks for mocha 2.1 and assume 1.1: Ducktrace runs mocha 8 and later, and assume 1.1's
    // prettify-error is gone from the registry; same assertions with these.
    devDependencies: { mocha: '10.8.2', assume: '2.3.0' },
    bug: {
      file: 'index.js',
      function: 'millisecond',
      original: "  else if ('string' !== type || '0' === ms || !ms) return 0;\n",
      injected: "  else if ('string' === type || '0' === ms || !ms) return 0;\n",
      why: "A type guard with its comparison inverted (=== for !==): \"anything that is not a string is 0\" becomes \"every string is 0\". The early return sits above the parsing, so every test of a time string fails on a value, far from the cause.",
    },
    bugTestCount: 12,
  },
  {
    name: 'toolz',
    runner: 'pytest',
    what: "toolz 0.12.0 (Debian's python3-toolz, which ships toolz/tests): functional helpers for iterables and dicts",
    source: { kind: 'deb', package: 'python3-toolz', version: '0.12.0-1', from: 'usr/lib/python3/dist-packages', take: ['toolz', 'tlz'] },
    bug: {
      file: 'toolz/dicttoolz.py',
      function: 'merge_with',
      original: '    if len(dicts) == 1 and not isinstance(dicts[0], Mapping):\n        dicts = dicts[0]\n    factory = _get_factory(merge_with, kwargs)',
      injected: '    if len(dicts) > 1 and not isinstance(dicts[0], Mapping):\n        dicts = dicts[0]\n    factory = _get_factory(merge_with, kwargs)',
      why: 'merge_with(f, [d1, d2]) takes a single iterable of dicts: the test is "exactly one argument". A wrong comparison (> 1 for == 1) treats a list of dicts as one dict and the first dict of several as the list.',
    },
    bugTestCount: 5,
  },
  {
    name: 'h11',
    runner: 'pytest',
    what: "h11 0.14.0 (Debian's python3-h11, which ships h11/tests): a pure-Python HTTP/1.1 protocol library",
    source: { kind: 'deb', package: 'python3-h11', version: '0.14.0-1.1~deb12u1', from: 'usr/lib/python3/dist-packages', take: ['h11'] },
    bug: {
      file: 'h11/_receivebuffer.py',
      function: 'ReceiveBuffer.maybe_extract_next_line',
      original: '        idx = partial_idx + 2\n',
      injected: '        idx = partial_idx + 1\n',
      why: 'A line ends with the two bytes \\r\\n; counting one leaves the \\n in the buffer. An off-by-one in a helper whose wrong result only fails later, in the chunked-body reader that parses the line it returned.',
    },
    bugTestCount: 8,
  },
];

// ---------------------------------------------------------------------------------------------

const repoRoot = resolve(__dirname, '../..');
const cliJs = join(repoRoot, 'dist/cli.js');
const cacheRoot = process.env.DUCKTRACE_REAL_CACHE || join(repoRoot, '.bench-cache/real');

interface CliRun {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly timedOut: boolean;
}

async function cli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 20 * 60_000): Promise<CliRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DUCKTRACE_') || k === 'DUCKTRACE_FIXTURE_CACHE'));
  const r = await runProcessTree(process.execPath, [cliJs, ...args], { cwd, env: { ...clean, ...env }, timeoutMs, maxOutputChars: 20_000_000 });
  return { args, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, seconds: Math.round(r.elapsedMs / 100) / 10, timedOut: r.timedOut };
}

function run(command: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit code ${r.status}`}): ${`${r.stderr}`.trim().split('\n').slice(-4).join(' | ')}`);
  return r.stdout;
}

/** The package's tarball or .deb in the cache, downloaded when missing. */
function download(source: NpmSource | DebSource): string {
  if (source.kind === 'npm') {
    const dir = join(cacheRoot, 'npm');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${source.spec.replace(/^@/, '').replace(/[/@]/g, '-')}.tgz`);
    if (!existsSync(file)) {
      const staging = join(dir, `tmp-${process.pid}`);
      mkdirSync(staging, { recursive: true });
      const name = run('npm', ['pack', source.spec, '--silent', '--pack-destination', staging], staging).trim().split('\n').pop()!;
      renameSync(join(staging, name), file);
      rmSync(staging, { recursive: true, force: true });
    }
    return file;
  }
  const dir = join(cacheRoot, 'deb');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${source.package}_${source.version.replace(/:/g, '%3a')}_all.deb`);
  if (!existsSync(file)) {
    const get = () => spawnSync('apt-get', ['download', `${source.package}=${source.version}`], { cwd: dir, encoding: 'utf8', timeout: 5 * 60_000 });
    let r = get();
    // A fresh machine may have no package lists yet: fetch them once (as root), then try again.
    if (r.status !== 0 && process.getuid?.() === 0) {
      spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', timeout: 5 * 60_000 });
      r = get();
    }
    if (r.status !== 0 || !existsSync(file)) throw new Error(`apt-get download ${source.package}=${source.version} failed: ${`${r.stderr}`.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return file;
}

/** The project as published, with its node_modules linked in. */
function materialize(project: RealProject, dest: string): void {
  const archive = download(project.source);
  mkdirSync(dest, { recursive: true });
  if (project.source.kind === 'npm') {
    run('tar', ['xzf', archive, '-C', dest, '--strip-components=1'], dest);
  } else {
    const unpacked = `${dest}.deb`;
    run('dpkg', ['-x', archive, unpacked], repoRoot);
    for (const t of project.source.take) cpSync(join(unpacked, project.source.from, t), join(dest, t), { recursive: true });
    rmSync(unpacked, { recursive: true, force: true });
  }
  if (project.devDependencies && Object.keys(project.devDependencies).length) {
    symlinkSync(nodeModulesFor({ ...project.devDependencies }, `the real project ${project.name}`), join(dest, 'node_modules'), 'junction');
  }
}

/** Every file of the project (not node_modules, not Python's bytecode caches) -> sha256. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name === '__pycache__') continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

function compareSnapshots(before: Map<string, string>, after: Map<string, string>): { changed: string[]; added: string[]; removed: string[] } {
  return {
    changed: [...before].filter(([f, h]) => after.has(f) && after.get(f) !== h).map(([f]) => f),
    added: [...after.keys()].filter((f) => !before.has(f)),
    removed: [...before.keys()].filter((f) => !after.has(f)),
  };
}

interface FailureJson {
  readonly testId: string;
  readonly name: string;
  readonly file: string;
  readonly message: string;
}

function parseJson<T>(run: CliRun, what: string): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON (exit code ${run.exitCode}${run.timedOut ? ', timed out' : ''}): ${(run.stderr || run.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  }
}

/** `trace --test` from a failure's test id (`<absolute file>::<suite>::<name>` or a pytest node id). */
function testSpec(failure: FailureJson, cwd: string): string {
  const sep = failure.testId.indexOf('::');
  const file = sep >= 0 ? failure.testId.slice(0, sep) : failure.testId;
  return `${relative(cwd, file)}${sep >= 0 ? failure.testId.slice(sep) : ''}`;
}

export interface StepResult {
  readonly ok: boolean;
  readonly detail: string;
  readonly seconds?: number;
}

export interface ProjectResult {
  readonly name: string;
  readonly runner: string;
  readonly bug: string;
  readonly failures: StepResult & { readonly failing?: number; readonly failingWithoutBug?: number; readonly bugTests?: number; readonly expected: number };
  /** `prompt`: which of the fix loop's prompts (1-based) first showed the buggy function. */
  readonly target: StepResult & { readonly asked?: readonly string[]; readonly prompt?: number };
  readonly trace: StepResult & { readonly calls?: number; readonly stepsWithValues?: number };
  readonly localize: StepResult & { readonly rank?: number; readonly blocks?: number };
  readonly fix: StepResult & { readonly stop?: string; readonly iterations?: number; readonly requests?: number; readonly sameAsOriginal?: boolean };
  readonly restored: StepResult;
  readonly passed: boolean;
  readonly seconds: number;
}

const notRun: StepResult = { ok: false, detail: 'not run' };

async function checkProject(project: RealProject, parser: TreeSitterParser, keep: boolean, startServer: ScriptedServerFactory): Promise<ProjectResult> {
  const started = Date.now();
  const base = await mkdtemp(join(tmpdir(), `ducktrace-real-${project.name}-`));
  const pristine = join(base, 'pristine');
  const work = join(base, 'work');
  const timeout = String(project.timeoutSeconds ?? 30);
  const result: { -readonly [K in keyof ProjectResult]: ProjectResult[K] } = {
    name: project.name,
    runner: project.runner,
    bug: `${project.bug.file}:${project.bug.function}`,
    failures: { ...notRun, expected: project.bugTestCount },
    target: notRun,
    trace: notRun,
    localize: notRun,
    fix: notRun,
    restored: notRun,
    passed: false,
    seconds: 0,
  };
  const log = (text: string) => process.stderr.write(`  [${project.name}] ${text}\n`);
  try {
    materialize(project, pristine);
    cpSync(pristine, work, { recursive: true, verbatimSymlinks: true });
    const buggyFile = join(work, project.bug.file);
    const original = readFileSync(buggyFile, 'utf8');
    const at = original.indexOf(project.bug.original);
    if (at < 0 || original.indexOf(project.bug.original, at + 1) >= 0) throw new Error(`the bug's original text is not in ${project.bug.file} exactly once`);
    const buggy = original.slice(0, at) + project.bug.injected + original.slice(at + project.bug.original.length);
    writeFileSync(buggyFile, buggy);
    const bugLine = buggy.slice(0, at).split('\n').length;
    const language = languageForFile(buggyFile);
    if (!language) throw new Error(`no language for ${project.bug.file}`);
    const fnName = project.bug.function;
    const originalFn = await blocksOfFunction(original, language, parser, { name: fnName });
    const idx = new LineIndex(original);
    const originalCode = original.slice(idx.offsetAt(originalFn.function.range.start), idx.offsetAt(originalFn.function.range.end));
    const signature = originalCode.split('\n')[0]!;
    const buggyBlocks = (await blocksOfFunction(buggy, language, parser, { name: fnName })).blocks;
    const bugBlock = buggyBlocks.find((b) => containsLine(b.range, bugLine));
    const before = snapshot(work);
    const target = `${project.bug.file}:${fnName}`;

    // failures, without the bug and with it
    log('failures');
    const plain = await cli(['failures', '--cwd', pristine, '--json', '--timeout', timeout], pristine);
    const plainFailures = parseJson<FailureJson[]>(plain, 'failures (without the bug)');
    const withBug = await cli(['failures', '--cwd', work, '--json', '--timeout', timeout], work);
    const failures = parseJson<FailureJson[]>(withBug, 'failures');
    const key = (f: FailureJson, root: string) => `${relative(root, f.testId.split('::')[0]!)}::${f.testId.split('::').slice(1).join('::')}`;
    const failingAnyway = new Set(plainFailures.map((f) => key(f, pristine)));
    const bugFailures = failures.filter((f) => !failingAnyway.has(key(f, work)));
    result.failures = {
      ok: bugFailures.length === project.bugTestCount,
      detail: `${failures.length} failing; ${bugFailures.length} of them pass without the bug (the project's runner counts ${project.bugTestCount})${plainFailures.length ? `; ${plainFailures.length} fail without the bug too: ${plainFailures.slice(0, 3).map((f) => f.name).join('; ')}` : ''}`,
      seconds: plain.seconds + withBug.seconds,
      failing: failures.length,
      failingWithoutBug: plainFailures.length,
      bugTests: bugFailures.length,
      expected: project.bugTestCount,
    };
    log(result.failures.detail);

    // trace the first test the bug breaks
    const first = bugFailures[0];
    if (first) {
      log(`trace ${testSpec(first, work)}`);
      const t = await cli(['trace', '--cwd', work, '--test', testSpec(first, work), '--target', target, '--json'], work);
      try {
        const trace = parseJson<{ calls: { steps: { vars: Record<string, unknown> }[] }[] }>(t, 'trace');
        const withValues = trace.calls.flatMap((c) => c.steps).filter((s) => Object.keys(s.vars ?? {}).length > 0).length;
        result.trace = { ok: trace.calls.length > 0 && withValues > 0, detail: `${trace.calls.length} calls, ${withValues} steps with values (${first.name})`, seconds: t.seconds, calls: trace.calls.length, stepsWithValues: withValues };
      } catch (err) {
        result.trace = { ok: false, detail: err instanceof Error ? err.message : String(err), seconds: t.seconds };
      }
      log(`trace: ${result.trace.detail}`);
    }

    // localize the buggy function's blocks
    log('localize');
    const l = await cli(['localize', '--cwd', work, '--target', target, '--json'], work);
    try {
      const ranking = parseJson<{ blocks: { id: string; rank: number }[] }>(l, 'localize');
      const rank = ranking.blocks.find((b) => b.id === bugBlock?.id)?.rank;
      result.localize = { ok: rank !== undefined, detail: rank !== undefined ? `bug block ${bugBlock!.id} ranked ${rank} of ${ranking.blocks.length}` : `bug block ${bugBlock?.id ?? '?'} not ranked`, seconds: l.seconds, ...(rank !== undefined ? { rank } : {}), blocks: ranking.blocks.length };
    } catch (err) {
      result.localize = { ok: false, detail: err instanceof Error ? err.message : String(err), seconds: l.seconds };
    }
    log(`localize: ${result.localize.detail}`);

    // fix --write against the replay of the reference fix
    log('fix --write');
    // The replay knows one thing: the buggy function and its reference fix. Of any other function it
    // says what is true of it in this project: nothing in it is wrong (one verdict, "correct").
    const reply = (fix: string | null, summary: string) =>
      JSON.stringify({ summary, verdicts: fix === null ? [{ block: 'b1', correct: true, why: summary }] : [], fix: fix === null ? null : { kind: 'function', code: fix, diff: null, edits: null }, test_is_wrong: null });
    const server = await startServer({
      steps: [{ reply: reply(null, `Replay: the bug is in ${fnName}, not in this function; no fix here.`) }],
      routes: [{ when: signature, repeat: true, reply: reply(originalCode, `Replay of the reference fix of ${fnName}.`) }],
    });
    let report: { stop: string; iterations: unknown[]; diff: string; message: string } | undefined;
    try {
      const f = await cli(['fix', '--cwd', work, '--write', '--json', '--timeout', timeout], work, { DUCKTRACE_BASE_URL: server.baseURL, DUCKTRACE_MODEL: 'reference-fix-replay', DUCKTRACE_API_KEY: '' });
      const asked = server.requests.map((r) => askedAbout(r.body));
      const right = asked.findIndex((a) => a.startsWith(`${fnName.split('.').pop()} (${project.bug.file}`) || a.startsWith(`${fnName} (${project.bug.file}`));
      result.target = { ok: right >= 0, detail: right >= 0 ? `${fnName} in prompt ${right + 1} of ${asked.length}${right > 0 ? ` (before it: ${asked.slice(0, right).join('; ')})` : ''}` : `never asked about ${fnName}: ${asked.join('; ') || 'no prompt'}`, asked, ...(right >= 0 ? { prompt: right + 1 } : {}) };
      try {
        report = parseJson(f, 'fix');
        const now = readFileSync(buggyFile, 'utf8');
        result.fix = { ok: report!.stop === 'green', detail: `${report!.stop}: ${report!.message}`, seconds: f.seconds, stop: report!.stop, iterations: report!.iterations.length, requests: server.requests.length, sameAsOriginal: now === original };
      } catch (err) {
        result.fix = { ok: false, detail: err instanceof Error ? err.message : String(err), seconds: f.seconds };
      }
    } finally {
      await server.close();
    }
    log(`target: ${result.target.detail}`);
    log(`fix: ${result.fix.detail}`);

    // undo what fix reported, and compare every file with the buggy project as it was
    if (report) {
      const problems: string[] = [];
      // An empty diff parses as one patch with no file and no hunks: nothing to undo.
      for (const patch of parsePatch(report.diff).filter((p) => p.hunks.length > 0)) {
        const file = (patch.oldFileName ?? '').replace(/^a\//, '');
        const path = join(work, file);
        const reverted = applyPatch(readFileSync(path, 'utf8'), reversePatch(patch));
        if (reverted === false) problems.push(`the reverse of the reported diff does not apply to ${file}`);
        else writeFileSync(path, reverted);
      }
      const d = compareSnapshots(before, snapshot(work));
      problems.push(...d.changed.map((f) => `changed: ${f}`), ...d.removed.map((f) => `removed: ${f}`), ...d.added.map((f) => `added: ${f}`));
      result.restored = { ok: problems.length === 0, detail: problems.length ? problems.slice(0, 8).join('; ') : `byte-identical (${before.size} files)` };
      log(`restored: ${result.restored.detail}`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`error: ${message}`);
    if (result.failures.detail === 'not run') result.failures = { ...result.failures, detail: message };
    else result.fix = { ...result.fix, detail: `${result.fix.detail}; ${message}` };
  } finally {
    if (keep) log(`kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
  result.passed = result.failures.ok && result.target.ok && result.trace.ok && result.fix.ok && result.restored.ok;
  result.seconds = Math.round((Date.now() - started) / 1000);
  return result;
}

/** "NAME (FILE, lines a-b)" from the prompt's heading of the function under test. */
function askedAbout(body: { messages?: { content?: unknown }[] }): string {
  const text = (body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  return /## The function under test: (.+)/.exec(text)?.[1]?.trim() ?? '(no function in the prompt)';
}

interface ScriptedServer {
  readonly baseURL: string;
  readonly requests: { body: { messages?: { content?: unknown }[] } }[];
  close(): Promise<void>;
}
type ScriptedServerFactory = (options: { steps: object[]; routes: object[] }) => Promise<ScriptedServer>;

export function table(results: readonly ProjectResult[]): string {
  const mark = (s: StepResult) => (s.ok ? '✓' : '✗');
  const rows = results.map((r) => [
    r.name,
    r.runner,
    `${mark(r.failures)} ${r.failures.bugTests ?? '?'}/${r.failures.expected} bug tests among ${r.failures.failing ?? '?'}${r.failures.failingWithoutBug ? ` (${r.failures.failingWithoutBug} fail anyway)` : ''}`,
    `${mark(r.target)} ${r.target.prompt ? `prompt ${r.target.prompt} of ${r.target.asked!.length}` : 'no'}`,
    `${mark(r.trace)} ${r.trace.calls ?? 0} calls, ${r.trace.stepsWithValues ?? 0} steps with values`,
    // Why localize gave no rank is in the JSON (and in the log): the cell stays short.
    r.localize.rank !== undefined ? `${r.localize.rank} of ${r.localize.blocks}` : '— (no rank)',
    `${mark(r.fix)} ${r.fix.stop ?? '?'}${r.fix.iterations !== undefined ? `, ${r.fix.iterations} it.` : ''}`,
    mark(r.restored),
    `${r.seconds} s`,
  ]);
  const head = ['project', 'runner', 'failures', 'target', 'trace', 'bug block rank', 'fix --write', 'restored', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const fileArg = args.indexOf('--projects');
  const projects: readonly RealProject[] = fileArg >= 0 ? (JSON.parse(readFileSync(resolve(args[fileArg + 1]!), 'utf8')) as RealProject[]) : realProjects;
  const names = args.filter((a, i) => !a.startsWith('--') && (fileArg < 0 || i !== fileArg + 1));
  const chosen = names.length ? projects.filter((p) => names.includes(p.name)) : projects;
  if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run npm run build first`);
  const { startScriptedModelServer } = (await import(pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href)) as { startScriptedModelServer: ScriptedServerFactory };
  const parser = new TreeSitterParser(defaultTreeSitterPaths(join(repoRoot, 'out')));
  const results: ProjectResult[] = [];
  const started = Date.now();
  for (const project of chosen) {
    process.stderr.write(`real project ${project.name} (${project.runner}): ${project.what}\n`);
    results.push(await checkProject(project, parser, keep, startScriptedModelServer));
  }
  const out = join(repoRoot, 'bench/results');
  mkdirSync(out, { recursive: true });
  const report = { when: new Date().toISOString(), node: process.version, elapsedSeconds: Math.round((Date.now() - started) / 1000), projects: chosen, results };
  writeFileSync(join(out, 'real-projects.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(table(results));
  for (const r of results.filter((x) => !x.passed)) {
    console.log(`\n${r.name} did not pass:`);
    for (const [step, s] of Object.entries({ failures: r.failures, target: r.target, trace: r.trace, fix: r.fix, restored: r.restored })) if (!s.ok) console.log(`  ${step}: ${s.detail}`);
  }
  console.log(`\n${results.filter((r) => r.passed).length}/${results.length} projects passed; wrote bench/results/real-projects.json (${report.elapsedSeconds} s)`);
  process.exitCode = results.every((r) => r.passed) ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
