// ducktrace_traceTest: one failing test rerun under the tracer, answered with the function as
// written, block markers, and the values after each block per call and iteration, rendered by the
// same function as the duck's prompt (src/core/trace/tracedFunction.ts) and kept within the
// caller's token budget whatever the loop length. The agent may narrow it to one call, an
// iteration range or one variable.
import { renderFailure } from '../../core/duck/failureText';
import { estimateTokens, truncateToTokens } from '../../core/duck/tokens';
import { traceSelector } from '../../core/failures/testSelectors';
import type { Trace, TraceValue } from '../../core/trace/traceModel';
import { listingLegend, renderTracedFunction, type ListingTraceStep, type TracedFunctionOptions } from '../../core/trace/tracedFunction';
import type { JsRunner } from '../tracers/js/jsPlan';
import { promptContext, type PromptContext } from '../duck/promptContext';
import { traceTest, type TraceTestRequest } from '../tracers/traceTest';
import type { AgentProject, KnownResult, LocatedFunction } from './agentProject';
import type { TraceTestInput } from './agentToolSpecs';
import { AgentToolError, type ToolOutput } from './toolResult';

export const defaultTraceTokens = 2000;

export interface TraceTestDependencies {
  readonly trace?: typeof traceTest;
}

export async function traceTestTool(project: AgentProject, input: TraceTestInput, signal?: AbortSignal, deps: TraceTestDependencies = {}): Promise<ToolOutput> {
  if (input.fromIteration !== undefined && input.toIteration !== undefined && input.fromIteration > input.toIteration) {
    throw new AgentToolError(`"fromIteration" (${input.fromIteration}) is after "toIteration" (${input.toIteration}).`);
  }
  const known = await project.findTest(input.test, signal);
  const failure = known.result.failure;
  const located = await project.locate(input.target, failure);
  const narrowed = input.call !== undefined || input.fromIteration !== undefined || input.toIteration !== undefined || input.variable !== undefined;
  const request: TraceTestRequest = {
    cwd: known.cwd,
    test: traceSelector(known.result, known.cwd),
    target: { file: located.target.file, function: located.target.functionName },
    python: await project.python(),
    // Narrowed questions may reach into the middle of a long loop: keep more of it to choose from.
    ...(narrowed ? { budget: { maxSteps: 2000, maxBytes: 1_000_000 } } : {}),
    ...(isJsRunner(known.result.framework) ? { framework: known.result.framework } : {}),
    ...(signal ? { signal } : {}),
  };
  const run = await (deps.trace ?? traceTest)(request);
  if (signal?.aborted) throw new AgentToolError('Cancelled: the traced run was stopped.');
  const { trace } = run;
  if (!trace.calls.length) {
    const tail = (run.stderr || run.stdout).trim().split('\n').slice(-12).join('\n');
    throw new AgentToolError(
      `${located.target.functionName} (${located.file}) never ran while ${known.id} ran (exit code ${run.exitCode ?? 'none'}${run.timedOut ? ', stopped at the time limit' : ''}). Name the function the test reaches in "target".\n${tail}`,
    );
  }
  const maxTokens = input.maxTokens ?? defaultTraceTokens;
  // The failure cleaned and the function from its decorators on, as the duck's prompt has them.
  const context = await promptContext({ failure: failure ?? { name: known.result.name }, target: located.target, fileText: located.fileText, files: project.files, parser: project.parser, roots: [project.root.path], neverSend: project.neverSend });
  const rendered = renderAnswer(located, trace, known, input, maxTokens, run.exitCode, context);
  const data = {
    test: known.id,
    outcome: failure ? 'failed' : 'passed',
    target: { file: located.file, function: located.target.functionName, startLine: located.target.range.start.line, endLine: located.target.range.end.line },
    calls: trace.calls.map((c, i) => ({
      call: i + 1,
      depth: c.depth,
      args: valueTexts(c.args),
      ...(c.returned ? { returned: c.returned.text } : {}),
      ...(c.threw ? { threw: c.threw.text } : {}),
      ...(c.unfinished ? { unfinished: true } : {}),
    })),
    blocks: located.blocks.map((b) => ({ id: b.id, startLine: b.range.start.line, endLine: b.range.end.line })),
    stepsShown: rendered.stepsShown,
    stepsRecorded: rendered.stepsRecorded,
    truncated: rendered.truncated,
    notes: trace.truncated ? trace.truncated.notes : [],
    tokens: rendered.tokens,
    maxTokens,
    elapsedMs: run.elapsedMs,
  };
  return project.redact({ text: rendered.text, data });
}

interface Rendered {
  readonly text: string;
  readonly tokens: number;
  readonly stepsShown: number;
  readonly stepsRecorded: number;
  readonly truncated: boolean;
}

/** The answer within `maxTokens`: the failure, the legend, the function with its values, the notes. */
export function renderAnswer(located: LocatedFunction, trace: Trace, known: KnownResult, input: TraceTestInput, maxTokens: number, exitCode: number | null, context: PromptContext): Rendered {
  const { target, blocks, fileText } = located;
  const failure = known.result.failure;
  const head: string[] = [`## ${target.functionName} (${located.file}, lines ${target.range.start.line}-${target.range.end.line}) while ${known.id} ran`];
  if (failure && context.intent.failure) {
    head.push('', 'How the test failed:', truncateToTokens(renderFailure(context.intent.failure), Math.max(80, Math.floor(maxTokens / 8))).text);
  } else head.push('', `The test passed in this run (exit code ${exitCode ?? 'none'}).`);
  const filters = [
    input.call !== undefined ? `call ${input.call}` : '',
    input.fromIteration !== undefined || input.toIteration !== undefined ? `iterations ${input.fromIteration ?? 1}-${input.toIteration ?? '…'}` : '',
    input.variable ? `variable ${input.variable}` : '',
  ].filter(Boolean);
  if (input.call !== undefined && input.call > trace.calls.length) {
    throw new AgentToolError(`The test called ${target.functionName} ${trace.calls.length} time${trace.calls.length === 1 ? '' : 's'}: there is no call ${input.call}.`);
  }
  head.push('', listingLegend(target.language) + (filters.length ? ` Shown: ${filters.join(', ')} only.` : ''));

  const notes = trace.truncated ? trace.truncated.notes : [];
  const tail = [
    ...(notes.length ? ['', `Tracer notes: ${notes.join('; ')}.`] : []),
    '',
    'Next: ask again with call, fromIteration/toIteration or variable to look closer; ducktrace_suspiciousBlocks ranks the blocks; ducktrace_proposeFix proposes a corrected function.',
  ];
  const fixed = estimateTokens([...head, ...tail].join('\n')) + 8;
  const includeStep: TracedFunctionOptions['includeStep'] =
    input.call !== undefined || input.fromIteration !== undefined || input.toIteration !== undefined
      ? (call: number, step: ListingTraceStep) =>
          (input.call === undefined || call === input.call - 1) &&
          (input.fromIteration === undefined || (step.iteration ?? 1) >= input.fromIteration) &&
          (input.toIteration === undefined || (step.iteration ?? 1) <= input.toIteration)
      : undefined;
  const listed = { name: target.functionName, file: located.file, language: target.language, source: fileText, range: target.range, firstLine: context.firstLine, blocks };
  const maxCodeTokens = Math.max(200, Math.floor((maxTokens - fixed) * 0.6));
  const options = { maxCodeTokens, ...(includeStep ? { includeStep } : {}), ...(input.variable ? { variables: [input.variable] } : {}) };
  const bare = renderTracedFunction(listed, undefined, { ...options, maxTraceTokens: 0 });
  let traceTokens = Math.max(0, maxTokens - fixed - estimateTokens(bare.text));
  // The renderer prices its lines a little generously; shrink until the whole answer fits.
  for (let attempt = 0; ; attempt++) {
    const shown = renderTracedFunction(listed, trace, { ...options, maxTraceTokens: traceTokens });
    const text = [...head, '', shown.text, ...tail].join('\n');
    const tokens = estimateTokens(text);
    if (tokens <= maxTokens || traceTokens === 0 || attempt > 6) {
      return { text, tokens, stepsShown: shown.stepsShown, stepsRecorded: shown.stepsRecorded, truncated: shown.truncated };
    }
    traceTokens = Math.max(0, traceTokens - (tokens - maxTokens) - 20);
  }
}

function isJsRunner(framework: string): framework is JsRunner {
  return framework === 'node' || framework === 'jest' || framework === 'vitest' || framework === 'mocha';
}

function valueTexts(vars: Readonly<Record<string, TraceValue>>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.text]));
}

