// The fence around test runs of a model's code (src/host/process/sandbox.ts). Seen: `fix --write`
// ran a fix containing os.system(...) with the user's permissions. With bubblewrap, a fix that
// writes outside the workspace and one that opens a socket are both stopped, the tests still
// report, and nothing outside the workspace changes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFixCommand } from '../../src/host/cli/fixCommand';
import { runProcessTree } from '../../src/host/process/processTree';
import { chooseSandbox, sandboxedCommand } from '../../src/host/process/sandbox';
import { isAlive } from './support/faultKit';
import { repoRoot } from './support/fixtures';

const sandbox = chooseSandbox('auto', []);
const skip = sandbox.sandbox ? false : `no usable bubblewrap here: ${sandbox.notice}`;

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

/** A TCP server on the host's loopback that counts the connections it gets. */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, connections: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('without bubblewrap, or off Linux, runs are not fenced and the notice says so; off says nothing', () => {
  const missing = chooseSandbox('auto', ['/w'], 'linux', { PATH: '/nonexistent' });
  assert.equal(missing.sandbox, undefined);
  assert.match(missing.notice ?? '', /not sandboxed: bubblewrap \(bwrap\) is not installed/);
  const mac = chooseSandbox('auto', ['/w'], 'darwin');
  assert.match(mac.notice ?? '', /not sandboxed: the sandbox needs Linux/);
  assert.deepEqual(chooseSandbox('off', ['/w']), {});
});

test('the fence: no writes outside the writable folders, no network, the process tree still killable', { skip }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ducktrace-sandbox-ws-'));
  const outside = mkdtempSync(join(repoRoot, 'out', 'sandbox-outside-'));
  const net = await listener();
  try {
    const spec = { ...sandbox.sandbox!, writable: [ws] };
    // Something the run needs from outside the workspace, in /tmp (an extension, a virtualenv): still readable.
    const helper = mkdtempSync(join(tmpdir(), 'ducktrace-sandbox-helper-'));
    writeFileSync(join(helper, 'helper.txt'), 'readable');
    const program = [
      'import os, socket, subprocess, sys, tempfile',
      `open(os.path.join(${JSON.stringify(ws)}, 'inside.txt'), 'w').write('ok')`,
      `print('HELPER', open(${JSON.stringify(join(helper, 'helper.txt'))}).read())`,
      "with tempfile.NamedTemporaryFile('w', delete=False) as t: t.write('scratch')",
      "print('TMPDIR', os.environ['TMPDIR'], os.path.dirname(t.name) == os.environ['TMPDIR'])",
      'for target in sys.argv[1:3]:',
      '    try:',
      "        open(target, 'w').write('escaped')",
      "        print('WROTE', target)",
      '    except OSError as e:',
      "        print('BLOCKED', target, e.strerror)",
      'try:',
      `    socket.create_connection(('127.0.0.1', ${net.port}), timeout=3).close()`,
      "    print('CONNECTED')",
      'except OSError as e:',
      "    print('NO NETWORK', e.strerror)",
    ].join('\n');
    const hostTmpFile = join(tmpdir(), `ducktrace-sandbox-probe-${process.pid}`);
    const r = await runProcessTree('python3', ['-c', program, join(outside, 'escaped.txt'), hostTmpFile], { cwd: ws, timeoutMs: 60_000, sandbox: spec });
    assert.equal(r.exitCode, 0, r.output);
    assert.equal(readFileSync(join(ws, 'inside.txt'), 'utf8'), 'ok', 'the workspace stays writable');
    assert.match(r.stdout, /HELPER readable/);
    assert.match(r.stdout, /TMPDIR \S+ducktrace-sandbox-tmp-\S+ True/, 'a private TMPDIR takes temporary files');
    const privateTmp = /TMPDIR (\S+)/.exec(r.stdout)![1]!;
    assert.ok(!existsSync(privateTmp), 'the private TMPDIR is removed after the run');
    assert.match(r.stdout, /BLOCKED .*escaped\.txt Read-only file system/);
    assert.ok(!existsSync(join(outside, 'escaped.txt')));
    // /tmp itself is read-only inside.
    assert.match(r.stdout, new RegExp(`BLOCKED ${hostTmpFile} Read-only file system`));
    assert.ok(!existsSync(hostTmpFile));
    rmSync(helper, { recursive: true, force: true });
    assert.match(r.stdout, /NO NETWORK/);
    assert.equal(net.connections(), 0);

    // A sandboxed program that leaves a grandchild behind: the timeout still ends them all.
    const pidFile = join(ws, 'grandchild.pid');
    const hang = `import subprocess, time\np = subprocess.Popen(['sleep', '300'])\nopen(${JSON.stringify(pidFile)}, 'w').write(str(p.pid))\ntime.sleep(300)`;
    const killed = await runProcessTree('python3', ['-c', hang], { cwd: ws, timeoutMs: 3_000, sandbox: spec });
    assert.ok(killed.timedOut);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const deadline = Date.now() + 10_000;
    while (isAlive(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!isAlive(grandchild), 'the grandchild inside the sandbox was killed with its group');
  } finally {
    await net.close();
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('the bwrap command line: read-only root, the private TMPDIR writable, no network, same process group', () => {
  const { command, args } = sandboxedCommand({ bwrap: '/usr/bin/bwrap', writable: [] }, 'python3', ['-m', 'pytest'], '/w', '/tmp/ducktrace-sandbox-tmp-x');
  assert.equal(command, '/usr/bin/bwrap');
  assert.deepEqual(args.slice(-4), ['--', 'python3', '-m', 'pytest']);
  assert.ok(args.join(' ').includes('--ro-bind / /'));
  assert.ok(args.join(' ').includes('--bind /tmp/ducktrace-sandbox-tmp-x /tmp/ducktrace-sandbox-tmp-x'));
  assert.ok(args.join(' ').includes('--setenv TMPDIR /tmp/ducktrace-sandbox-tmp-x'));
  assert.ok(args.includes('--unshare-net'));
  assert.ok(!args.includes('--new-session'), 'the sandbox stays in the runner\'s process group');
});

// `fix --write` end to end: two scripted fixes, one writing outside the workspace and one opening a
// socket. Both are stopped; the reruns still report; nothing outside the workspace changes.
test('fix --write: a fix that writes outside the workspace and one that opens a socket are stopped; the tests still report', { skip }, async () => {
  const { startScriptedModelServer } = await import(pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href);
  const ws = mkdtempSync(join(tmpdir(), 'ducktrace-sandbox-fix-'));
  const outside = mkdtempSync(join(repoRoot, 'out', 'sandbox-outside-'));
  const net = await listener();
  const escaped = join(outside, 'pwned.txt');
  const fix = (body: string[]) =>
    JSON.stringify({ summary: 'add subtracts', verdicts: [{ blockId: 'b1', correct: false, why: 'a - b' }], fix: { kind: 'function', code: ['def add(a, b):', ...body.map((l) => `    ${l}`), '    return a + b'].join('\n') } });
  const server = await startScriptedModelServer({
    steps: [{ reply: fix([`open(${JSON.stringify(escaped)}, 'w').write('pwned')`]) }, { reply: fix(['import socket', `socket.create_connection(('127.0.0.1', ${net.port}), timeout=3)`]) }],
  });
  try {
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'calc.py'), 'def add(a, b):\n    return a - b\n');
    writeFileSync(join(ws, 'test_calc.py'), 'from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n');
    const { out, io } = capture();
    const code = await createFixCommand({ env: { DUCKTRACE_BASE_URL: server.baseURL, DUCKTRACE_MODEL: 'scripted' }, helpersDir: join(repoRoot, 'dist') }).run(
      ['--cwd', ws, '--write', '--json', '--max-iterations', '2', '--timeout', '20'],
      io,
    );
    assert.equal(code, 1, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.equal(report.sandboxed, true);
    assert.equal(report.stop, 'max-iterations', JSON.stringify(report.iterations));
    const details = report.iterations.map((i: { result: string; detail: string }) => `${i.result}: ${i.detail}`).join('\n');
    assert.match(details, /Read-only file system/, 'the rerun reported the blocked write');
    assert.match(details, /unreachable|refused|Errno/i, 'the rerun reported the blocked socket');
    assert.ok(!existsSync(escaped), 'nothing was written outside the workspace');
    assert.equal(net.connections(), 0, 'no connection left the sandbox');
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
    await net.close();
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});
