// The Ducktrace view's state, built by pure reducers: one from the pipeline's events (target, trace,
// prompt, verdicts, answer, proposal, rerun) to one session's state, one from Iterate Until Green's
// events to its timeline. Explain and Fix, Iterate Until Green and Trace Failing Test describe a
// session the same way, and a unit test can replay any sequence of events.

import type { Block } from '../blocks/basicBlocks';
import type { Target } from '../blocks/targetFinder';
import type { BlockVerdict } from '../duck/diagnosis';
import type { ExplainEvent } from '../duck/explainAndFix';
import type { PromptTrace } from '../duck/prompt';
import type { Trace } from '../trace/traceModel';
import { stepsForSelection, traceTable, type TraceSelection } from '../trace/traceView';
import { emptyState, type EarlierSession, type ExplanationState, type LoopSummaryView, type LoopView, type RerunView, type SessionPhase, type TimelineEntry, type ViewAction, type ViewBlock, type ViewHunk, type ViewTest } from './explanationState';

// ---------------------------------------------------------------------------------------------
// The pipeline's events, as the host pipeline (src/host/duck/diagnoseFailure.ts) emits them, plus
// what the editor adds around them (start, the model's name, the answer, the proposal, the rerun).

export type PipelineEvent =
  | { readonly type: 'locating' }
  | { readonly type: 'target'; readonly target: Target; readonly blocks: readonly Block[] }
  | { readonly type: 'tracing' }
  | { readonly type: 'traced'; readonly trace: PromptTrace | undefined; readonly error?: string; readonly skipped?: string }
  | ExplainEvent;

export type SessionEvent =
  | PipelineEvent
  | { readonly type: 'start'; readonly test?: ViewTest }
  /** The finder is unsure: the user is asked which of `candidates` functions to explain. */
  | { readonly type: 'choosing'; readonly candidates: number }
  | { readonly type: 'asking'; readonly model: string }
  | { readonly type: 'answered'; readonly summary: string; readonly verdicts: readonly BlockVerdict[]; readonly testClaim?: string }
  | { readonly type: 'proposed'; readonly file: string }
  | { readonly type: 'no-fix'; readonly reason: string }
  | { readonly type: 'hunks'; readonly hunks: readonly ViewHunk[] }
  | { readonly type: 'settled'; readonly acceptedAny: boolean }
  | { readonly type: 'rerun'; readonly rerun: RerunView }
  | { readonly type: 'failed'; readonly message: string; readonly action?: ViewAction }
  | { readonly type: 'cancelled'; readonly status: string }
  /** Revert All put the files back: what this session changed (and its rerun) no longer applies. */
  | { readonly type: 'reverted' };

const busyPhases: readonly SessionPhase[] = ['locating', 'tracing', 'asking', 'parsing'];

export function isBusy(state: ExplanationState): boolean {
  return busyPhases.includes(state.phase);
}

/** The next state of one session after an event. Pure: the same inputs give the same view. */
export function reduceSession(state: ExplanationState, event: SessionEvent): ExplanationState {
  switch (event.type) {
    case 'start':
      return { ...emptyState(state.sessionId + 1), phase: 'locating', status: 'Finding the function to debug', ...(event.test ? { test: event.test } : {}) };
    case 'locating':
      return { ...state, phase: 'locating', status: 'Finding the function to debug' };
    case 'choosing':
      return { ...state, phase: 'locating', status: `Which function should Ducktrace explain? ${event.candidates} could be the one: choose in the list at the top of the window.` };
    case 'target': {
      const { target, blocks } = event;
      return {
        ...state,
        target: { name: target.functionName, file: target.file, startLine: target.range.start.line, endLine: target.range.end.line, language: target.language },
        blocks: blocks.map((b): ViewBlock => ({ id: b.id, kind: b.kind, startLine: b.range.start.line, endLine: b.range.end.line, text: b.text })),
      };
    }
    case 'tracing':
      return { ...state, phase: 'tracing', status: 'Rerunning the test and recording values after each block' };
    case 'traced': {
      const trace = event.trace;
      if (trace) return { ...state, blocks: state.blocks.map((b) => ({ ...b, values: valuesAfter(trace, b.id) })) };
      const noValues = event.skipped ?? (event.error ? `Tracing failed (${event.error}), so no values were recorded.` : 'No values were recorded.');
      return { ...state, noValues };
    }
    case 'asking':
      // The model is known (checked before the traced run); it is asked once the prompt is sent.
      return { ...state, model: event.model };
    case 'prompt':
      return { ...state, hasPrompt: true, phase: 'asking', status: `Asking ${state.model ?? 'the model'}` };
    case 'verdicts':
      return { ...state, blocks: withVerdicts(state.blocks, event.verdicts), status: `Receiving the answer: ${event.verdicts.length} of ${state.blocks.length} blocks judged` };
    case 'text':
      return { ...state, status: `Receiving the answer (${event.text.length} characters)` };
    case 'retry':
      return { ...state, status: `Asking again: ${event.reason}` };
    case 'answered':
      return { ...state, blocks: withVerdicts(state.blocks, event.verdicts), explanation: event.summary, ...(event.testClaim ? { testClaim: event.testClaim } : {}), phase: 'done', status: 'Answer received' };
    case 'proposed':
      return { ...state, phase: 'proposed', status: `Review the proposed change in ${event.file}` };
    case 'no-fix':
      return { ...state, phase: 'done', status: event.reason };
    case 'hunks':
      return { ...state, hunks: event.hunks };
    case 'settled': {
      const accepted = state.hunks.filter((h) => h.state === 'accepted').length;
      const status = !event.acceptedAny ? 'Every change was rejected; the file is as it was.' : `${accepted} change${accepted === 1 ? '' : 's'} accepted and saved.`;
      return { ...state, phase: 'done', status };
    }
    case 'rerun': {
      const { rerun } = event;
      const name = state.test?.name ?? 'the test';
      const status =
        rerun.state === 'running' ? `Rerunning ${name}` : rerun.state === 'passed' ? `Fixed: ${name} now passes.` : rerun.state === 'failed' ? `${name} still fails after the change.` : state.status;
      return { ...state, rerun, status };
    }
    case 'failed':
      return { ...state, phase: 'error', status: '', error: { message: event.message, ...(event.action ? { action: event.action } : {}) } };
    case 'cancelled':
      return { ...state, phase: 'cancelled', status: event.status };
    case 'reverted': {
      const { rerun: _gone, ...rest } = state;
      return { ...rest, phase: 'done', status: 'Reverted: Revert All put the files back as they were before the loop.' };
    }
  }
}

function withVerdicts(blocks: readonly ViewBlock[], verdicts: readonly BlockVerdict[]): ViewBlock[] {
  const byId = new Map(verdicts.map((v) => [v.blockId, v]));
  return blocks.map((b) => {
    const v = byId.get(b.id);
    return v ? { ...b, verdict: { correct: v.correct, why: v.why } } : b;
  });
}

/** The values after a block in its first traced visit, one "name = value" line each. */
export function valuesAfter(trace: PromptTrace, blockId: string): string[] | undefined {
  for (const call of trace.calls) {
    const step = call.steps.find((s) => s.blockId === blockId);
    if (step) return Object.entries(step.vars).map(([k, v]) => `${k} = ${renderValue(v)}`);
  }
  return undefined;
}

function renderValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Iterate Until Green's part of the view.

export type LoopEvent =
  | { readonly type: 'loop-start'; readonly mode: 'review' | 'auto' }
  | { readonly type: 'loop-status'; readonly status: string }
  | { readonly type: 'loop-iteration'; readonly entry: TimelineEntry }
  | { readonly type: 'loop-summary'; readonly summary: LoopSummaryView }
  | { readonly type: 'loop-reverted'; readonly files: readonly string[] };

export function reduceLoop(loop: LoopView | undefined, event: LoopEvent): LoopView | undefined {
  switch (event.type) {
    case 'loop-start':
      return { mode: event.mode, timeline: [] };
    case 'loop-status':
      return loop && !loop.summary ? { ...loop, status: event.status } : loop;
    case 'loop-iteration':
      return loop && { ...loop, timeline: [...loop.timeline, event.entry] };
    case 'loop-summary':
      return { ...(loop ?? { mode: 'review', timeline: [] }), status: undefined, summary: event.summary };
    case 'loop-reverted':
      return loop?.summary ? { ...loop, summary: { ...loop.summary, reverted: event.files } } : loop;
  }
}

/** One line for a session that moves below the present one. */
export function earlierSession(state: ExplanationState, loop: LoopView | undefined): EarlierSession | undefined {
  if (loop?.summary) {
    const s = loop.summary;
    return { id: state.sessionId, title: `Iterate Until Green (${loop.mode} mode)`, outcome: s.reverted ? `${s.message} Reverted since.` : s.message, loop };
  }
  if (state.phase === 'idle' || isBusy(state) || !state.test) return undefined;
  const outcome = state.error?.message ?? (state.status || state.phase);
  return { id: state.sessionId, title: `${state.traceTable ? 'Trace' : 'Explain and Fix'}: ${state.test.name}`, outcome };
}

/** How many earlier sessions the view keeps. */
export const earlierLimit = 5;

// ---------------------------------------------------------------------------------------------
// Trace Failing Test's part of the view: the chosen call of a trace, as a finished session.

export interface ShownTraceInput {
  readonly test: { readonly name: string; readonly file: string; readonly line?: number };
  readonly target: Target;
  readonly blocks: readonly Block[];
  readonly trace: Trace;
  readonly selection: TraceSelection;
}

/** The test, the function's blocks with the values of the chosen call, and that call as a table. */
export function traceSession(shown: ShownTraceInput): ExplanationState {
  const { test, target, blocks, trace, selection } = shown;
  const table = traceTable(target.functionName, trace, selection.call);
  const steps = stepsForSelection(trace, selection);
  return {
    ...emptyState(),
    phase: 'done',
    status: `Values recorded while ${test.name} ran: call ${selection.call + 1} of ${trace.calls.length}${trace.truncated ? ' (trace cut to its budget)' : ''}.`,
    test: { name: test.name, file: test.file, ...(test.line ? { line: test.line } : {}), message: '' },
    target: { name: target.functionName, file: target.file, startLine: target.range.start.line, endLine: target.range.end.line, language: target.language },
    blocks: blocks.map((b) => {
      const step = steps.get(b.id);
      return { id: b.id, kind: b.kind, startLine: b.range.start.line, endLine: b.range.end.line, text: b.text, ...(step ? { values: Object.entries(step.vars).map(([name, v]) => `${name} = ${v.text}`) } : {}) };
    }),
    ...(table ? { traceTable: table } : {}),
  };
}
