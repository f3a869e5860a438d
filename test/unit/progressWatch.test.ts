// The one watch on a run's progress (src/host/process/progressWatch.ts) that pytest's, node's,
// jest's and vitest's adapters and the JavaScript coverage runs hand to runProcessTree: idle when
// the report stopped growing, with room to start, a second opinion (pytest: a test is running),
// other paths that count as progress, and the report read as it was when the run was called idle.
// A clock of its own: nothing here waits.

import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { watchProgress } from '../../src/host/process/progressWatch';

const root = mkdtempSync(join(tmpdir(), 'ducktrace-watch-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
/** A fresh folder for one test. */
function folder(): { dir: string } {
  const dir = join(root, String(++folders));
  mkdirSync(dir);
  return { dir };
}

/** A clock the test moves. */
function manualClock(): { clock: () => number; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { clock: () => now, advance: (ms) => (now += ms) };
}

test('a report that keeps growing is never idle; one that stops growing is idle once the limit has passed', () => {
  const f = folder();
  const report = join(f.dir, 'report.jsonl');
  writeFileSync(report, 'a\n');
  const { clock, advance } = manualClock();
  const watch = watchProgress(report, { limitMs: 1000, clock });
  for (let i = 0; i < 5; i++) {
    advance(900);
    appendFileSync(report, 'b\n');
    assert.equal(watch.isIdle(), false, `it grew (check ${i})`);
  }
  advance(1000);
  assert.equal(watch.isIdle(), false, 'not past the limit yet');
  advance(1);
  assert.equal(watch.isIdle(), true);
  appendFileSync(report, 'c\n');
  assert.equal(watch.isIdle(), false, 'growing again: progress again');
});

test('before anything is written the runner is still starting: it gets startupMs, then limitMs counts', () => {
  const f = folder();
  const report = join(f.dir, 'not-yet.jsonl');
  const { clock, advance } = manualClock();
  const watch = watchProgress(report, { limitMs: 100, startupMs: 5000, clock });
  advance(4000);
  assert.equal(watch.isIdle(), false, 'still starting');
  advance(1001);
  assert.equal(watch.isIdle(), true, 'started for too long without a byte');
  const started = watchProgress(report, { limitMs: 100, startupMs: 5000, clock });
  writeFileSync(report, 'x');
  assert.equal(started.isIdle(), false);
  advance(101);
  assert.equal(started.isIdle(), true, 'once it wrote, the limit is limitMs');
  assert.equal(watchProgress(join(f.dir, 'none'), { limitMs: 100, clock }).isIdle(), false);
});

test('a run past the limit is idle only when `stuck` agrees, asked with the report size', () => {
  const f = folder();
  const report = join(f.dir, 'events.jsonl');
  writeFileSync(report, '{"event": "end"}\n');
  const { clock, advance } = manualClock();
  let running = false;
  const sizes: number[] = [];
  const watch = watchProgress(report, {
    limitMs: 10,
    clock,
    stuck: (size) => {
      sizes.push(size);
      return running;
    },
  });
  assert.equal(watch.isIdle(), false);
  advance(50);
  assert.equal(watch.isIdle(), false, 'between tests: not stuck');
  running = true;
  assert.equal(watch.isIdle(), true, 'a test is running and nothing was written');
  assert.deepEqual(sizes, [17, 17]);
});

test('growth in the other watched paths (every file under a folder) counts as progress', () => {
  const f = folder();
  const report = join(f.dir, 'report.jsonl');
  const spectra = join(f.dir, 'spectra');
  mkdirSync(join(spectra, 'nested'), { recursive: true });
  const { clock, advance } = manualClock();
  const watch = watchProgress(report, { limitMs: 100, alsoWatch: [spectra], clock });
  for (const name of ['a.jsonl', 'nested/b.jsonl', 'a.jsonl']) {
    advance(80);
    appendFileSync(join(spectra, name), 'line\n');
    assert.equal(watch.isIdle(), false, `${name} grew`);
  }
  advance(101);
  assert.equal(watch.isIdle(), true);
});

test('a stopped run is read as it was when it was called idle: what the runner writes while being stopped is no result', () => {
  const f = folder();
  const file = join(f.dir, 'report.jsonl');
  writeFileSync(file, '{"type":"test:pass","name":"a"}\n');
  const { clock, advance } = manualClock();
  const watch = watchProgress(file, { limitMs: 0, clock });
  assert.equal(watch.isIdle(), false, 'it grew since the start');
  advance(1);
  assert.equal(watch.isIdle(), true);
  appendFileSync(file, '{"type":"test:fail","name":"/p/a.test.js"}\n');
  assert.equal(watch.read(true), '{"type":"test:pass","name":"a"}\n');
  assert.match(watch.read(false), /test:fail/, 'a run that ended by itself is read whole');
  assert.equal(watchProgress(join(f.dir, 'none'), { limitMs: 0 }).read(true), '', 'no report: nothing');
});
