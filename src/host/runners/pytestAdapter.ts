// pytest: discovery with `--collect-only` and Ducktrace's plugin (node ids with their lines);
// runs write JUnit XML (xunit1, which has file and line) and the plugin's events. The plugin
// fails a test that runs past the per-test timeout; a run that still stops making progress (a
// loop in C code, no SIGALRM on Windows) is killed, the test it was in is reported as hung, and
// the tests that had not run yet are run again without it.
import { existsSync, readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { discoveredFromEvents, hungResult, parsePytestEvents, parsePytestJunit, resultsFromEvents, splitNodeId } from '../../core/failures/pytestReport';
import { resolvePath } from '../../core/failures/paths';
import { parseTerminalOutput, stripAnsi } from '../../core/failures/terminalOutput';
import type { TestCaseResult, TestRunReport } from '../../core/failures/testFailure';
import type { Discovery, FrameworkAdapter, RunnerContext, RunSelection } from './adapter';
import { runProcessTree, type ProcessTreeResult } from '../process/processTree';
import { watchProgress } from '../process/progressWatch';

const maxReruns = 50;

/**
 * The user's environment plus the one thing pytest needs to load Ducktrace's plugin: its folder
 * on PYTHONPATH. Nothing else (no colour switches); `-u` keeps the output flowing instead of
 * PYTHONUNBUFFERED, which the tests would see. A plain run adds nothing at all.
 */
function env(ctx: RunnerContext): NodeJS.ProcessEnv {
  if (ctx.plain) return { ...process.env };
  const pythonPath = [ctx.helpersDir, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  return { ...process.env, PYTHONPATH: pythonPath };
}

function baseArgs(eventsFile: string): string[] {
  return ['-u', '-m', 'pytest', '-p', 'ducktrace_pytest', `--ducktrace-events=${eventsFile}`, '-p', 'no:cacheprovider'];
}

function lastEventIsStart(file: string, size: number): boolean {
  if (size <= 0) return false;
  const length = Math.min(size, 4096);
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').trim().split('\n');
  return /"event": "start"/.test(lines[lines.length - 1] ?? '');
}

function couldNotRun(ctx: RunnerContext, result: ProcessTreeResult): string {
  if (result.startError) return `Python interpreter not found: ${result.startError}. Set "ducktrace.python.path" to a Python with pytest installed.`;
  if (/No module named pytest/.test(result.output)) return `pytest is not installed for ${ctx.python} (No module named pytest). Install it (python -m pip install pytest) or set "ducktrace.python.path".`;
  const tail = result.output.trim().split('\n').slice(-8).join('\n');
  return `pytest could not run (exit code ${result.exitCode}):\n${tail}`;
}

export const pytestAdapter: FrameworkAdapter = {
  framework: 'pytest',

  async discover(ctx: RunnerContext, files: readonly string[]): Promise<Discovery> {
    const eventsFile = join(ctx.tempDir, `collect-${Date.now()}.jsonl`);
    const result = await runProcessTree(ctx.python, [...baseArgs(eventsFile), '--collect-only', '-q', ...files], {
      cwd: ctx.cwd,
      env: env(ctx),
      timeoutMs: Math.max(60_000, ctx.testTimeoutMs * 2),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
    });
    if (!existsSync(eventsFile)) return { tests: [], problems: [couldNotRun(ctx, result)] };
    const events = parsePytestEvents(readFileSync(eventsFile, 'utf8'));
    const rootdir = events.rootdir ?? ctx.cwd;
    const problems = events.collectionErrors.map((e) => `pytest could not collect ${e.nodeId}:\n${e.longrepr.split('\n').filter((l) => l.startsWith('E ')).join('\n') || e.longrepr.slice(-500)}`);
    if (result.timedOut) problems.push('pytest took too long to collect the tests and was stopped.');
    return { tests: discoveredFromEvents(events, { rootdir, cwd: ctx.cwd }), problems };
  },

  async run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
    if (ctx.plain) return plainPytestRun(ctx, selection);
    const problems: string[] = [];
    const results: TestCaseResult[] = [];
    let targets = targetsOf(selection);
    let timedOut = false;
    for (let attempt = 0; attempt <= maxReruns; attempt++) {
      const stamp = `${Date.now()}-${attempt}`;
      const eventsFile = join(ctx.tempDir, `events-${stamp}.jsonl`);
      const xmlFile = join(ctx.tempDir, `junit-${stamp}.xml`);
      const seconds = Math.max(1, Math.round(ctx.testTimeoutMs / 1000));
      const args = [
        ...baseArgs(eventsFile),
        `--ducktrace-timeout=${seconds}`,
        '--continue-on-collection-errors',
        `--junitxml=${xmlFile}`,
        '-o', 'junit_family=xunit1',
        '-o', 'junit_logging=all',
        '--tb=short',
        '-q',
        ...targets,
      ];
      ctx.onOutput?.(`$ ${ctx.python} ${args.join(' ')}\r\n`);
      const result = await runProcessTree(ctx.python, args, {
        cwd: ctx.cwd,
        env: env(ctx),
        timeoutMs: 0,
        // Idle when a test started and nothing was written for too long (between tests pytest may be collecting).
        isIdle: watchProgress(eventsFile, { limitMs: ctx.testTimeoutMs * 2 + 5_000, stuck: (size) => lastEventIsStart(eventsFile, size) }).isIdle,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
        ...(ctx.onOutput ? { onOutput: (t: string) => ctx.onOutput?.(t.replace(/\r?\n/g, '\r\n')) } : {}),
      });
      const events = existsSync(eventsFile) ? parsePytestEvents(readFileSync(eventsFile, 'utf8')) : undefined;
      const rootdir = events?.rootdir ?? ctx.cwd;
      const paths = { rootdir, cwd: ctx.cwd };
      if (!events && !existsSync(xmlFile)) {
        if (result.cancelled) return { framework: 'pytest', cwd: ctx.cwd, results, problems, cancelled: true };
        problems.push(couldNotRun(ctx, result));
        break;
      }
      if (!result.idleKilled && !result.cancelled && existsSync(xmlFile)) {
        try {
          results.push(...parsePytestJunit(readFileSync(xmlFile, 'utf8'), paths));
          if (result.exitCode === 5 && results.length === 0) problems.push('pytest found no tests.');
          break;
        } catch (err) {
          problems.push(`pytest's report could not be read (${String(err)}); using its progress events instead.`);
        }
      }
      if (!events) break;
      results.push(...resultsFromEvents(events, paths));
      if (result.cancelled) return { framework: 'pytest', cwd: ctx.cwd, results, problems, cancelled: true };
      const hung = events.started.filter((id) => !events.finished.has(id));
      const lines = new Map(events.collected.map((c) => [c.nodeId, c.line]));
      for (const id of hung) results.push(hungResult(id, paths, lines.get(id), seconds));
      if (!result.idleKilled) {
        if (events.collected.length === 0 && result.exitCode !== 0) problems.push(couldNotRun(ctx, result));
        break;
      }
      timedOut = true;
      const done = new Set([...events.finished, ...hung]);
      const remaining = events.collected.map((c) => c.nodeId).filter((id) => !done.has(id));
      if (remaining.length === 0) break;
      ctx.onOutput?.(`\r\nDucktrace stopped a test that made no progress (${hung.join(', ')}); running the ${remaining.length} remaining tests.\r\n`);
      targets = remaining.map((id) => absoluteNodeId(rootdir, id));
      if (attempt === maxReruns) problems.push(`Stopped after ${maxReruns} hung tests; ${remaining.length} tests did not run.`);
    }
    return { framework: 'pytest', cwd: ctx.cwd, results: dedupe(results), problems, ...(timedOut ? { timedOut } : {}) };
  },
};

/**
 * pytest as the project runs it: no plugin, nothing added to the environment; JUnit XML to read
 * the results (`-v` output when a test that never finishes gets the run stopped, since the XML is
 * written at the end).
 */
async function plainPytestRun(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport> {
  const xmlFile = join(ctx.tempDir, `junit-plain-${Date.now()}.xml`);
  const args = ['-u', '-m', 'pytest', '-p', 'no:cacheprovider', `--junitxml=${xmlFile}`, '-o', 'junit_family=xunit1', '--tb=short', '-v', ...targetsOf(selection)];
  ctx.onOutput?.(`$ ${ctx.python} ${args.join(' ')}\r\n`);
  let output = '';
  let grown = Date.now();
  const limit = ctx.testTimeoutMs * 2 + 5_000;
  const result = await runProcessTree(ctx.python, args, {
    cwd: ctx.cwd,
    env: env(ctx),
    timeoutMs: 0,
    isIdle: () => Date.now() - grown > limit,
    onOutput: (t: string) => {
      output += t;
      grown = Date.now();
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
  });
  if (result.cancelled) return { framework: 'pytest', cwd: ctx.cwd, results: [], problems: [], cancelled: true };
  // The report's paths are relative to pytest's rootdir, which its header names.
  const rootdir = /^rootdir: (.+?)(?:, \w+: .*)?$/m.exec(stripAnsi(output))?.[1]?.trim() || ctx.cwd;
  if (!result.idleKilled && existsSync(xmlFile)) {
    try {
      return { framework: 'pytest', cwd: ctx.cwd, results: parsePytestJunit(readFileSync(xmlFile, 'utf8'), { rootdir, cwd: ctx.cwd }), problems: [] };
    } catch {
      // read the output instead
    }
  }
  const results = parseTerminalOutput('pytest', output, ctx.cwd).results;
  return { framework: 'pytest', cwd: ctx.cwd, results, problems: result.idleKilled || results.length ? [] : [couldNotRun(ctx, result)], ...(result.idleKilled ? { timedOut: true } : {}) };
}

function absoluteNodeId(rootdir: string, nodeId: string): string {
  const { file } = splitNodeId(nodeId);
  return resolvePath(rootdir, file) + nodeId.slice(file.length);
}

function targetsOf(selection: RunSelection): string[] {
  if (selection.tests?.length) {
    return selection.tests.map((t) => (t.nodeId ? t.file + t.nodeId.slice(splitNodeId(t.nodeId).file.length) : [t.file, ...t.suitePath, t.name].join('::')));
  }
  return [...(selection.files ?? [])];
}

/** A rerun never repeats a test, but keep the last word per test anyway. */
function dedupe(results: TestCaseResult[]): TestCaseResult[] {
  const byId = new Map<string, TestCaseResult>();
  for (const r of results) byId.set(r.testId, r);
  return [...byId.values()];
}
