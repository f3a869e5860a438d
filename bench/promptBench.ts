// What the model sees, over the 40 QuixBugs programs and the 81 HumanEvalFix JavaScript tasks: for
// each, the real pipeline (the runner finds the failures, the most informative one is diagnosed,
// the tracer records the values, a model double captures the prompt) and four questions about the
// prompt it sent:
// - does it hold the target function verbatim (every line as in the file, in order)?
// - does it hold the failing test's source (its lines found in the test file by a simple scan of
//   its own, not by the extractor under test)?
// - does it carry values for the block the bug is in, where that block ran?
// - how many tokens is it?
// Nothing here is a fix rate: the double never answers with a fix.

import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Block } from '../src/core/blocks/basicBlocks';
import type { Target } from '../src/core/blocks/targetFinder';
import type { PromptTrace } from '../src/core/duck/prompt';
import { estimateTokens } from '../src/core/duck/tokens';
import type { LoopFailure } from '../src/core/loop/testRun';
import type { ChatMessage, ChatRequest, ChatResult, ModelClient } from '../src/core/modelClient';
import { createFsLoopPorts } from '../src/host/loop/fsLoopPorts';
import { TreeSitterParser } from '../src/host/treeSitter';
import type { BenchSection, Figure } from './benchTypes';
import { humanevalfixJsDir, humanevalfixTasks } from './humanevalfixJs';
import { copyProgram, inLanes } from './pipelineBench';
import { bugLines, quixbugsDir } from './quixbugs';

const testTimeoutMs = 3_000;
const lanes = 2;

interface Case {
  readonly suite: 'quixbugs' | 'humanevalfix-js';
  readonly name: string;
  readonly framework: 'pytest' | 'node';
  /** Prepares the project in `dir`; returns the buggy file there. */
  readonly prepare: (dir: string) => Promise<string> | string;
  readonly bugLines: readonly number[];
}

interface Measure {
  readonly suite: Case['suite'];
  readonly name: string;
  readonly ok: boolean;
  readonly note?: string;
  readonly tokens?: number;
  readonly verbatim?: boolean;
  readonly testSource?: boolean;
  /** The target is the function holding the bug. */
  readonly onBug?: boolean;
  /** The bug's block ran in the recorded trace / and its values are in the prompt. */
  readonly bugBlockRan?: boolean;
  readonly bugBlockValues?: boolean;
}

/** Records the first prompt; answers without a fix (the pipeline asks once more, then gives up). */
class CaptureModel implements ModelClient {
  readonly description = 'prompt capture (bench only)';
  first: readonly ChatMessage[] | undefined;
  async chat(request: ChatRequest): Promise<ChatResult> {
    this.first ??= request.messages;
    const text = 'SUMMARY: captured for the prompt benchmark';
    request.onText?.(text);
    return { text, structured: false, model: 'capture', usage: { inputTokens: 0, outputTokens: 0 } };
  }
}

/** The loop's choice: a failure whose stack reaches code outside the test file first. */
function mostInformative(failures: readonly LoopFailure[]): LoopFailure | undefined {
  const score = (f: LoopFailure) => (f.stack.some((fr) => fr.file !== f.file && !/(^|[\\/])(test_[^\\/]*\.py|[^\\/]*\.test\.[cm]?js)$/.test(fr.file)) ? 1 : 0);
  return [...failures].sort((a, b) => score(b) - score(a))[0];
}

/** Each line of `wanted` occurs as a whole line of `text`, in order. */
function linesInOrder(text: string, wanted: readonly string[]): boolean {
  const lines = text.split('\n');
  let at = 0;
  for (const w of wanted) {
    const found = lines.indexOf(w, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return wanted.length > 0;
}

/**
 * The failing test's own lines, found by a plain scan: pytest's `def NAME(` with its decorators
 * and its indented body; node:test's `test('NAME'` / `it('NAME'` to its closing `});`.
 */
export function testLinesByScan(source: string, name: string, framework: 'pytest' | 'node'): string[] | undefined {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  if (framework === 'pytest') {
    const bare = name.replace(/\[[\s\S]*\]$/, '');
    const start = lines.findIndex((l) => new RegExp(`^\\s*(async\\s+)?def ${bare}\\(`).test(l));
    if (start < 0) return undefined;
    const indent = /^\s*/.exec(lines[start])![0].length;
    let first = start;
    while (first > 0 && /^\s*@/.test(lines[first - 1])) first--;
    let last = start;
    for (let i = start + 1; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      if (/^\s*/.exec(lines[i])![0].length <= indent) break;
      last = i;
    }
    return lines.slice(first, last + 1);
  }
  const quoted = [`'${name}'`, `"${name}"`, `\`${name}\``];
  const start = lines.findIndex((l) => /\b(test|it)\s*\(/.test(l) && quoted.some((q) => l.includes(q)));
  if (start < 0) return undefined;
  const indent = /^\s*/.exec(lines[start])![0];
  const end = lines.findIndex((l, i) => i > start && l.startsWith(`${indent}})`));
  return end < 0 ? [lines[start]] : lines.slice(start, end + 1);
}

async function measure(c: Case, parser: TreeSitterParser, helpersDir: string): Promise<Measure> {
  const base = await mkdtemp(join(tmpdir(), `ducktrace-prompt-${c.name}-`));
  const fail = (note: string): Measure => ({ suite: c.suite, name: c.name, ok: false, note });
  try {
    const bugFile = await c.prepare(base);
    const model = new CaptureModel();
    let target: { target: Target; blocks: readonly Block[]; fileText: string } | undefined;
    let trace: PromptTrace | undefined;
    let traceError: string | undefined;
    const ports = createFsLoopPorts({
      cwd: base,
      framework: c.framework,
      testTimeoutMs,
      helpersDir,
      parser,
      write: false,
      model: async () => model,
      onDiagnose: (_f, e) => {
        if (e.type === 'target') target = { target: e.target, blocks: e.blocks, fileText: e.fileText };
        if (e.type === 'traced') {
          trace = e.trace;
          traceError = e.error;
        }
      },
    });
    try {
      const signal = new AbortController().signal;
      const run = await ports.runTests(signal);
      const chosen = mostInformative(run.failures);
      if (!chosen) return fail('no failing test');
      await ports.propose(chosen, [], signal);
      // The loop's failure is the runner's whole TestFailure.
      const failure = chosen;
      if (!model.first || !target) {
        const last = ports.lastDiagnosis();
        return fail(`no prompt was sent: ${last && !last.ok ? last.error : 'no target'}`);
      }
      const user = model.first.map((m) => m.content).join('\n');
      const tokens = model.first.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0);
      const fileLines = target.fileText.replace(/\r\n/g, '\n').split('\n');
      const fnLines = fileLines.slice(target.target.range.start.line - 1, target.target.range.end.line);
      const testText = failure ? readFileSync(failure.file, 'utf8') : '';
      // A failure of the whole file (it did not load, or a test hung) names no test: the file is the test.
      const fileLevel = !!failure && /::\((file|collection)\)$/.test(failure.testId);
      const testLines = failure ? (fileLevel ? testText.split('\n').filter((l) => l.trim()) : testLinesByScan(testText, failure.name, c.framework)) : undefined;
      const onBug = target.target.file === bugFile && c.bugLines.some((l) => l >= target!.target.range.start.line && l <= target!.target.range.end.line);
      const bugBlocks = onBug ? target.blocks.filter((b) => c.bugLines.some((l) => l >= b.range.start.line && l <= b.range.end.line)).map((b) => b.id) : [];
      const ran = bugBlocks.filter((id) => trace?.calls.some((call) => call.steps.some((s) => s.blockId === id)));
      const shown = (id: string) => new RegExp(`↳ (call \\d+, )?${id}( #\\d+)?: (?!did not run)`).test(user);
      return {
        suite: c.suite,
        name: c.name,
        ok: true,
        tokens,
        verbatim: linesInOrder(user, fnLines),
        testSource: !!testLines && linesInOrder(user, testLines),
        onBug,
        bugBlockRan: ran.length > 0,
        bugBlockValues: ran.length > 0 && ran.every(shown),
        note: [`target ${target.target.functionName}`, failure ? `test ${failure.name}` : '', traceError ? `trace failed: ${traceError.slice(0, 120)}` : '', !testLines ? 'test not found by the scan' : ''].filter(Boolean).join('; '),
      };
    } finally {
      await ports.dispose();
    }
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (n: number, d: number) => (d ? `${n}/${d} (${Math.round((n / d) * 1000) / 10}%)` : '—');

export const promptBench: BenchSection = {
  name: 'prompt',
  async run({ repoRoot }) {
    const cases: Case[] = [];
    const q = quixbugsDir(repoRoot);
    if (q) {
      const bugs = bugLines(q);
      for (const program of Object.keys(bugs).sort()) {
        cases.push({
          suite: 'quixbugs',
          name: program,
          framework: 'pytest',
          bugLines: bugs[program]!,
          prepare: (dir) => {
            copyProgram(q, dir, program, false);
            return join(dir, 'python_programs', `${program}.py`);
          },
        });
      }
    }
    const h = humanevalfixJsDir(repoRoot);
    if (h) {
      for (const task of humanevalfixTasks(h)) {
        cases.push({
          suite: 'humanevalfix-js',
          name: task.task,
          framework: 'node',
          bugLines: task.bug_lines,
          prepare: (dir) => {
            mkdirSync(dir, { recursive: true });
            cpSync(join(h, 'tasks', task.task), dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('fixed') });
            return join(dir, 'solution.js');
          },
        });
      }
    }
    if (!cases.length) return [{ key: 'skipped', label: 'prompt: skipped', value: null, note: 'neither ../shared/bench/quixbugs ($DUCKTRACE_QUIXBUGS) nor ../shared/bench/humanevalfix-js ($DUCKTRACE_HUMANEVALFIX_JS) found' }];

    // The pytest plugin and node's reporter in a private folder: a build beside the bench rebuilds dist/.
    const helpersDir = await mkdtemp(join(tmpdir(), 'ducktrace-prompt-helpers-'));
    await copyFile(join(repoRoot, 'src/host/runners/python/ducktrace_pytest.py'), join(helpersDir, 'ducktrace_pytest.py'));
    await copyFile(join(repoRoot, 'dist/nodeTestReporter.js'), join(helpersDir, 'nodeTestReporter.js'));
    const parser = new TreeSitterParser();
    const addopts = process.env.PYTEST_ADDOPTS;
    process.env.PYTEST_ADDOPTS = [addopts, '-p no:hypothesispytest'].filter(Boolean).join(' ');
    let results: Measure[];
    try {
      results = await inLanes(cases, lanes, async (c) => {
        const m = await measure(c, parser, helpersDir);
        const flags = m.ok ? `verbatim ${m.verbatim ? 'yes' : 'NO'}, test ${m.testSource ? 'yes' : 'NO'}, bug block ${!m.onBug ? 'not in target' : !m.bugBlockRan ? 'did not run' : m.bugBlockValues ? 'values' : 'NO VALUES'}, ${m.tokens} tokens` : 'failed';
        process.stderr.write(`  prompt ${c.suite}/${c.name}: ${flags}${m.note ? ` — ${m.note.slice(0, 160)}` : ''}\n`);
        return m;
      });
    } finally {
      await rm(helpersDir, { recursive: true, force: true });
      if (addopts === undefined) delete process.env.PYTEST_ADDOPTS;
      else process.env.PYTEST_ADDOPTS = addopts;
    }

    const figures: Figure[] = [];
    for (const suite of ['quixbugs', 'humanevalfix-js'] as const) {
      const all = results.filter((r) => r.suite === suite);
      if (!all.length) continue;
      const sent = all.filter((r) => r.ok);
      const ran = sent.filter((r) => r.onBug && r.bugBlockRan);
      const tokens = sent.map((r) => r.tokens!);
      const label = suite === 'quixbugs' ? 'QuixBugs' : 'HumanEvalFix JS';
      figures.push(
        { key: `${suite}.prompts`, label: `prompt, ${label}: prompts sent / programs`, value: `${sent.length}/${all.length}`, note: all.filter((r) => !r.ok).map((r) => `${r.name}: ${r.note}`).join('; ').slice(0, 300) || undefined },
        { key: `${suite}.verbatim`, label: `prompt, ${label}: the target function verbatim`, value: pct(sent.filter((r) => r.verbatim).length, sent.length), target: '100%', note: sent.filter((r) => !r.verbatim).map((r) => r.name).join(', ') || undefined },
        { key: `${suite}.testSource`, label: `prompt, ${label}: the failing test's source`, value: pct(sent.filter((r) => r.testSource).length, sent.length), target: '100%', note: sent.filter((r) => !r.testSource).map((r) => `${r.name} (${r.note})`).join(', ').slice(0, 300) || undefined },
        {
          key: `${suite}.bugBlockValues`,
          label: `prompt, ${label}: values for the bug's block, where it ran`,
          value: pct(ran.filter((r) => r.bugBlockValues).length, ran.length),
          target: '≥ 95%',
          note: [`${sent.filter((r) => !r.onBug).length} targets are not the buggy function`, `${sent.filter((r) => r.onBug && !r.bugBlockRan).length} bug blocks did not run`, ran.filter((r) => !r.bugBlockValues).map((r) => `no values: ${r.name}`).join(', ')].filter(Boolean).join('; '),
        },
        { key: `${suite}.tokensMedian`, label: `prompt, ${label}: prompt size, median / largest`, value: `${median(tokens)} / ${Math.max(0, ...tokens)}`, unit: 'tokens' },
      );
    }
    return figures;
  },
};
