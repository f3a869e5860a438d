// `ducktrace mcp` as an agent meets it: started as a child process, spoken to with the MCP SDK's
// own client over stdio. Every tool is called on QuixBugs (read in place, byte-identical
// afterwards) and on a copy of a HumanEvalFix JavaScript task; paths outside the root, absolute,
// `..` and through a symbolic link, are refused; a cancelled call kills the test it started; the
// server ends when the client goes away.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpCommand } from '../../src/host/cli/mcpCommand';
import { repoRoot, sharedBench } from './support/fixtures';

const cli = join(repoRoot, 'dist', 'cli.js');
const quixbugs = sharedBench('quixbugs');
const humanEvalFix = sharedBench('humanevalfix-js', 'tasks', '000');

interface Answer {
  readonly text: string;
  readonly data: Record<string, unknown>;
  readonly isError: boolean;
}

async function connect(root: string, extra: string[] = []): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--root', root, ...extra], stderr: 'pipe' });
  const client = new Client({ name: 'ducktrace-unit-test', version: '0' });
  await client.connect(transport);
  return { client, transport };
}

async function call(client: Client, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<Answer> {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 240_000, ...(signal ? { signal } : {}) });
  const content = result.content as { type: string; text: string }[];
  assert.equal(content[0]?.type, 'text');
  return { text: content[0]!.text, data: (result.structuredContent ?? {}) as Record<string, unknown>, isError: !!result.isError };
}

function hashTree(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.py')).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

test('ducktrace mcp reads its options like the other commands; bad ones are usage errors', async () => {
  assert.deepEqual(mcpCommand.parse([], { cwd: '/p', env: {} }), { root: '/p', testTimeoutSeconds: 10 });
  assert.deepEqual(mcpCommand.parse(['--root=/q', '--timeout', '3'], { cwd: '/p', env: { DUCKTRACE_PYTHON: '/py' } }), { root: '/q', testTimeoutSeconds: 3, python: '/py' });
  assert.equal(mcpCommand.parse(['--timeout', '0'], { cwd: '/p', env: {} }), "--timeout needs a positive number of seconds, not '0'");
  assert.equal(mcpCommand.parse(['--nope'], { cwd: '/p', env: {} }), "unknown option '--nope'");
  assert.equal(mcpCommand.parse(['--root'], { cwd: '/p', env: {} }), '--root needs DIR');
  for (const flag of ['--root DIR', '--python PATH', '--timeout SECONDS']) assert.match(mcpCommand.help, new RegExp(flag));
  let stderr = '';
  assert.equal(await mcpCommand.run(['stray'], { stdout: () => {}, stderr: (t) => (stderr += t) }), 2);
  assert.match(stderr, /^ducktrace mcp: unexpected argument 'stray'\nUsage: ducktrace mcp /);
});

test('dist/cli.js is built', () => assert.ok(existsSync(cli), 'npm run build first'));

describe('ducktrace mcp on QuixBugs', { skip: existsSync(quixbugs) ? false : `QuixBugs not found at ${quixbugs}`, timeout: 600_000 }, () => {
  let client: Client;
  let programs: string;
  before(async () => {
    programs = hashTree(join(quixbugs, 'python_programs'));
    ({ client } = await connect(quixbugs));
  });
  after(async () => {
    await client?.close();
    assert.equal(hashTree(join(quixbugs, 'python_programs')), programs, 'the programs are byte-identical');
  });

  test('lists the five tools with their input schemas', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['ducktrace_failingTests', 'ducktrace_traceTest', 'ducktrace_suspiciousBlocks', 'ducktrace_blocks', 'ducktrace_proposeFix']);
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.deepEqual(byName.get('ducktrace_blocks')!.inputSchema.required, ['target']);
    assert.deepEqual(byName.get('ducktrace_proposeFix')!.inputSchema.required, ['target']);
    assert.ok(Object.keys(byName.get('ducktrace_traceTest')!.inputSchema.properties ?? {}).includes('fromIteration'));
    assert.equal(byName.get('ducktrace_blocks')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('ducktrace_traceTest')!.annotations?.readOnlyHint, false, 'it runs the tests');
  });

  test('failing tests of one test file, then the same results again while nothing changed', async () => {
    const first = await call(client, 'ducktrace_failingTests', { path: 'python_testcases/test_sieve.py' });
    assert.equal(first.isError, false, first.text);
    assert.match(first.text, /^5 of 6 tests fail in python_testcases\/test_sieve\.py \(pytest\)\./);
    assert.match(first.text, /python_testcases\/test_sieve\.py::test_sieve\[input_data5-expected5\]/);
    assert.match(first.text, /expected: \[2, 3, 5, 7, 11, 13, \.\.\.\]   actual: \[\]/);
    const failing = first.data.failing as { id: string; file: string; expected?: string; actual?: string }[];
    assert.equal(failing.length, 5);
    assert.ok(failing.every((f) => f.file === 'python_testcases/test_sieve.py' && f.actual === '[]'));
    const again = await call(client, 'ducktrace_failingTests', { path: 'python_testcases/test_sieve.py' });
    assert.equal(again.data.fromCache, true);
    assert.match(again.text, /no file of the project changed since/);
  });

  test('traces the failing test: sieve verbatim with block markers, its values per iteration, within 2,000 tokens', async () => {
    const answer = await call(client, 'ducktrace_traceTest', { test: 'python_testcases/test_sieve.py::test_sieve[input_data5-expected5]' });
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /- call 1: sieve\(max: int = 50\) → returned \[\]/);
    assert.match(answer.text, /    # \[b3\] line 4\n        if any\(n % p > 0 for p in primes\):/);
    assert.match(answer.text, /# ↳ b3 #1: read primes = \[\], n = 2/);
    assert.match(answer.text, /# ↳ b4: did not run/);
    assert.match(answer.text, /Expected: \[2, 3, 5, 7, 11, 13, \.\.\.\]\nActual: {3}\[\]/);
    assert.ok((answer.data.tokens as number) <= 2000, `${String(answer.data.tokens)} tokens`);
    assert.deepEqual(answer.data.target, { file: 'python_programs/sieve.py', function: 'sieve', startLine: 1, endLine: 6 });

    const narrowed = await call(client, 'ducktrace_traceTest', { test: 'python_testcases/test_sieve.py::test_sieve[input_data5-expected5]', fromIteration: 40, toIteration: 42, variable: 'n', maxTokens: 600 });
    assert.equal(narrowed.isError, false, narrowed.text);
    assert.match(narrowed.text, /Shown: iterations 40-42, variable n only\./);
    assert.match(narrowed.text, /b2 #40: n: int = 41/);
    assert.match(narrowed.text, /b2 #42: n = 43/);
    assert.doesNotMatch(narrowed.text, /b2 #39|b2 #43|↳ b1|primes: list/);
    assert.ok((narrowed.data.tokens as number) <= 600);

    const noSuchCall = await call(client, 'ducktrace_traceTest', { test: 'python_testcases/test_sieve.py::test_sieve[input_data5-expected5]', call: 3 });
    assert.equal(noSuchCall.isError, true);
    assert.match(noSuchCall.text, /called sieve 1 time: there is no call 3/);
  });

  test('ranks the blocks of sieve: the buggy line 4 first', async () => {
    const answer = await call(client, 'ducktrace_suspiciousBlocks', { target: 'python_programs/sieve.py:sieve' });
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /5 failing and 1 passing tests ran it/);
    // The score is 1 from the spectrum, plus the mutants' share when they ran in their time limit.
    assert.match(answer.text, /^1\. b3 \(line 4\) score 1\.\d{3}: ran in 5 of 5 failing tests and 0 of 1 passing/m);
    const blocks = answer.data.blocks as { id: string; rank: number }[];
    assert.equal(blocks[0]!.id, 'b3');
  });

  test('cuts sieve into its five blocks', async () => {
    const answer = await call(client, 'ducktrace_blocks', { target: 'python_programs/sieve.py:sieve' });
    assert.equal(answer.isError, false, answer.text);
    assert.deepEqual((answer.data.blocks as { id: string }[]).map((b) => b.id), ['b1', 'b2', 'b3', 'b4', 'b5']);
    assert.match(answer.text, /- b3 \(branch\) → b4, b2/);
  });

  test('returns a fix as a unified diff and writes nothing', async () => {
    const code = ['def sieve(max):', '    primes = []', '    for n in range(2, max + 1):', '        if all(n % p > 0 for p in primes):', '            primes.append(n)', '    return primes', ''].join('\n');
    const answer = await call(client, 'ducktrace_proposeFix', { target: 'python_programs/sieve.py:sieve', code });
    assert.equal(answer.isError, false, answer.text);
    assert.equal(answer.data.written, false);
    const diff = answer.data.diff as string;
    assert.match(diff, /^--- a\/python_programs\/sieve\.py\n\+\+\+ b\/python_programs\/sieve\.py\n/);
    assert.match(diff, /^-        if any\(n % p > 0 for p in primes\):\n\+        if all\(n % p > 0 for p in primes\):$/m);
    assert.match(answer.text, /Nothing was written/);

    const broken = await call(client, 'ducktrace_proposeFix', { target: 'python_programs/sieve.py:sieve', code: 'def sieve(max):\n    return [p for p in (\n' });
    assert.equal(broken.isError, true);
    assert.match(broken.text, /break python_programs\/sieve\.py: syntax error|does not apply/);
    const neither = await call(client, 'ducktrace_proposeFix', { target: 'python_programs/sieve.py:sieve' });
    assert.match(neither.text, /exactly one of "code"/);
  });

  test('refuses paths outside the project folder', async () => {
    for (const target of ['../humanevalfix-js/tasks/000/solution.js:hasCloseElements', '/etc/passwd:1', 'python_programs/../../humanevalfix-js/tasks/000/solution.js:1']) {
      const answer = await call(client, 'ducktrace_blocks', { target });
      assert.equal(answer.isError, true, target);
      assert.match(answer.text, /is outside the project folder .*quixbugs; Ducktrace reads and runs nothing outside it\./, target);
      assert.doesNotMatch(answer.text, /hasCloseElements = |root:/);
    }
    const trace = await call(client, 'ducktrace_traceTest', { test: 'python_testcases/test_sieve.py::test_sieve[input_data5-expected5]', target: '/etc/hosts:1' });
    assert.match(trace.text, /outside the project folder/);
    const run = await call(client, 'ducktrace_failingTests', { path: '..' });
    assert.match(run.text, /outside the project folder/);
  });
});

describe('ducktrace mcp on a HumanEvalFix JavaScript task', { skip: existsSync(humanEvalFix) ? false : `HumanEvalFix not found at ${humanEvalFix}`, timeout: 300_000 }, () => {
  let client: Client;
  let work: string;
  let root: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ducktrace-mcp-js-'));
    root = join(work, 'task');
    cpSync(humanEvalFix, root, { recursive: true });
    // Ways out of the root that only realpath sees: a linked file and a linked folder.
    mkdirSync(join(work, 'outside'));
    writeFileSync(join(work, 'outside', 'secret.js'), 'function leak() {\n  return "SECRET-OUTSIDE";\n}\nmodule.exports = { leak };\n');
    symlinkSync(join(work, 'outside', 'secret.js'), join(root, 'linked.js'));
    symlinkSync(join(work, 'outside'), join(root, 'linkdir'));
    ({ client } = await connect(root));
  });
  after(async () => {
    await client?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('lists the failing node:test tests', async () => {
    const answer = await call(client, 'ducktrace_failingTests', {});
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /^3 of 7 tests fail \(node\)\./);
    assert.deepEqual((answer.data.failing as { id: string }[]).map((f) => f.id), ['solution.test.js::test_1', 'solution.test.js::test_3', 'solution.test.js::test_6']);
  });

  test('traces test_1: the arrow function verbatim, the negative distance that returns true', async () => {
    const answer = await call(client, 'ducktrace_traceTest', { test: 'test_1' });
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /- call 1: hasCloseElements\(numbers: Array = \[1, 2, 3\.9, 4, 5, 2\.2\], threshold: number = 0\.05\) → returned true/);
    // From the comment above it on, as the duck's prompt shows it.
    assert.match(answer.text, /```javascript\n\/\* Check if in given list of numbers[^`]*\*\/\nconst hasCloseElements = \(numbers, threshold\) => \{\n  \/\/ \[b1\] line 9\n/);
    assert.match(answer.text, /\/\/ ↳ b4: distance: number = -1/);
    assert.ok((answer.data.tokens as number) <= 2000);
  });

  test('ranks the blocks of hasCloseElements, or says why it cannot', async () => {
    const answer = await call(client, 'ducktrace_suspiciousBlocks', { test: 'solution.test.js::test_1' });
    if (answer.isError) assert.match(answer.text, /only Python functions for now/);
    else assert.ok((answer.data.blocks as unknown[]).length > 0, answer.text);
  });

  test('cuts it into blocks and returns a fix as a diff', async () => {
    const blocks = await call(client, 'ducktrace_blocks', { target: 'solution.js:hasCloseElements' });
    assert.equal(blocks.isError, false, blocks.text);
    assert.equal((blocks.data.blocks as unknown[]).length, 7);
    const before = readFileSync(join(root, 'solution.js'), 'utf8');
    const fix = await call(client, 'ducktrace_proposeFix', { target: 'solution.js:hasCloseElements', edits: [{ search: 'let distance = numbers[i] - numbers[j];', replace: 'let distance = Math.abs(numbers[i] - numbers[j]);' }] });
    assert.equal(fix.isError, false, fix.text);
    assert.match(fix.data.diff as string, /^\+ {8}let distance = Math\.abs\(numbers\[i\] - numbers\[j\]\);$/m);
    assert.equal(readFileSync(join(root, 'solution.js'), 'utf8'), before, 'nothing written');
  });

  test('refuses a symbolic link that leads out of the root', async () => {
    for (const target of ['linked.js:leak', 'linkdir/secret.js:leak']) {
      const answer = await call(client, 'ducktrace_blocks', { target });
      assert.equal(answer.isError, true, target);
      assert.match(answer.text, /outside the project folder .*a symbolic link leads out of it/);
      assert.doesNotMatch(answer.text, /SECRET-OUTSIDE/);
    }
  });
});

describe('ducktrace mcp and its child processes', { timeout: 120_000 }, () => {
  test('a cancelled trace kills the test it started, and the server exits when the client goes away', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ducktrace-mcp-cancel-'));
    const marker = `spin_${process.pid}_${Date.now()}`;
    writeFileSync(join(root, 'pytest.ini'), '[pytest]\n');
    writeFileSync(join(root, `${marker}.py`), 'def spin(n):\n    total = 0\n    while True:\n        total += n\n    return total\n');
    writeFileSync(join(root, `test_${marker}.py`), `from ${marker} import spin\n\ndef test_spin():\n    assert spin(1) == 1\n`);
    const running = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`test_${marker}`) && !l.includes('ps -eo'));
    const { client, transport } = await connect(root, ['--timeout', '60']);
    try {
      const controller = new AbortController();
      const pending = call(client, 'ducktrace_traceTest', { test: `test_${marker}.py::test_spin`, target: `${marker}.py:spin` }, controller.signal);
      // The test runs first (to find the failure), then the tracer: cancel once a process is seen.
      for (let i = 0; i < 600 && running().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(running().length > 0, 'the test started');
      controller.abort();
      await assert.rejects(pending);
      for (let i = 0; i < 100 && running().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(running(), [], 'no process of the cancelled run is left');
    } finally {
      const pid = transport.pid;
      await client.close();
      for (let i = 0; i < 50 && pid && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!pid || !alive(pid), 'the server exited');
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
