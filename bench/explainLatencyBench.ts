// From "Explain and Fix" to the first streamed token of the answer, as the editor runs it: the
// shared pipeline (diagnoseFailure: target and blocks, the traced rerun of the test, the prompt)
// with an instant scripted model, on a Python and a JavaScript failing test (bench/fixtures/overhead
// and overhead-js: the tracing bench's program). The figure is a ratio to one plain run of the
// same test, measured in the same run; the parts (locate, traced test run, prompt, first token)
// come from the same PipelineTiming the editor logs at debug level. Fastest of 5 interleaved runs
// of each. Target ≤ 1.5×.
import { join } from 'node:path';
import { PipelineTiming, type PipelineTimes } from '../src/core/duck/pipelineTiming';
import type { ChatRequest, ChatResult, ModelClient } from '../src/core/modelClient';
import { toPromptTrace } from '../src/core/trace/promptTrace';
import { diagnoseFailure } from '../src/host/duck/diagnoseFailure';
import { NodeSourceFiles } from '../src/host/nodeSourceFiles';
import { runJavaScriptTestUntraced } from '../src/host/tracers/jsTracer';
import { runPythonTestUntraced } from '../src/host/tracers/pythonTracer';
import { traceTest } from '../src/host/tracers/traceTest';
import { TreeSitterParser, treeSitterPathsIn } from '../src/host/treeSitter';
import type { BenchSection, Figure } from './benchTypes';

const rounds = 5;

/** Answers at once, streaming its text in two pieces: the time to the first token is the pipeline's. */
class InstantModel implements ModelClient {
  readonly description = 'instant scripted model';
  async chat(request: ChatRequest): Promise<ChatResult> {
    const text = JSON.stringify({ summary: 'The score is off.', verdicts: [{ blockId: 'b1', correct: false, why: 'Off.' }] });
    request.onText?.(text.slice(0, 20));
    request.onText?.(text.slice(20));
    return { text, structured: false, model: 'instant', usage: { inputTokens: 1, outputTokens: 1 } };
  }
}

interface Case {
  readonly key: string;
  readonly cwd: string;
  readonly testFile: string;
  readonly testName: string;
  /** The tracer's `--test`. */
  readonly selector: string;
  readonly line: number;
  readonly plain: () => Promise<unknown>;
}

export const explainLatencyBench: BenchSection = {
  name: 'explainLatency',
  async run({ repoRoot }) {
    const parser = new TreeSitterParser(treeSitterPathsIn(repoRoot));
    const py = join(repoRoot, 'bench/fixtures/overhead');
    const js = join(repoRoot, 'bench/fixtures/overhead-js');
    const cases: Case[] = [
      { key: 'python', cwd: py, testFile: join(py, 'test_scoring.py'), testName: 'test_score', selector: 'test_scoring.py::test_score', line: 14, plain: () => runPythonTestUntraced({ cwd: py, test: 'test_scoring.py::test_score' }) },
      { key: 'javascript', cwd: js, testFile: join(js, 'scoring.test.js'), testName: 'score', selector: 'scoring.test.js::score', line: 23, plain: () => runJavaScriptTestUntraced({ cwd: js, test: 'scoring.test.js::score' }) },
    ];
    const figures: Figure[] = [];
    for (const c of cases) {
      const plainMs: number[] = [];
      const runs: PipelineTimes[] = [];
      for (let round = 0; round < rounds; round++) {
        const t0 = performance.now();
        await c.plain();
        plainMs.push(performance.now() - t0);
        runs.push(await explainOnce(c, parser));
      }
      const plain = Math.min(...plainMs);
      const fastest = runs.filter((r) => r.total !== undefined).sort((a, b) => a.total! - b.total!)[0];
      if (!fastest) {
        figures.push({ key: `${c.key}.ratio`, label: `${c.key}: Explain and Fix to first token / plain test run`, value: null, note: 'no answer streamed' });
        continue;
      }
      const ms = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v)} ms`);
      figures.push({ key: `${c.key}.plainMs`, label: `${c.key}: one plain run of the failing test`, value: Math.round(plain), unit: 'ms' });
      figures.push({
        key: `${c.key}.ratio`,
        label: `${c.key}: Explain and Fix to first token / plain test run`,
        value: Math.round((fastest.total! / plain) * 100) / 100,
        unit: '×',
        target: '≤ 1.5×',
        note: `total ${ms(fastest.total)}: locate ${ms(fastest.locate)}, traced test run ${ms(fastest.trace)}, prompt ${ms(fastest.prompt)}, first token ${ms(fastest.firstToken)}`,
      });
    }
    return figures;
  },
};

async function explainOnce(c: Case, parser: TreeSitterParser): Promise<PipelineTimes> {
  const timing = new PipelineTiming(() => performance.now());
  await diagnoseFailure({
    failure: { testId: `${c.testFile}::${c.testName}`, name: c.testName, file: c.testFile, line: c.line, message: 'assertion failed', stack: [{ file: c.testFile, line: c.line }] },
    roots: [c.cwd],
    files: new NodeSourceFiles(),
    parser,
    model: async () => new InstantModel(),
    // As the editor's TraceLauncher does: the pipeline's one parser.
    trace: async (target) => toPromptTrace((await traceTest({ cwd: c.cwd, test: c.selector, target: { file: target.file, function: target.functionName }, parser })).trace),
    onEvent: (e) => timing.onEvent(e),
  });
  return timing.times;
}
