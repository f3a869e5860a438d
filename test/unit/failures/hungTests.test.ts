// The pure parts of running JavaScript tests that may hang: what to run after a stopped run, the
// progress lines of the jest and vitest reporters, node's progress events, and which flags each
// runner version takes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { planAfterHang, stoppedByDucktrace, hungTestResult, type TestRef } from '../../../src/core/failures/hungTests';
import { parseRunProgress, withProgressMessages } from '../../../src/core/failures/progressReport';
import { nodeTestProgress } from '../../../src/core/failures/nodeTestReport';
import { jestFeatures, nodeTestFeatures, parseVersion, vitestFeatures } from '../../../src/core/failures/runnerFeatures';
import { jestMessageValues, parseJestReport } from '../../../src/core/failures/jestReport';
import { testIdOf, type TestCaseResult } from '../../../src/core/failures/testFailure';
import { runIsolatingHangs } from '../../../src/host/runners/hangIsolation';

const t = (file: string, name: string, line?: number, suitePath: string[] = []): TestRef => ({ file, suitePath, name, ...(line ? { line } : {}) });
const done = (ref: TestRef): TestCaseResult => ({ testId: testIdOf(ref.file, ref.suitePath, ref.name), framework: 'jest', file: ref.file, name: ref.name, suitePath: ref.suitePath, outcome: 'passed', output: '' });
const declared: Record<string, TestRef[]> = {
  '/p/a.test.js': [t('/p/a.test.js', 'one', 1), t('/p/a.test.js', 'two', 2), t('/p/a.test.js', 'three', 3), t('/p/a.test.js', 'four', 4)],
  '/p/b.test.js': [t('/p/b.test.js', 'b1', 1)],
};
const testsOf = (file: string) => declared[file] ?? [];

test('after a stop: the running test is the timeout, the rest of its file and the files not reached run again', () => {
  const plan = planAfterHang(
    {
      selection: {},
      files: ['/p/a.test.js', '/p/b.test.js'],
      results: [done(t('/p/a.test.js', 'one'))],
      startedFiles: new Set(['/p/a.test.js']),
      finishedFiles: new Set(),
      running: [t('/p/a.test.js', 'two')],
    },
    testsOf,
  );
  assert.deepEqual(plan.timedOut, [t('/p/a.test.js', 'two', 2)], 'with its declared line');
  assert.deepEqual(plan.next, [{ files: ['/p/b.test.js'] }, { tests: [t('/p/a.test.js', 'three', 3), t('/p/a.test.js', 'four', 4)] }]);
});

test('after a stop without a running test: one by one; a lone test or the last one left is the one', () => {
  const base = { selection: {}, files: ['/p/a.test.js'], startedFiles: new Set(['/p/a.test.js']), finishedFiles: new Set<string>(), running: [] };
  assert.deepEqual(planAfterHang({ ...base, results: [done(t('/p/a.test.js', 'one'))] }, testsOf).next, [{ tests: declared['/p/a.test.js'].slice(1), oneByOne: true }]);
  assert.deepEqual(planAfterHang({ ...base, results: declared['/p/a.test.js'].slice(0, 3).map(done) }, testsOf).timedOut, [t('/p/a.test.js', 'four', 4)]);
  assert.deepEqual(planAfterHang({ ...base, selection: { tests: [t('/p/a.test.js', 'three')] }, results: [] }, testsOf).timedOut, [t('/p/a.test.js', 'three')]);
  assert.deepEqual(planAfterHang({ ...base, results: declared['/p/a.test.js'].map(done) }, testsOf).stuckFiles, ['/p/a.test.js'], 'nothing left to blame: the file');
});

test('after a stop the runner said nothing about: files one at a time, then a lone file\'s tests one by one; never the same run again', () => {
  const base = { results: [], startedFiles: new Set<string>(), finishedFiles: new Set<string>(), running: [] };
  assert.deepEqual(planAfterHang({ ...base, selection: {}, files: ['/p/a.test.js', '/p/b.test.js'] }, testsOf).next, [{ files: ['/p/a.test.js'] }, { files: ['/p/b.test.js'] }]);
  assert.deepEqual(planAfterHang({ ...base, selection: { files: ['/p/a.test.js'] }, files: ['/p/a.test.js'] }, testsOf).next, [{ tests: declared['/p/a.test.js'], oneByOne: true }]);
  const chosen = [t('/p/a.test.js', 'one'), t('/p/b.test.js', 'b1')];
  assert.deepEqual(planAfterHang({ ...base, selection: { tests: chosen }, files: ['/p/a.test.js', '/p/b.test.js'] }, testsOf).next, [{ tests: [chosen[0]] }, { tests: [chosen[1]] }]);
});

test('hung results are timeouts Ducktrace stopped; a runner\'s own timeout is not', () => {
  const hung = hungTestResult('node', t('/p/a.test.js', 'two', 2), { timeoutSeconds: 5, stoppedAfterSeconds: 15 });
  assert.equal(hung.failure?.timedOut, true);
  assert.equal(hung.line, 2);
  assert.match(hung.failure!.message, /^Timeout: the test did not finish within 5 s; its run made no progress for 15 s/);
  assert.ok(stoppedByDucktrace(hung.failure!));
  assert.ok(!stoppedByDucktrace({ timedOut: true, message: 'Test timed out in 2000ms.' }));
});

test('progress lines: finished files and tests, the running test, the report shape; a cut last line is skipped', () => {
  const lines = [
    { event: 'runStart' },
    { event: 'fileStart', file: '/p/a.test.js' },
    { event: 'testStart', file: '/p/a.test.js', ancestorTitles: ['s'], title: 'one' },
    { event: 'test', file: '/p/a.test.js', ancestorTitles: ['s'], title: 'one', status: 'failed', failureMessages: ['Error: boom\n    at x (/p/a.test.js:3:1)'], location: { line: 3, column: 1 } },
    { event: 'testStart', file: '/p/a.test.js', ancestorTitles: ['s'], title: 'two' },
    { event: 'fileStart', file: '/p/b.test.js' },
    { event: 'file', file: '/p/b.test.js', status: 'failed', message: 'SyntaxError: x' },
  ].map((l) => JSON.stringify(l));
  const progress = parseRunProgress([...lines, '{"event":"te'].join('\n'));
  assert.deepEqual([...progress.startedFiles].sort(), ['/p/a.test.js', '/p/b.test.js']);
  assert.deepEqual([...progress.finishedFiles], ['/p/b.test.js']);
  assert.deepEqual(progress.running, [{ file: '/p/a.test.js', suitePath: ['s'], name: 'two' }]);
  assert.equal(progress.done, false);
  const results = parseJestReport(progress.report, 'vitest', '/p');
  assert.deepEqual(results.map((r) => [r.testId, r.outcome, r.line ?? 0]), [
    ['/p/a.test.js::s::one', 'failed', 3],
    ['/p/b.test.js::(file)', 'failed', 0],
  ]);
  const json = { testResults: [{ name: '/p/a.test.js', assertionResults: [{ ancestorTitles: ['s'], title: 'one', status: 'failed', failureMessages: ['Error: STACK_TRACE_ERROR'] }] }] };
  assert.deepEqual(withProgressMessages(json, progress.report).testResults?.[0].assertionResults?.[0].failureMessages, ['Error: boom\n    at x (/p/a.test.js:3:1)']);
});

test('node progress: the innermost test taken up and not ended, with its suites; ended files', () => {
  const ev = (type: string, name: string, nesting: number, file = '/p/a.test.js', line?: number) => JSON.stringify({ type, name, nesting, file, line });
  const text = [
    ev('test:dequeue', '/p/a.test.js', 0),
    ev('test:dequeue', 'outer', 0, undefined, 2),
    ev('test:dequeue', 'inner ok', 1, undefined, 3),
    ev('test:complete', 'inner ok', 1),
    ev('test:dequeue', 'inner hang', 1, undefined, 4),
    ev('test:dequeue', '/p/b.test.js', 0, '/p/b.test.js'),
    ev('test:complete', '/p/b.test.js', 0, '/p/b.test.js'),
  ].join('\n');
  const progress = nodeTestProgress(text);
  assert.deepEqual(progress.running, [{ file: '/p/a.test.js', suitePath: ['outer'], name: 'inner hang', line: 4 }]);
  assert.deepEqual([...progress.finishedFiles], ['/p/b.test.js']);
});

test('flags by runner version', () => {
  assert.equal(jestFeatures(parseVersion('22.4.4')).testTimeoutFlag, false);
  assert.equal(jestFeatures(parseVersion('24.8.0')).testTimeoutFlag, false);
  assert.equal(jestFeatures(parseVersion('24.9.0')).testTimeoutFlag, true);
  assert.equal(jestFeatures(parseVersion('22.0.0')).testLocation, true);
  assert.equal(vitestFeatures(parseVersion('2.1.9')).taskLocation, false, 'vitest 1.6 and 2.1 refuse --includeTaskLocation');
  assert.equal(vitestFeatures(parseVersion('3.0.0')).taskLocation, true);
  assert.equal(vitestFeatures(parseVersion('2.0.5')).listFiles, false);
  assert.equal(vitestFeatures(parseVersion('2.1.0')).listFiles, true);
  assert.deepEqual(nodeTestFeatures(parseVersion('v18.14.2')), { reporters: false, namePattern: true, perTestTimeout: false });
  assert.deepEqual(nodeTestFeatures(parseVersion('v18.19.0')), { reporters: true, namePattern: true, perTestTimeout: false });
  assert.deepEqual(nodeTestFeatures(parseVersion('v20.20.2')), { reporters: true, namePattern: true, perTestTimeout: false });
  assert.deepEqual(nodeTestFeatures(parseVersion('v22.12.0')).perTestTimeout, false, 'node 22 times out whole files');
  assert.deepEqual(nodeTestFeatures(parseVersion('v24.1.0')).perTestTimeout, true);
});

test("jest's expected and received values from its message (jest 22 has no matcher details)", () => {
  assert.deepEqual(jestMessageValues('expect(received).toBe(expected) // Object.is equality\n\nExpected value to be:\n  2\nReceived:\n  1'), { expected: '2', actual: '1' });
  assert.deepEqual(jestMessageValues('expect(received).toBe(expected)\n\nExpected: 11\nReceived: 6'), { expected: '11', actual: '6' });
  assert.equal(jestMessageValues('boom'), undefined);
});

// Seen on a real package: two tests of one file with the same suite and title; jest ran and counted
// both, Ducktrace's failures kept one.
test('two tests sharing their suite and title both come back; a rerun of a test replaces its result', async () => {
  const file = '/p/encode.test.js';
  const result = (line: number, outcome: 'passed' | 'failed'): TestCaseResult => ({ testId: testIdOf(file, ['encode'], 'round trip'), framework: 'jest', file, line, name: 'round trip', suitePath: ['encode'], outcome, output: '' });
  const ctx = { cwd: '/p', helpersDir: '/d', python: 'python3', testTimeoutMs: 5000, tempDir: '/tmp' };
  const once = async () => ({ results: [result(3, 'failed'), result(9, 'failed')], stopped: false, cancelled: false, problems: [], startedFiles: new Set([file]), finishedFiles: new Set([file]), running: [] });
  const report = await runIsolatingHangs('jest', ctx, {}, once);
  assert.deepEqual(report.results.map((r) => r.line), [3, 9]);
});
