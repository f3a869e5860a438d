// Hostile programs under the Python tracer (test/fixtures/hostile/python): values whose __repr__,
// __getattr__ or properties loop, throw or are huge; generators; monkey-patched builtins; fork and
// subprocesses. For each test: the tracer finishes within its deadline, the traced outcome (exit
// code) equals the untraced one, the target's calls are recorded, and the files are unchanged.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pythonTracerDir, runPythonTestUntraced } from '../../src/host/tracers/pythonTracer';
import { traceTest } from '../../src/host/tracers/traceTest';
import { copyFixture, snapshot, snapshotDiff } from './support/faultKit';

const cases: [string, 'passed' | 'failed'][] = [
  ['test_looping_repr', 'passed'],
  ['test_raising_repr', 'passed'],
  ['test_huge_repr', 'passed'],
  ['test_looping_getattr', 'passed'],
  ['test_raising_getattribute', 'passed'],
  ['test_looping_property', 'passed'],
  ['test_raising_len_and_endless_iter', 'passed'],
  ['test_self_referential', 'passed'],
  ['test_generator_is_not_consumed', 'passed'],
  ['test_huge_string_and_bytes', 'passed'],
  ['test_patched_len', 'passed'],
  ['test_patched_isinstance_and_repr', 'passed'],
  ['test_patched_type_failing', 'failed'],
  ['test_fork', 'passed'],
  ['test_subprocess', 'passed'],
  ['test_failing_with_hostile_values', 'failed'],
];
const budgetMs = 20_000;

describe('hostile programs under the Python tracer', { concurrency: 4 }, () => {
  for (const [name, outcome] of cases) {
    it(`${name}: traced outcome equals untraced (${outcome}), within the deadline, files unchanged`, async () => {
      const dir = copyFixture('hostile', 'python');
      try {
        const before = snapshot(dir);
        const test = `test_hostile.py::${name}`;
        const untraced = await runPythonTestUntraced({ cwd: dir, test }, 60_000);
        assert.equal(untraced.exitCode, outcome === 'passed' ? 0 : 1, `untraced ${name}: ${untraced.stdout.slice(-800)}`);
        const run = await traceTest({ cwd: dir, test, target: { file: 'hostile.py', function: 'handle' }, budget: { timeoutMs: budgetMs } });
        assert.equal(run.timedOut, false, `the run reached the host's time limit: ${run.stderr.slice(-800)}`);
        assert.equal(run.exitCode, untraced.exitCode, `traced exit ${run.exitCode} != untraced ${untraced.exitCode}\n${run.stdout.slice(-1500)}\n${run.stderr.slice(-800)}`);
        assert.ok(run.trace.calls.length >= 1, `handle's calls were recorded: ${run.stderr.slice(-800)}`);
        assert.doesNotMatch(run.stderr, /tracing error/, 'no callback failed');
        for (const call of run.trace.calls) for (const v of Object.values(call.args)) assert.ok(v.text.length <= 400, `a rendered value stays short (${v.text.length})`);
        assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// A test that patches builtins.len (or type, isinstance, ...) must not break the tracer while it
// records: every module whose code runs inside a tracing callback calls the builtins through its
// own `from builtins import ...` names (module globals are found before builtins). Read from the
// modules' syntax trees, so a name added to one of them later cannot slip through.
it("the tracer's callback modules call builtins only through their own references", () => {
  const dir = pythonTracerDir();
  const script = [
    'import ast, builtins, sys',
    'for path in sys.argv[1:]:',
    '    tree = ast.parse(open(path).read())',
    '    bound = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "builtins" for a in n.names}',
    '    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and callable(getattr(builtins, n.id, None))}',
    '    used = {u for u in used if not (isinstance(getattr(builtins, u), type) and issubclass(getattr(builtins, u), BaseException) and u != "BaseException")}',
    '    if used - bound: print(path.rsplit("/", 1)[-1], "calls these builtins without its own reference:", ", ".join(sorted(used - bound)))',
  ].join('\n');
  const modules = ['ducktrace_values.py', 'ducktrace_recorder.py', 'ducktrace_tracer_backends.py', 'ducktrace_trace_file.py'];
  const result = spawnSync('python3', ['-c', script, ...modules.map((m) => join(dir, m))], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '', 'add these names to the module\'s `from builtins import`');
});
