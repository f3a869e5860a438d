// `ducktrace apply-reply` from the built bundle (dist/cli.js, `npm run build`), on two reply
// fixtures of each outcome (unreadable, refused, applied, no fix): what the command adds to the
// parser and the applier (arguments, exit codes, plain and JSON output). Every fixture goes through
// the parser and the applier in process in replyFixtures.test.ts.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, repoRoot } from './support/fixtures';
import { replyFixtures } from './support/replyFixtures';

const cli = join(repoRoot, 'dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'apply-reply', ...args], { encoding: 'utf8' });

type Fixture = ReturnType<typeof replyFixtures>[number];
const outcomeOf = ({ expected }: Fixture) => (!expected.parse.ok ? 'unreadable' : expected.apply && !expected.apply.ok ? 'refused' : expected.apply?.ok ? 'applied' : 'no fix');
const representative = (fixtures: readonly Fixture[]) => {
  const taken = new Map<string, number>();
  return fixtures.filter((f) => {
    const n = taken.get(outcomeOf(f)) ?? 0;
    taken.set(outcomeOf(f), n + 1);
    return n < 2;
  });
};

test('the representative fixtures cover every outcome', () => {
  assert.deepEqual(new Set(representative(replyFixtures()).map(outcomeOf)), new Set(['unreadable', 'refused', 'applied', 'no fix']));
});

for (const { name, expected } of representative(replyFixtures())) {
  test(`apply-reply on ${name}`, () => {
    const file = fixturePath('replies', 'targets', expected.target);
    const args = ['--file', file, '--function', expected.function, '--reply', fixturePath('replies', `${name}.txt`), ...(expected.requireFix ? ['--require-fix'] : [])];
    const plain = run(...args);
    const json = run(...args, '--json');
    const report = JSON.parse(json.stdout) as { ok: boolean; hunks: { oldText: string; newText: string }[]; error: string | null; outsideTarget?: boolean };
    const failure = !expected.parse.ok ? expected.parse.error : expected.apply && !expected.apply.ok ? expected.apply.error : undefined;
    if (failure !== undefined) {
      assert.equal(plain.status, 1, plain.stderr);
      assert.equal(plain.stdout, '');
      assert.ok(plain.stderr.includes(failure), plain.stderr);
      assert.equal(json.status, 1);
      assert.equal(report.ok, false);
      assert.ok(report.error?.includes(failure), String(report.error));
      return;
    }
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(report.ok, true);
    assert.equal(report.error, null);
    if (expected.apply?.ok) {
      assert.equal(plain.stdout, readFileSync(fixturePath('replies', expected.apply.patched), 'utf8'));
      assert.ok(report.hunks.length > 0);
      assert.equal(report.outsideTarget, expected.apply.outsideTarget ?? false);
    } else {
      // No fix: the file comes back unchanged.
      assert.equal(plain.stdout, readFileSync(file, 'utf8'));
      assert.deepEqual(report.hunks, []);
    }
  });
}

test('apply-reply: usage errors exit 2 with the usage line', () => {
  const r = run('--file', 'x.py');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing --function NAME/);
  assert.match(r.stderr, /Usage: ducktrace apply-reply/);
});

test('apply-reply: an unknown function is a clear error', () => {
  const r = run('--file', fixturePath('replies', 'targets', 'search.py'), '--function', 'nope', '--reply', fixturePath('replies', 'json-function.txt'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no function named 'nope'/);
});

test('apply-reply: a missing reply file is a clear error', () => {
  const r = run('--file', fixturePath('replies', 'targets', 'search.py'), '--function', 'bisect_left', '--reply', '/nonexistent/reply.txt');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such file/);
});

test('apply-reply --json hunks turn the file into the patched text', () => {
  const source = readFileSync(fixturePath('replies', 'targets', 'search.py'), 'utf8');
  const r = run('--file', fixturePath('replies', 'targets', 'search.py'), '--function', 'bisect_left', '--reply', fixturePath('replies', 'diff-wrong-line-numbers.txt'), '--json');
  const report = JSON.parse(r.stdout) as { hunks: { start: number; end: number; newText: string; startLine: number }[] };
  assert.equal(report.hunks.length, 1);
  assert.equal(report.hunks[0].startLine, 12);
  let text = source;
  for (const h of [...report.hunks].reverse()) text = text.slice(0, h.start) + h.newText + text.slice(h.end);
  assert.equal(text, readFileSync(fixturePath('replies', 'targets', 'search.fixed.py'), 'utf8'));
});
