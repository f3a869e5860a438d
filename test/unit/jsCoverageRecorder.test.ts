// The JavaScript coverage mode's runtime (src/host/tracers/js/jsCoverage.ts) driven directly, as the
// instrumented function drives it: a test that loops until the block budget stops it keeps one pair
// of counters per distinct block of the target, never anything per executed block, so its memory
// and what it writes are the same after a thousand blocks and after millions.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CoverageRecorder, RunawayTest, type JsSpectrumLine } from '../../src/host/tracers/js/jsCoverage';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('coverage mode: a test looping until the block budget retains one counter pair per distinct block, not per executed block', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'ducktrace-covrec-'));
  try {
    const budget = 6_000_000;
    const probes = ['b1', 'b2', 'b3', 'b4', 'b5'].map((blockId) => ({ blockId, slots: [] }));
    const recorder = new CoverageRecorder({ probes, outDir, maxBlocksPerTest: budget, runner: 'node', file: 'power.js' });
    recorder.testStarts('loops forever');
    const record = recorder.cov(globalThis);
    // As `while (n < x) power = power * n;` drives it: b1 once per call, then the loop's header and body.
    recorder.c(record, 0);
    const loop = (n: number) => {
      for (let i = 0; i < n; i++) recorder.c(record, 1 + (i & 1));
    };
    loop(1000);
    const early = heapAfterGc();
    loop(4_000_000);
    const late = heapAfterGc();
    // Per executed block even one small number would be 8 bytes × 4,000,000 = 30 MiB.
    assert.ok(late - early < 2 * 1024 * 1024, `heap grew by ${((late - early) / 1024 / 1024).toFixed(1)} MiB over 4,000,000 blocks`);
    assert.equal(record.h.length, probes.length);
    assert.equal(record.l.length, probes.length);

    assert.throws(() => loop(budget), RunawayTest);
    assert.equal(record.timedOut, true);
    // Every later block of the test throws too, so a `catch` inside the loop cannot keep it going.
    assert.throws(() => recorder.c(record, 1), RunawayTest);
    recorder.testEnds('loops forever', false, new Error('stopped'));

    const files = readdirSync(outDir).filter((f) => f.startsWith('spectra-'));
    assert.equal(files.length, 1);
    const lines = readFileSync(join(outDir, files[0]!), 'utf8').trim().split('\n');
    // A heartbeat every 2^20 blocks, the stop and the test's end: bounded by the budget, one line each.
    assert.ok(lines.length <= Math.ceil(budget / 2 ** 20) + 2, `${lines.length} lines`);
    const last = JSON.parse(lines[lines.length - 1]!) as JsSpectrumLine;
    assert.deepEqual(Object.keys(last.blocks).sort(), ['b1', 'b2', 'b3']);
    assert.equal(last.blocks.b1![0], 1);
    assert.ok(last.blocks.b2![0] + last.blocks.b3![0] > budget - 2);
    assert.equal(last.timedOut, true);
    assert.equal(last.outcome, 'failed');
    // Each line holds the distinct blocks only: the first heartbeat's and the last line's blocks differ in the counts' digits alone.
    const blocksSize = (line: string) => JSON.stringify((JSON.parse(line) as JsSpectrumLine).blocks).length;
    assert.ok(Math.abs(blocksSize(lines[0]!) - blocksSize(lines[lines.length - 1]!)) <= 6);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
