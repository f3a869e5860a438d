// PIPELINE CHECK, not a fix rate. For each of the 40 QuixBugs programs: copy the program and its
// tests into a temp folder (../shared is never modified) and drive the real Iterate Until Green
// loop over the file system (real pytest runs with per-test timeouts, real tracing, real patching)
// with a scripted model that replays the known fix from bug_hunks.json. The replies rotate through
// the formats models use (whole function in a fence, JSON with fix.kind=function, a unified diff,
// SEARCH/REPLACE). It checks that every stage carries a correct fix through to green; a real
// model's fix rate is a different question.
//
// Some QuixBugs tests fail even with the correct program, so each program's tests also run once
// against correct_python_programs: a program counts when every test that the bug breaks (failing
// with the buggy program, passing with the correct one) passes after the loop.
//
// Overhead: per iteration, wall time minus the model's time minus the rerun of the tests (which
// any fix loop needs), as a ratio to one run of the program's tests: target-finding, blocks,
// tracing, prompt, reply parsing, patching, checkpoint and write. Both the full iteration
// (without the model) and the tracing share are reported too.

import { createTwoFilesPatch } from 'diff';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blocksOfFunction } from '../src/core/blocks/functionBlocks';
import { LineIndex } from '../src/core/blocks/positions';
import type { SourceParser } from '../src/core/blocks/syntaxNode';
import { iterateUntilGreen, type LoopSummary } from '../src/core/loop/iterateUntilGreen';
import type { ChatRequest, ChatResult, ModelClient } from '../src/core/modelClient';
import { createFsLoopPorts } from '../src/host/loop/fsLoopPorts';
import { runFolder } from '../src/host/runners/testService';
import { TreeSitterParser } from '../src/host/treeSitter';
import type { BenchSection, Figure } from './benchTypes';
import { quixbugsDir } from './quixbugs';

interface Hunk {
  readonly kind: 'replace' | 'insert';
  readonly buggy: string[];
  readonly buggy_lines: number[];
  readonly fixed: string[];
  readonly insert_after_line: number | null;
}

type ReplyFormat = 'fence' | 'json' | 'diff' | 'search-replace';
const formats: readonly ReplyFormat[] = ['fence', 'json', 'diff', 'search-replace'];

/** Per-test timeout: QuixBugs has endless loops; its tests are fast otherwise. */
const testTimeoutMs = 2_000;
const maxIterations = 3;
const lanes = 2;

interface Outcome {
  readonly program: string;
  readonly format: ReplyFormat;
  readonly stop: LoopSummary['stop'] | 'setup-error';
  readonly iterations: number;
  /** Tests that fail with the buggy program and pass with the correct one. */
  readonly bugTests: number;
  /** Of those, how many pass after the loop. */
  readonly bugTestsPassing: number;
  /** Failing even with the correct program. */
  readonly failWhenCorrect: readonly string[];
  readonly firstRunMs: number;
  readonly perIteration: readonly { readonly overheadMs: number; readonly traceMs: number; readonly modelMs: number; readonly rerunMs: number }[];
  readonly note: string;
}

/** The known fix applied to the buggy program's text. */
export function applyHunk(text: string, hunk: Hunk): string {
  const lines = text.split('\n');
  if (hunk.kind === 'insert') {
    lines.splice(hunk.insert_after_line!, 0, ...hunk.fixed);
  } else {
    const first = hunk.buggy_lines[0]! - 1;
    if (lines.slice(first, first + hunk.buggy.length).join('\n') !== hunk.buggy.join('\n')) throw new Error(`bug_hunks.json does not match line ${first + 1}`);
    lines.splice(first, hunk.buggy.length, ...hunk.fixed);
  }
  return lines.join('\n');
}

async function functionText(source: string, line: number, parser: SourceParser): Promise<{ name: string; code: string }> {
  const fb = await blocksOfFunction(source, 'python', parser, { line });
  const idx = new LineIndex(source);
  return { name: fb.function.name, code: source.slice(idx.offsetAt(fb.function.range.start), idx.offsetAt(fb.function.range.end)) };
}

/** The scripted responder: the known fix, in one of four reply formats. Not a model. */
async function replayReply(program: string, buggy: string, fixed: string, hunk: Hunk, format: ReplyFormat, parser: SourceParser): Promise<string> {
  const line = hunk.kind === 'insert' ? hunk.insert_after_line! : hunk.buggy_lines[0]!;
  const fn = await functionText(fixed, line, parser);
  const summary = `The block at line ${line} of ${fn.name} is wrong; the known fix replaces it.`;
  const file = `python_programs/${program}.py`;
  switch (format) {
    case 'fence':
      return `${summary}\n\nHere is the corrected function:\n\n\`\`\`python\n${fn.code}\n\`\`\`\n`;
    case 'json':
      return JSON.stringify({ summary, verdicts: [{ block: 'b1', correct: true, why: 'Sets up the state.' }], fix: { kind: 'function', code: fn.code, diff: null, edits: null }, test_is_wrong: null }, null, 2);
    case 'diff':
      return `SUMMARY: ${summary}\n\n\`\`\`diff\n${createTwoFilesPatch(`a/${file}`, `b/${file}`, buggy, fixed, undefined, undefined, { context: 2 })}\`\`\`\n`;
    case 'search-replace': {
      const lines = buggy.split('\n');
      // One line of context before the change makes the SEARCH unique, as models tend to do.
      const start = hunk.kind === 'insert' ? hunk.insert_after_line! - 1 : hunk.buggy_lines[0]! - 2;
      const count = hunk.kind === 'insert' ? 1 : hunk.buggy.length + 1;
      const search = lines.slice(start, start + count);
      const replace = hunk.kind === 'insert' ? [...search, ...hunk.fixed] : [search[0]!, ...hunk.fixed];
      return `${summary}\n\n${file}\n\`\`\`python\n<<<<<<< SEARCH\n${search.join('\n')}\n=======\n${replace.join('\n')}\n>>>>>>> REPLACE\n\`\`\`\n`;
    }
  }
}

class ReplayModel implements ModelClient {
  readonly description = 'scripted replay of the known fix (bench only)';
  modelMs = 0;
  constructor(private readonly reply: string) {}
  async chat(request: ChatRequest): Promise<ChatResult> {
    const t0 = performance.now();
    request.onText?.(this.reply);
    this.modelMs += performance.now() - t0;
    return { text: this.reply, structured: false, model: 'replay', usage: { inputTokens: 0, outputTokens: 0 } };
  }
}

export function copyProgram(q: string, dir: string, program: string, correct: boolean): void {
  for (const sub of ['python_programs', 'python_testcases', 'json_testcases']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(q, 'conftest.py'), join(dir, 'conftest.py'));
  copyFileSync(join(q, correct ? 'correct_python_programs' : 'python_programs', `${program}.py`), join(dir, 'python_programs', `${program}.py`));
  copyFileSync(join(q, 'python_programs', 'node.py'), join(dir, 'python_programs', 'node.py'));
  for (const f of ['load_testdata.py', 'node.py', `test_${program}.py`]) copyFileSync(join(q, 'python_testcases', f), join(dir, 'python_testcases', f));
  const data = join(q, 'json_testcases', `${program}.json`);
  if (existsSync(data)) copyFileSync(data, join(dir, 'json_testcases', `${program}.json`));
}

/** Test name -> the first line of its failure, and every test's name. */
export async function failingNames(dir: string, helpersDir: string): Promise<{ failing: Map<string, string>; all: Set<string> }> {
  const { reports } = await runFolder(dir, 'pytest', { helpersDir, python: 'python3', testTimeoutMs });
  const results = reports.flatMap((r) => r.results);
  if (results.length === 0) throw new Error(`no tests ran in ${dir}: ${reports.flatMap((r) => r.problems).join('; ').slice(0, 300)}`);
  return { failing: new Map(results.filter((r) => r.failure).map((r) => [r.name, r.failure!.message.split('\n')[0]!])), all: new Set(results.map((r) => r.name)) };
}

async function checkProgram(q: string, program: string, hunk: Hunk, format: ReplyFormat, parser: SourceParser, helpersDir: string): Promise<Outcome> {
  const base = await mkdtemp(join(tmpdir(), `ducktrace-pipeline-${program}-`));
  const empty = { program, format, iterations: 0, bugTests: 0, bugTestsPassing: 0, failWhenCorrect: [], firstRunMs: 0, perIteration: [] };
  try {
    const work = join(base, 'buggy');
    const correct = join(base, 'correct');
    copyProgram(q, work, program, false);
    copyProgram(q, correct, program, true);
    const file = join(work, 'python_programs', `${program}.py`);
    const buggy = readFileSync(file, 'utf8');
    const reply = await replayReply(program, buggy, applyHunk(buggy, hunk), hunk, format, parser);
    const model = new ReplayModel(reply);

    const baseline = await failingNames(correct, helpersDir);
    const runs: { at: number; ms: number }[] = [];
    const traces: { start: number; end?: number }[] = [];
    const ports = createFsLoopPorts({
      cwd: work,
      framework: 'pytest',
      testTimeoutMs,
      helpersDir,
      parser,
      write: true,
      model: async () => model,
      onRun: (_reports, ms) => runs.push({ at: performance.now(), ms }),
      onDiagnose: (_f, e) => {
        if (e.type === 'tracing') traces.push({ start: performance.now() });
        else if (e.type === 'traced' && traces.length) traces[traces.length - 1]!.end = performance.now();
      },
    });
    const windows: { start: number; end: number; modelBefore: number; modelAfter: number }[] = [];
    let open: { start: number; modelBefore: number } | undefined;
    const summary = await iterateUntilGreen(
      {
        ...ports,
        onEvent: (e) => {
          if (e.type === 'phase' && e.phase === 'asking the model') open = { start: performance.now(), modelBefore: model.modelMs };
          if (e.type === 'iteration' && open) {
            windows.push({ ...open, end: performance.now(), modelAfter: model.modelMs });
            open = undefined;
          }
        },
      },
      { maxIterations },
    );
    await ports.dispose();

    const after = await failingNames(work, helpersDir);
    const initialFailing = new Set(summary.iterations.map((r) => r.testName));
    // Bug tests: failed in the loop's first run (any test the loop worked on, or still failing) and pass with the correct program.
    const firstRunFailing = new Set([...initialFailing, ...summary.stillFailing.map((s) => s.name), ...summary.fixed.map((id) => id.split('::').pop()!)]);
    const bugTests = [...firstRunFailing].filter((n) => !baseline.failing.has(n));
    const perIteration = windows.map((w) => {
      const inside = (t: number) => t >= w.start && t <= w.end;
      const rerunMs = runs.filter((r) => inside(r.at)).reduce((s, r) => s + r.ms, 0);
      const traceMs = traces.filter((t) => t.end !== undefined && inside(t.start)).reduce((s, t) => s + (t.end! - t.start), 0);
      const modelMs = w.modelAfter - w.modelBefore;
      return { overheadMs: w.end - w.start - modelMs - rerunMs, traceMs, modelMs, rerunMs };
    });
    const results = summary.iterations.map((r) => r.result).join(',');
    return {
      ...empty,
      stop: summary.stop,
      iterations: summary.iterations.length,
      bugTests: bugTests.length,
      bugTestsPassing: bugTests.filter((n) => after.all.has(n) && !after.failing.has(n)).length,
      failWhenCorrect: [...baseline.failing].map(([name, why]) => `${name}: ${why}`),
      firstRunMs: runs[0]?.ms ?? 0,
      perIteration,
      note: `${results}${summary.stop === 'green' ? '' : `; ${summary.message}`}${summary.stillFailing.length ? `; still failing: ${summary.stillFailing.map((s) => `${s.name} (${s.why.split('\n')[0]})`).join(', ')}` : ''}`,
    };
  } catch (err) {
    return { ...empty, stop: 'setup-error', note: err instanceof Error ? err.message : String(err) };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

export async function inLanes<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

const median = (xs: readonly number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number) => Math.round(x * 100) / 100;

export const pipelineBench: BenchSection = {
  name: 'pipeline',
  async run({ repoRoot }) {
    const q = quixbugsDir(repoRoot);
    if (!q) return [{ key: 'skipped', label: 'pipeline check: skipped', value: null, note: 'QuixBugs not found (../shared/bench/quixbugs or $DUCKTRACE_QUIXBUGS)' }];
    const hunks = JSON.parse(readFileSync(join(q, 'bug_hunks.json'), 'utf8')) as Record<string, Hunk[]>;
    const programs = Object.keys(hunks).sort();
    // The pytest plugin from the sources into a private folder: dist/ is deleted and rebuilt by
    // every build, and a build running beside the bench made runs fail at random.
    const helpersDir = await mkdtemp(join(tmpdir(), 'ducktrace-pipeline-helpers-'));
    copyFileSync(join(repoRoot, 'src/host/runners/python/ducktrace_pytest.py'), join(helpersDir, 'ducktrace_pytest.py'));
    const parser = new TreeSitterParser();
    // Hypothesis's pytest plugin takes about a second to import and QuixBugs does not use it.
    const addopts = process.env.PYTEST_ADDOPTS;
    process.env.PYTEST_ADDOPTS = [addopts, '-p no:hypothesispytest'].filter(Boolean).join(' ');
    const started = Date.now();
    let outcomes: Outcome[];
    try {
      outcomes = await inLanes(programs, lanes, async (program, i) => {
        const o = await checkProgram(q, program, hunks[program]![0]!, formats[i % formats.length]!, parser, helpersDir);
        process.stderr.write(`  pipeline ${program} (${o.format}): ${o.stop}, ${o.iterations} it., bug tests ${o.bugTestsPassing}/${o.bugTests}${o.failWhenCorrect.length ? `, ${o.failWhenCorrect.length} fail even when correct` : ''} — ${o.note.slice(0, 200)}\n`);
        return o;
      });
    } finally {
      await rm(helpersDir, { recursive: true, force: true });
      if (addopts === undefined) delete process.env.PYTEST_ADDOPTS;
      else process.env.PYTEST_ADDOPTS = addopts;
    }
    const elapsed = (Date.now() - started) / 1000;
    const green = outcomes.filter((o) => o.stop === 'green');
    const bugFixed = outcomes.filter((o) => o.bugTests > 0 && o.bugTestsPassing === o.bugTests);
    const misses = outcomes.filter((o) => !(o.bugTests > 0 && o.bugTestsPassing === o.bugTests));
    const iterationsOfFixed = bugFixed.map((o) => o.iterations);
    const ratios = outcomes.flatMap((o) => o.perIteration.filter((p) => p.rerunMs > 0).map((p) => p.overheadMs / o.firstRunMs));
    const fullRatios = outcomes.flatMap((o) => o.perIteration.filter((p) => p.rerunMs > 0).map((p) => (p.overheadMs + p.rerunMs) / o.firstRunMs));
    const traceShare = outcomes.flatMap((o) => o.perIteration.filter((p) => p.overheadMs > 0).map((p) => p.traceMs / p.overheadMs));
    const byFormat = formats.map((f) => `${f} ${bugFixed.filter((o) => o.format === f).length}/${outcomes.filter((o) => o.format === f).length}`).join(', ');
    const figures: Figure[] = [
      { key: 'kind', label: 'PIPELINE CHECK (scripted replay of known fixes, not a fix rate)', value: 'pipeline check' },
      { key: 'programs', label: 'pipeline: QuixBugs programs driven through the real loop', value: outcomes.length },
      { key: 'bugTestsPass', label: 'pipeline: programs whose bug-revealing tests all pass after the loop', value: bugFixed.length, target: `${outcomes.length}`, note: `by reply format: ${byFormat}` },
      { key: 'green', label: 'pipeline: programs reaching green (all tests)', value: green.length, note: `${outcomes.filter((o) => o.failWhenCorrect.length).length} programs have tests failing even with the correct program` },
      { key: 'iterationsMedian', label: 'pipeline: iterations, median (programs fixed)', value: median(iterationsOfFixed), note: `mean ${round(iterationsOfFixed.reduce((a, b) => a + b, 0) / (iterationsOfFixed.length || 1))}, max ${Math.max(0, ...iterationsOfFixed)}` },
      { key: 'overheadRatioMedian', label: 'pipeline: loop overhead per iteration (no model, no rerun) / one test run, median', value: round(median(ratios)), unit: '×', target: '≤ 1.5×', note: `p90 ${round(quantile(ratios, 0.9))}; tracing is ${Math.round(median(traceShare) * 100)}% of it` },
      { key: 'iterationRatioMedian', label: 'pipeline: whole iteration without the model (incl. the rerun) / one test run, median', value: round(median(fullRatios)), unit: '×' },
      { key: 'testRunMedianMs', label: 'pipeline: one test run of a program, median', value: Math.round(median(outcomes.map((o) => o.firstRunMs).filter((x) => x > 0))), unit: 'ms' },
      { key: 'elapsedSeconds', label: `pipeline: wall time (${lanes} programs at a time, per-test timeout ${testTimeoutMs / 1000} s, every test of each program)`, value: round(elapsed), unit: 's', target: '≤ 360 s' },
    ];
    for (const o of misses) {
      figures.push({ key: `misses.${o.program}`, label: `pipeline miss: ${o.program} (${o.format})`, value: `${o.bugTestsPassing}/${o.bugTests}`, note: `${o.stop}; ${o.note}`.slice(0, 400) });
    }
    for (const o of outcomes.filter((x) => x.failWhenCorrect.length)) {
      figures.push({ key: `failWhenCorrect.${o.program}`, label: `pipeline: ${o.program} tests failing with the correct program`, value: o.failWhenCorrect.length, note: `${o.stop}; ${o.failWhenCorrect.slice(0, 3).join('; ')}` });
    }
    return figures;
  },
};

function quantile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
