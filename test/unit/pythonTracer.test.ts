// The Python tracer on a fixture project: exact values per block, safe rendering of hostile
// objects, recursion, endless loops and hangs, the test's own outcome; sys.settrace on 3.11 and
// sys.monitoring on 3.12/3.13 where pyenv has them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TraceBudget } from '../../src/core/trace/traceModel';
import { runPythonTestUntraced, tracePythonTest, type PythonTestOptions } from '../../src/host/tracers/pythonTracer';
import { formatTrace } from '../../src/core/trace/traceText';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixturePath, parser, repoRoot } from './support/fixtures';

const cwd = fixturePath('trace', 'python');
const fast = ['-p', 'no:hypothesispytest'];

async function trace(testName: string, fn: string, budget: Partial<TraceBudget> = {}, options: Partial<PythonTestOptions> = {}) {
  const target = await resolveTarget(cwd, { file: 'shapes.py', function: fn }, budget, parser);
  return tracePythonTest(target, { cwd, test: `test_shapes.py::${testName}`, pytestArgs: fast, ...options });
}

const v = (type: string, text: string, length?: number) => (length === undefined ? { type, text } : { type, text, length });

const cartSteps = [
  ['b1', 1, { tax: v('int', '0'), subtotal: v('int', '0'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b2', 1, { tax: v('int', '0'), subtotal: v('int', '0'), price: v('int', '10'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b3', 1, { tax: v('int', '0'), subtotal: v('int', '10'), price: v('int', '10'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b2', 2, { tax: v('int', '0'), subtotal: v('int', '10'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b3', 2, { tax: v('int', '0'), subtotal: v('int', '30'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b2', 3, { tax: v('int', '0'), subtotal: v('int', '30'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b4', 1, { tax: v('int', '0'), subtotal: v('int', '30'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b5', 1, { tax: v('int', '0'), subtotal: v('int', '25'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
  ['b6', 1, { tax: v('int', '0'), subtotal: v('int', '25'), price: v('int', '20'), 'self.items': v('list', '[10, 20]', 2), 'self.discount': v('int', '5') }],
].map(([blockId, iteration, vars]) => ({ blockId, iteration, vars }));

function checkCart(run: Awaited<ReturnType<typeof trace>>) {
  assert.equal(run.trace.calls.length, 1, run.stderr);
  const call = run.trace.calls[0];
  assert.deepEqual(call.args, { self: v('Cart', 'Cart(items=[10, 20], discount=5)'), tax: v('int', '0') });
  assert.deepEqual(call.steps, cartSteps);
  assert.deepEqual(call.returned, v('int', '25'));
  assert.equal(run.trace.truncated, false);
  assert.equal(run.exitCode, 1, 'the test still fails, with its own exit code');
  assert.match(run.stdout, /assert 25 == 30/);
}

test('a method: parameters, locals and the self fields it touches, after every block (sys.settrace, 3.11)', async () => {
  checkCart(await trace('test_total', 'Cart.total'));
});

const pytestSitePackages = spawnSync('python3', ['-c', 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))'], { encoding: 'utf8' }).stdout.trim();
for (const version of ['3.12.1', '3.13.0']) {
  const python = `/root/.pyenv/versions/${version}/bin/python`;
  test(`the same trace through sys.monitoring on Python ${version}`, { skip: existsSync(python) && pytestSitePackages ? false : `no Python ${version}` }, async () => {
    // pytest is installed for 3.11 only; its pure-Python packages load on newer versions too.
    const run = await trace('test_total', 'Cart.total', {}, { python, env: { PYTHONPATH: pytestSitePackages } });
    checkCart(run);
    assert.doesNotMatch(run.stderr, /tracing error/);
  });
}

test('values are rendered without running user code: a hostile __repr__, __getattr__ and property, cycles, long strings and lists', async () => {
  const run = await trace('test_mixed', 'mixed');
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const [step] = run.trace.calls[0].steps;
  assert.deepEqual(step.vars, {
    h: v('Hostile', 'Hostile(visible=1)'),
    data: v('dict', "{'k': [1, 2, 3], 'n': None, 'self': <cycle dict>}", 3),
    s: v('str', `'${'x'.repeat(40)}'…'${'x'.repeat(12)}'`, 100),
    big: v('list', '[0, 1, 2, 3, 4, 5, …(41 more), 47, 48, 49]', 50),
    weird: v('tuple', '(nan, inf, -0.0, 1000000000000000000000000000000)', 4),
  });
});

test('recursion: one call per level with its depth, each raising', async () => {
  const run = await trace('test_depth', 'depth');
  assert.deepEqual(
    run.trace.calls.map((c) => [c.depth, c.args.n.text, c.steps.map((s) => s.blockId).join(','), c.threw?.text]),
    [
      [0, '3', 'b1,b3', "ValueError('bottom')"],
      [1, '2', 'b1,b3', "ValueError('bottom')"],
      [2, '1', 'b1,b3', "ValueError('bottom')"],
      [3, '0', 'b1,b2', "ValueError('bottom')"],
    ],
  );
  const deep = await trace('test_depth', 'depth', { maxDepth: 2 });
  assert.equal(deep.trace.calls.length, 2);
  assert.ok(deep.trace.truncated && deep.trace.truncated.droppedCalls === 2);
  assert.match(deep.trace.truncated.notes.join('\n'), /recursion deeper than 2 levels cut/);
});

test('an endless loop is stopped at the step budget and its trace still comes back', async () => {
  const run = await trace('test_spin', 'spin', { maxExecutedSteps: 500, maxSteps: 20 });
  assert.equal(run.exitCode, 124);
  assert.ok(run.trace.truncated);
  assert.equal(run.trace.truncated.stoppedBy, 'steps');
  const call = run.trace.calls[0];
  assert.equal(call.unfinished, true);
  assert.ok(call.executedSteps >= 500);
  const last = call.steps[call.steps.length - 1];
  assert.ok(Number(last.vars.n.text) < -400, `n keeps going down: ${last.vars.n.text}`);
  assert.equal(run.trace.stats.steps, 20);
});

test('a test that hangs outside the function: the host stops it at its time limit and the trace so far comes back, marked as ended early', async () => {
  const run = await trace('test_sleepy', 'count_up', { timeoutMs: 4000 });
  assert.equal(run.timedOut, true);
  assert.equal(run.exitCode, 124, 'the tracer wrote its trace and ended the process on the SIGTERM');
  assert.ok(run.trace.truncated && run.trace.truncated.stoppedBy === 'time', JSON.stringify(run.trace.truncated));
  assert.equal(run.trace.endedEarly?.by, 'time');
  assert.deepEqual(run.trace.calls[0].returned, v('int', '3'));
  assert.match(formatTrace(run.trace), /the run ended early: the program was stopped at the time limit/);
});

const pythons: [string, string | undefined][] = [['3.11 (sys.settrace)', undefined]];
for (const version of ['3.12.1', '3.13.0']) {
  const python = `/root/.pyenv/versions/${version}/bin/python`;
  if (existsSync(python) && pytestSitePackages) pythons.push([`${version} (sys.monitoring)`, python]);
}

async function traceOrders(testName: string, fn: string, python: string | undefined, budget: Partial<TraceBudget> = {}) {
  const target = await resolveTarget(cwd, { file: 'orders.py', function: fn }, budget, parser);
  const options = python ? { python, env: { PYTHONPATH: pytestSitePackages } } : {};
  return tracePythonTest(target, { cwd, test: `test_orders.py::${testName}`, pytestArgs: fast, ...options });
}

for (const [name, python] of pythons) {
  test(`an exception passing through except clauses that do not match is raised, and their handlers never ran (${name})`, async () => {
    const run = await traceOrders('test_parse_quantity', 'parse_quantity', python);
    assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
    const [call] = run.trace.calls;
    assert.deepEqual(
      call.steps.map((s) => [s.blockId, s.vars.quantity?.text]),
      [
        ['b1', '0'],
        ['b2', '0'],
        ['b5', '0'],
      ],
      'the try block, then the finally block: neither handler',
    );
    assert.equal(call.returned, undefined, 'it did not return');
    assert.match(call.threw?.text ?? '', /^ValueError\("invalid literal for int\(\) with base 10: '3 apples'"\)$/);
    assert.doesNotMatch(run.stderr, /tracing error/);

    // A handler that matches still runs, on its own line or on its header's.
    const lookup = await traceOrders('test_lookup_missing', 'lookup', python);
    assert.deepEqual(lookup.trace.calls[0].steps.map((s) => s.blockId), ['b1', 'b2']);
    assert.deepEqual(lookup.trace.calls[0].returned, v('None', 'None'));
    const oneLine = await traceOrders('test_one_line_handler', 'first_word_length', python);
    assert.deepEqual(oneLine.trace.calls[0].steps.map((s) => s.blockId), ['b1', 'b2']);
    assert.deepEqual(oneLine.trace.calls[0].returned, v('int', '0'));
  });
}

test('a test that calls os._exit keeps the trace recorded so far, and says the run ended early', async () => {
  const run = await traceOrders('test_exits', 'total', undefined);
  assert.equal(run.exitCode, 3, 'the exit code is the test\'s own');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  assert.deepEqual(run.trace.calls[0].returned, v('int', '6'));
  assert.equal(run.trace.endedEarly?.by, 'exit');
  assert.match(formatTrace(run.trace), /the run ended early: the program exited with code 3 while the test ran/);
});

test('a test process killed without warning leaves the trace its tracer had written by then', async () => {
  const run = await traceOrders('test_killed', 'total', undefined);
  assert.equal(run.exitCode, null);
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  assert.deepEqual(run.trace.calls[0].returned, v('int', '9'));
  assert.equal(run.trace.endedEarly?.by, 'killed');
  assert.match(formatTrace(run.trace), /the run ended early: the test process was killed; the trace is what the tracer had written by then/);
});

test('the traced outcome equals the untraced one', async () => {
  for (const [name, fn] of [
    ['test_total', 'Cart.total'],
    ['test_count_up', 'count_up'],
  ]) {
    const traced = await trace(name, fn);
    const plain = await runPythonTestUntraced({ cwd, test: `test_shapes.py::${name}`, pytestArgs: fast });
    assert.equal(traced.exitCode, plain.exitCode, name);
  }
});

test('sys.settrace traces only while the target runs (a trampoline), with recursion as deep as untraced; generators trace every call', async () => {
  const climb = await trace('test_climb', 'climb', {}, { pytestArgs: [...fast, '-s'] });
  const plain = await runPythonTestUntraced({ cwd, test: 'test_shapes.py::test_climb', pytestArgs: fast });
  assert.equal(plain.exitCode, 0, plain.stdout);
  assert.equal(climb.exitCode, 0, climb.stdout + climb.stderr);
  assert.match(climb.stdout, /backend: settrace-entry/);
  assert.deepEqual(climb.trace.calls[0].args, { n: v('int', '900') });
  assert.equal(climb.trace.calls[0].depth, 0);
  assert.deepEqual(climb.trace.calls[0].returned, v('int', '900'));
  assert.ok(climb.trace.truncated && climb.trace.truncated.droppedCalls > 800, 'recursion deeper than the budget is cut, not lost');
  const evens = await trace('test_evens', 'evens', {}, { pytestArgs: [...fast, '-s'] });
  assert.equal(evens.exitCode, 0, evens.stdout + evens.stderr);
  assert.match(evens.stdout, /backend: settrace\b(?!-)/);
  assert.deepEqual(evens.trace.calls[0].steps.slice(0, 3).map((s) => [s.blockId, s.vars.i?.text]), [['b1', '0'], ['b2', '0'], ['b3', '0']]);
});

test('a list changed in place between steps shows its value at each step (rendering reuses nothing stale); helpers the target calls run with no Python trace function', async () => {
  for (const [name, python] of [['3.11', undefined], ...['3.12.1', '3.13.0'].map((version) => [version, `/root/.pyenv/versions/${version}/bin/python`])] as const) {
    if (python && !(existsSync(python) && pytestSitePackages)) continue;
    const run = await trace('test_reshuffle', 'reshuffle', {}, { pytestArgs: [...fast, '-s'], ...(python ? { python, env: { PYTHONPATH: pytestSitePackages } } : {}) });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const items = run.trace.calls[0].steps.map((s) => s.vars.items?.text);
    assert.deepEqual(
      [...new Set(items)],
      ["[0, [], 'x']", "[1, [0], 'x']", "[2, [0, 1], 'x']", "[3, [0, 1, 2], 'x']"],
      `${name}: ${JSON.stringify(items)}`,
    );
    assert.deepEqual(run.trace.calls[0].returned, v('list', "[3, [0, 1, 2], 'x']", 3), name);
    const tracers = /helper traced by: (.*)/.exec(run.stdout)?.[1].split(',') ?? [];
    assert.equal(tracers.length, 3, run.stdout);
    assert.ok(!tracers.includes('function'), `${name}: ${tracers.join(',')}`);
  }
});

test('ducktrace trace --json prints the trace and exits 0 even when the test fails', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--cwd', cwd, '--test', 'test_shapes.py::test_total', '--target', 'shapes.py:Cart.total', '--json'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(json), ['target', 'calls', 'truncated', 'stats']);
  assert.equal(json.target.function, 'Cart.total');
  assert.deepEqual(json.calls[0].steps, cartSteps);
  assert.deepEqual(Object.keys(json.stats), ['steps', 'bytes', 'elapsedMs', 'executedSteps']);

  const never = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--cwd', cwd, '--test', 'test_shapes.py::test_total', '--target', 'shapes.py:spin'], { encoding: 'utf8' });
  assert.equal(never.status, 1);
  assert.match(never.stderr, /spin never ran during the test/);
  const usage = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--test', 'x'], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing --target/);
});
