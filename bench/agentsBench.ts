// The agent tools as an agent uses them: ducktrace_failingTests once, then ducktrace_traceTest on a
// failing test (its failure already known, as after the first call), over the 40 QuixBugs programs
// (one failing test each: the first the run lists) and the HumanEvalFix JavaScript tasks (one
// AgentProject per task folder). Figures: the size of the traceTest answer in tokens (median and
// largest; goal ≤ 2,000 whatever the loop length: endless loops included) and the call's wall time
// as a ratio to one plain run of the same test (pytest / node --test without the tracer; QuixBugs:
// the faster of 2 runs each, interleaved; JavaScript: one of each; tests stopped by their timeout
// are left out of the ratio).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProject, type KnownResult } from '../src/host/agents/agentProject';
import { failingTests } from '../src/host/agents/failingTestsTool';
import { toolOutputOf } from '../src/host/agents/toolResult';
import { traceTestTool } from '../src/host/agents/traceTestTool';
import { traceSelector } from '../src/core/failures/testSelectors';
import { runJavaScriptTestUntraced } from '../src/host/tracers/jsTracer';
import { runPythonTestUntraced } from '../src/host/tracers/pythonTracer';
import type { BenchSection, Figure } from './benchTypes';
import { quixbugsDir } from './quixbugs';

interface Sample {
  readonly name: string;
  readonly tokens?: number;
  /** traceTest's wall time over the plain run's, when the plain run finished by itself. */
  readonly ratio?: number;
  readonly error?: string;
}

/** Runs of each (the faster counts): QuixBugs' tests are quick and few; the 81 JavaScript tasks get one of each. */
const quixbugsRounds = 2;
const jsRounds = 1;

export const agentsBench: BenchSection = {
  name: 'agents',
  async run({ repoRoot }) {
    const helpersDir = join(repoRoot, 'dist');
    const figures: Figure[] = [];
    const quixbugs = quixbugsDir(repoRoot);
    if (!quixbugs) figures.push({ key: 'quixbugs.skipped', label: 'agents on QuixBugs', value: null, note: 'skipped: QuixBugs not found (../shared/bench/quixbugs or $DUCKTRACE_QUIXBUGS)' });
    else figures.push(...summarize('quixbugs', 'QuixBugs', await quixbugsSamples(quixbugs, helpersDir)));
    const tasks = humanEvalFixDir(repoRoot);
    if (!tasks) figures.push({ key: 'js.skipped', label: 'agents on HumanEvalFix JS', value: null, note: 'skipped: ../shared/bench/humanevalfix-js not found ($DUCKTRACE_HUMANEVALFIX)' });
    else figures.push(...summarize('js', 'HumanEvalFix JS', await jsSamples(tasks, helpersDir)));
    return figures;
  },
};

function humanEvalFixDir(repoRoot: string): string | undefined {
  const dir = process.env.DUCKTRACE_HUMANEVALFIX ?? join(repoRoot, '../shared/bench/humanevalfix-js');
  return existsSync(join(dir, 'tasks.json')) ? dir : undefined;
}

async function quixbugsSamples(dir: string, helpersDir: string): Promise<Sample[]> {
  // QuixBugs' endless loops would each take the default 30 s; 3 s is what its own harness allows.
  const project = await AgentProject.open(dir, { helpersDir, testTimeoutMs: 3000 });
  await failingTests(project, {});
  const run = (await project.freshRun('.'))!;
  const programs = JSON.parse(readFileSync(join(dir, 'bug_lines.json'), 'utf8')) as Record<string, number[]>;
  const samples: Sample[] = [];
  for (const program of Object.keys(programs).sort()) {
    const known = run.results.find((r) => r.result.failure && r.id.startsWith(`python_testcases/test_${program}.py::`));
    if (!known) {
      samples.push({ name: program, error: 'no failing test' });
      continue;
    }
    samples.push(
      await measure(program, project, known, {
        plain: () => runPythonTestUntraced({ cwd: known.cwd, test: traceSelector(known.result, known.cwd) }, 30_000),
        rounds: quixbugsRounds,
      }),
    );
  }
  return samples;
}

async function jsSamples(dir: string, helpersDir: string): Promise<Sample[]> {
  const tasks = JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')) as { task: string }[];
  const samples: Sample[] = [];
  for (const task of tasks) {
    try {
      const project = await AgentProject.open(join(dir, 'tasks', task.task), { helpersDir, testTimeoutMs: 10_000 });
      await failingTests(project, {});
      const known = (await project.freshRun('.'))!.results.find((r) => r.result.failure);
      if (!known) {
        samples.push({ name: task.task, error: 'no failing test' });
        continue;
      }
      samples.push(
        await measure(task.task, project, known, {
          plain: () => runJavaScriptTestUntraced({ cwd: known.cwd, test: traceSelector(known.result, known.cwd), framework: 'node' }, 30_000),
          rounds: jsRounds,
        }),
      );
    } catch (err) {
      samples.push({ name: task.task, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return samples;
}

async function measure(name: string, project: AgentProject, known: KnownResult, how: { plain: () => Promise<{ timedOut: boolean }>; rounds: number }): Promise<Sample> {
  let plainMs = Infinity;
  let toolMs = Infinity;
  let plainTimedOut = false;
  let tokens: number | undefined;
  let error: string | undefined;
  for (let round = 0; round < how.rounds; round++) {
    let t = performance.now();
    const plain = await how.plain();
    plainMs = Math.min(plainMs, performance.now() - t);
    plainTimedOut ||= plain.timedOut;
    t = performance.now();
    // As an agent's first call: the test only; the tool finds the function from the failure.
    const answer = await toolOutputOf(() => traceTestTool(project, { test: known.id }));
    toolMs = Math.min(toolMs, performance.now() - t);
    if (answer.isError) error = answer.text;
    else tokens = answer.data.tokens as number;
  }
  if (tokens === undefined) return { name, error: error ?? 'no answer' };
  return { name, tokens, ...(plainTimedOut ? {} : { ratio: toolMs / plainMs }) };
}

function summarize(key: string, label: string, samples: Sample[]): Figure[] {
  const answered = samples.filter((s) => s.tokens !== undefined);
  const tokens = answered.map((s) => s.tokens!).sort((a, b) => a - b);
  const ratios = samples.flatMap((s) => (s.ratio !== undefined ? [s.ratio] : [])).sort((a, b) => a - b);
  const largest = answered.reduce<Sample | undefined>((m, s) => (!m || s.tokens! > m.tokens! ? s : m), undefined);
  const failed = samples.filter((s) => s.tokens === undefined);
  return [
    { key: `${key}.answered`, label: `${label}: traceTest answered`, value: `${answered.length}/${samples.length}`, ...(failed.length ? { note: failed.slice(0, 5).map((s) => `${s.name}: ${s.error?.split('\n')[0]?.slice(0, 80)}`).join('; ') } : {}) },
    { key: `${key}.tokensMedian`, label: `${label}: traceTest answer, median tokens`, value: median(tokens), target: '≤ 2,000' },
    { key: `${key}.tokensMax`, label: `${label}: traceTest answer, largest`, value: tokens[tokens.length - 1] ?? null, unit: 'tokens', target: '≤ 2,000', ...(largest ? { note: largest.name } : {}) },
    {
      key: `${key}.timeRatioMedian`,
      label: `${label}: traceTest call / one plain run of the test (median; p90)`,
      value: round(median(ratios)),
      unit: '×',
      note: `p90 ${round(ratios[Math.floor(ratios.length * 0.9)] ?? NaN)}; ${ratios.length} tests (${samples.length - ratios.length} left out: timed out or unanswered)`,
    },
  ];
}

function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

const round = (n: number) => Math.round(n * 100) / 100;
