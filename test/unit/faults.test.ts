// Fault injection: each test breaks one thing the pipeline depends on (the model server, the test
// process, the tracer, the interpreter, the runner, the checkpoint) and checks that the user's
// files are byte-identical afterwards, the message says what happened, and nothing is left running.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ModelError } from '../../src/core/modelClient';
import { iterateUntilGreen } from '../../src/core/loop/iterateUntilGreen';
import { diagnoseFailure } from '../../src/host/duck/diagnoseFailure';
import { createFsLoopPorts } from '../../src/host/loop/fsLoopPorts';
import { OpenAiCompatibleClient } from '../../src/host/models/openAiCompatibleClient';
import { NodeSourceFiles } from '../../src/host/nodeSourceFiles';
import { runFolder } from '../../src/host/runners/testService';
import { traceTest } from '../../src/host/tracers/traceTest';
import { copyFixture, eventually, isAlive, livingInGroup, snapshot, snapshotDiff } from './support/faultKit';
import { parser, repoRoot } from './support/fixtures';

type Server = { baseURL: string; requests: unknown[]; close(): Promise<void> };
const serverModule = pathToFileURL(join(__dirname, '../../../test/support/scriptedModelServer.mjs')).href;
async function server(steps: object[]): Promise<Server> {
  const { startScriptedModelServer } = await import(serverModule);
  return startScriptedModelServer({ steps });
}
const helpersDir = join(repoRoot, 'dist');

/** Runs `fn` on a temp copy of a fixture project and checks that no file in it changed. */
async function onCopy<T>(parts: string[], fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = copyFixture(...parts);
  try {
    const before = snapshot(dir);
    const result = await fn(dir);
    assert.deepEqual(snapshotDiff(before, snapshot(dir)), [], 'the user files are byte-identical');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the model: through diagnoseFailure, the real client and a scripted server ----

async function diagnoseWith(steps: object[], client: { timeoutMs?: number; maxRetries?: number; maxReplyBytes?: number }) {
  const s = await server(steps);
  try {
    return await onCopy(['workspace'], async (dir) => {
      const result = await diagnoseFailure({
        failure: { name: 'test_ten_percent_off', file: join(dir, 'test_pricing.py'), line: 9, message: 'assert 8.0 == 72', stack: [{ file: join(dir, 'test_pricing.py'), line: 9 }, { file: join(dir, 'pricing.py'), line: 8 }] as never },
        roots: [dir],
        files: new NodeSourceFiles(),
        parser,
        model: async () => new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'scripted', maxRetries: client.maxRetries ?? 0, timeoutMs: client.timeoutMs ?? 5000, ...(client.maxReplyBytes ? { limits: { maxReplyBytes: client.maxReplyBytes } } : {}) }),
      });
      return { result, requests: s.requests.length };
    });
  } finally {
    await s.close();
  }
}

function expectModelFailure(result: Awaited<ReturnType<typeof diagnoseWith>>['result'], kind: ModelError['kind'] | ModelError['kind'][], message: RegExp) {
  assert.ok(result.ok, `the target was found (${result.ok ? '' : result.error})`);
  const outcome = result.outcome;
  assert.equal(outcome.ok, false, 'no diagnosis from a broken model');
  if (outcome.ok) return;
  assert.equal(outcome.kind, 'model');
  assert.ok(outcome.modelError instanceof ModelError);
  assert.ok(([] as string[]).concat(kind).includes(outcome.modelError!.kind), `kind ${outcome.modelError!.kind}: ${outcome.error}`);
  assert.match(outcome.error, message);
}

test('fault: the model never answers: a timeout within the budget, asked once (no retries of a timeout)', async () => {
  const { result, requests } = await diagnoseWith([{ hang: true }], { timeoutMs: 1000, maxRetries: 2 });
  expectModelFailure(result, 'timeout', /sent no answer within 1 s \(the request was sent but nothing came back/);
  // Never asked again. On a machine busy enough the second's timeout can pass before the test
  // server has even read the request (a clean-clone CI beside two benchmarks counted 0).
  assert.ok(requests <= 1, `${requests} requests`);
});

test('fault: the model stalls mid-stream: stopped at the idle limit', async () => {
  const { result } = await diagnoseWith([{ stallAfter: '{"summary": "The discount' }], { timeoutMs: 2000 });
  expectModelFailure(result, 'timeout', /stopped sending: nothing for 1 s after 25 bytes of the answer/);
});

test('fault: the model streams forever: stopped at the reply cap', async () => {
  const { result, requests } = await diagnoseWith([{ endless: true, chunkSize: 1024 }], { timeoutMs: 60_000, maxReplyBytes: 32 * 1024 });
  expectModelFailure(result, 'tooLarge', /kept streaming past 32 KB/);
  assert.equal(requests, 1, 'not asked again');
});

test('fault: the model disconnects mid-stream', async () => {
  const { result } = await diagnoseWith([{ disconnectAfter: 'The discount is divided by 10' }], {});
  expectModelFailure(result, 'connection', /The stream from .* stopped after 29 bytes \(the connection closed before the answer was complete/);
  if (result.ok && !result.outcome.ok) assert.doesNotMatch(result.outcome.error, /^The discount/, 'no partial answer passed off as a reply');
});

test('fault: the model server sends an invalid JSON body', async () => {
  const { result } = await diagnoseWith([{ jsonBody: '<html>502 Bad Gateway</html>' }], {});
  expectModelFailure(result, 'malformed', /sent an invalid JSON body \(it starts: "<html>502 Bad Gateway<\/html>"\)/);
});

test('fault: a 429 storm ends after bounded retries', async () => {
  const { result, requests } = await diagnoseWith([{ status: 429, retryAfter: 0 }], { maxRetries: 2 });
  expectModelFailure(result, 'rateLimited', /rate|429|too many/i);
  assert.equal(requests, 3, 'one try and two retries');
});

test('fault: the model server answers 500', async () => {
  const { result } = await diagnoseWith([{ status: 500, message: 'internal error' }], {});
  expectModelFailure(result, 'server', /500|server/i);
});

test('fault: the model streams malformed bytes', async () => {
  const { result } = await diagnoseWith([{ malformed: true }], {});
  expectModelFailure(result, 'malformed', /not in the OpenAI format/);
});

test('fault: a 429 whose retry-after outlasts the budget ends at once', async () => {
  const { result, requests } = await diagnoseWith([{ status: 429, retryAfter: 600 }], { maxRetries: 2 });
  expectModelFailure(result, 'rateLimited', /asked to wait 600 s before trying again, more than the/);
  assert.equal(requests, 1);
});

// ---- the CLI: `ducktrace fix` as a process, against a model that never answers ----

/** Runs the CLI as users do; resolves with its exit code and output once the process has ended. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A guard against a hang of this test, not a measurement: the budget below is 3 s.
    const guard = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

test('fault: `ducktrace fix --write` against a server that never answers ends after one request within its budget, and says why', async () => {
  const s = await server([{ hang: true }]);
  try {
    await onCopy(['loop', 'python'], async (dir) => {
      const run = await runCli(['fix', '--cwd', dir, '--write', '--json'], { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted', DUCKTRACE_MODEL_TIMEOUT_SECONDS: '3' });
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as { stop: string; message: string; iterations: { result: string; detail: string }[] };
      assert.equal(report.stop, 'error', report.message);
      assert.match(report.message, /Stopped: the model could not be asked\. The model server at .* sent no answer within 1\.5 s \(the request was sent but nothing came back, not even the response headers\)\. .*raise DUCKTRACE_MODEL_TIMEOUT_SECONDS/);
      assert.deepEqual(report.iterations.map((i) => i.result), ['model-error'], 'one question, then the loop stopped (two tests fail)');
      assert.equal(s.requests.length, 1, 'the server saw one request: no retries, no second failure asked about');
      // The dry run (no --write) stops the same way instead of asking about each failing test.
      const dry = await runCli(['fix', '--cwd', dir], { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted', DUCKTRACE_MODEL_TIMEOUT_SECONDS: '3' });
      assert.equal(dry.code, 1, dry.stderr);
      assert.match(dry.stdout, /Dry run stopped: the model could not be asked\. .*sent no answer within 1\.5 s/);
      assert.equal(s.requests.length, 2);
    });
  } finally {
    await s.close();
  }
});

// ---- the test process: hang, crash, kill; through the runner and through the tracer ----

const processFaults: [string, string][] = [
  ['hang', 'hangs'],
  ['exit', 'exits with os._exit'],
  ['segfault', 'segfaults (ctypes)'],
  ['kill', 'is killed (SIGKILL)'],
];

async function withFault<T>(fault: string, fn: (dir: string, env: NodeJS.ProcessEnv, pidFile: string) => Promise<T>): Promise<{ value: T; pids: number[] }> {
  const scratch = mkdtempSync(join(tmpdir(), 'ducktrace-pids-'));
  const pidFile = join(scratch, 'pids');
  try {
    const value = await onCopy(['hostile', 'process'], (dir) => fn(dir, { DUCKTRACE_FAULT: fault, DUCKTRACE_FAULT_PIDFILE: pidFile }, pidFile));
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    return { value, pids };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function assertNothingLeft(pids: number[]) {
  const [pid, pgid, sleeper] = pids as [number, number, number];
  assert.ok(await eventually(() => !isAlive(sleeper!)), `the grandchild ${sleeper} is gone`);
  assert.ok(await eventually(() => !isAlive(pid!)), `the test process ${pid} is gone`);
  assert.ok(await eventually(() => livingInGroup(pgid!).length === 0), `process group ${pgid} is empty (${livingInGroup(pgid!).join(', ')})`);
}

for (const [fault, what] of processFaults) {
  test(`fault: a test that ${what}, run by the test runner: a clear result, nothing left running, files unchanged`, async () => {
    const started = Date.now();
    const { value: run, pids } = await withFault(fault, async (dir, env) => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        return await runFolder(dir, 'pytest', { helpersDir, python: 'python3', testTimeoutMs: 3000 });
      } finally {
        for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      }
    });
    assert.ok(Date.now() - started < 30_000, `bounded (${Date.now() - started} ms)`);
    const report = run.reports[0]!;
    const said = [...report.problems, ...report.results.map((r) => `${r.outcome}: ${r.failure?.message ?? ''}`)].join('\n');
    const failed = report.results.some((r) => r.outcome !== 'passed') || report.problems.length > 0 || report.timedOut;
    assert.ok(failed, `the run is not reported as green: ${said}`);
    assert.match(said, fault === 'hang' ? /time|did not finish|killed|stopped/i : /crash|exit|signal|killed|segmentation|did not|fault|stopped/i, said);
    await assertNothingLeft(pids);
  });

  test(`fault: a test that ${what}, under the tracer: a clear result, nothing left running, files unchanged`, async () => {
    const { value: run, pids } = await withFault(fault, (dir, env) =>
      traceTest({ cwd: dir, test: 'test_faulty.py::test_fault', target: { file: 'faulty.py', function: 'misbehave' }, env, budget: { timeoutMs: 5000 } }),
    );
    assert.notEqual(run.exitCode, 0, 'not reported as a passing run');
    if (fault === 'hang') assert.equal(run.trace.endedEarly?.by, 'time', 'the hang is stopped at the time limit, and the trace says so');
    if (fault === 'exit') assert.equal(run.trace.endedEarly?.by, 'exit', 'os._exit inside the function: the trace so far, and why it ends there');
    assert.ok(run.trace.calls.length >= 1 || (fault !== 'hang' && fault !== 'exit'), 'the hang and the exit still give the recorded call');
    await assertNothingLeft(pids);
  });
}

// ---- the tracer and the toolchain ----

test('fault: the tracer crashes (a module on PYTHONPATH shadows it): a clear error, files unchanged', async () => {
  const shadow = mkdtempSync(join(tmpdir(), 'ducktrace-shadow-'));
  try {
    writeFileSync(join(shadow, 'json.py'), 'raise ImportError("shadowed json")\n');
    await onCopy(['hostile', 'process'], async (dir) => {
      const run = await traceTest({ cwd: dir, test: 'test_faulty.py::test_fault', target: { file: 'faulty.py', function: 'misbehave' }, env: { PYTHONPATH: shadow }, budget: { timeoutMs: 8000 } }).then(
        (r) => r,
        (e: unknown) => e as Error,
      );
      if (run instanceof Error) assert.match(run.message, /\w{6,}/);
      else {
        assert.notEqual(run.exitCode, 0);
        assert.equal(run.trace.calls.length, 0);
        assert.match(run.stderr, /shadowed json/, 'the cause is in the output');
      }
    });
  } finally {
    rmSync(shadow, { recursive: true, force: true });
  }
});

test('fault: Python is missing: a clear error from the runner and from the tracer', async () => {
  await onCopy(['hostile', 'process'], async (dir) => {
    const run = await runFolder(dir, 'pytest', { helpersDir, python: '/nonexistent/python3', testTimeoutMs: 5000 });
    assert.match(run.reports[0]!.problems.join('\n'), /Python interpreter not found.*\/nonexistent\/python3/);
    await assert.rejects(traceTest({ cwd: dir, test: 'test_faulty.py::test_fault', target: { file: 'faulty.py', function: 'misbehave' }, python: '/nonexistent/python3' }), /\/nonexistent\/python3/);
  });
});

test('fault: a jest project without node_modules: a clear error', async () => {
  await onCopy(['runners', 'jest', 'project'], async (dir) => {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    const run = await runFolder(dir, 'jest', { helpersDir, python: 'python3', testTimeoutMs: 5000 });
    assert.match(run.reports.flatMap((r) => r.problems).join('\n'), /jest is not installed.*npm install/);
  });
});

// ---- the fix loop: a checkpoint that cannot be written ----

test('fault: the loop cannot write its checkpoint: it stops with error and changes nothing', async () => {
  const fix = JSON.stringify({ summary: 'percent is out of 100.', verdicts: [], fix: { kind: 'search_replace', edits: [{ search: '    discounted = price - price * percent / 10  # bug: percent is out of 100', replace: '    discounted = price - price * percent / 100' }] } });
  const s = await server([{ reply: fix }]);
  // As root, chmod 500 does not stop writes: make the checkpoint folder a file instead, and also
  // wrap the port so the failure is certain whatever the machine.
  const tmp = mkdtempSync(join(tmpdir(), 'ducktrace-tmp-'));
  writeFileSync(join(tmp, 'ducktrace-checkpoints'), 'not a folder');
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    await onCopy(['workspace'], async (dir) => {
      const ports = createFsLoopPorts({ cwd: dir, framework: 'pytest', testTimeoutMs: 10_000, helpersDir, write: true, trace: false, model: async () => new OpenAiCompatibleClient({ baseUrl: s.baseURL, model: 'scripted', maxRetries: 0 }) });
      let checkpointError: unknown;
      const summary = await iterateUntilGreen({
        ...ports,
        async checkpoint(file, original) {
          try {
            await ports.checkpoint(file, original);
          } catch (err) {
            checkpointError = err;
            throw err;
          }
          throw new Error('the checkpoint folder is not writable');
        },
      }, { maxIterations: 2 });
      await ports.dispose();
      assert.equal(summary.stop, 'error', JSON.stringify(summary));
      assert.ok(checkpointError instanceof Error, 'the real checkpoint failed (ENOTDIR)');
      assert.match(JSON.stringify(summary), /checkpoint|ENOTDIR|not writable|not a directory/i);
    });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(tmp, { recursive: true, force: true });
    await s.close();
  }
});
