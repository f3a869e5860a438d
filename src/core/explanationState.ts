// What the Ducktrace view shows for one Explain-and-fix session: plain data, posted to the webview
// whole on every change, so the view is a pure function of it and a test can assert on it.

import type { TraceTable } from './trace/traceView';

export type SessionPhase = 'idle' | 'locating' | 'tracing' | 'asking' | 'parsing' | 'proposed' | 'done' | 'cancelled' | 'error';

export interface ViewBlock {
  readonly id: string;
  readonly kind: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  /** Traced values after the block, one line per variable (already rendered and bounded). */
  readonly values?: readonly string[];
  verdict?: { readonly correct: boolean; readonly why: string };
  /** Suspicion score in [0, 1], when ranked. */
  readonly suspicion?: number;
}

export interface ViewHunk {
  readonly id: string;
  readonly state: 'pending' | 'accepted' | 'rejected' | 'stale';
  readonly startLine: number;
  readonly oldText: string;
  readonly newText: string;
  /** The hunk changes code outside the target function (allowed in the same file, flagged). */
  readonly outsideTarget?: boolean;
}

/** One iteration of Iterate Until Green: failure -> verdicts -> patch -> result. */
export interface TimelineEntry {
  readonly iteration: number;
  readonly test: string;
  readonly result: string;
  readonly detail: string;
  readonly summary?: string;
  /** Unified diff of what the iteration kept (empty when nothing changed). */
  readonly diff?: string;
}

export interface LoopView {
  readonly mode: 'review' | 'auto';
  readonly timeline: TimelineEntry[];
  /** What the loop is doing now, in words (while it runs). */
  status?: string;
  /** Set when the loop has stopped. */
  summary?: { readonly stop: string; readonly message: string; readonly fixed: readonly string[]; readonly stillFailing: readonly { readonly name: string; readonly why: string }[]; readonly changedFiles: readonly string[] };
}

export interface ExplanationState {
  readonly sessionId: number;
  phase: SessionPhase;
  /** What is happening now, in words, e.g. "Asking gpt-4o-mini…". */
  status: string;
  readonly test?: { readonly name: string; readonly file: string; readonly line?: number; readonly message: string; readonly expected?: string; readonly actual?: string };
  target?: { readonly name: string; readonly file: string; readonly startLine: number; readonly endLine: number; readonly language: string };
  blocks: ViewBlock[];
  /** Markdown from the model: rendered safely by the view. */
  explanation: string;
  /** The model's claim that the test itself is wrong; shown, never acted on. */
  testClaim?: string;
  hunks: ViewHunk[];
  error?: { readonly message: string; readonly action?: string };
  /** True once a prompt was sent and can be shown exactly. */
  hasPrompt: boolean;
  model?: string;
  /** Iterate Until Green's timeline, kept across the sessions of one loop. */
  loop?: LoopView;
  /** "Trace Failing Test": the chosen call's steps as a table. */
  traceTable?: TraceTable;
}

export function emptyState(sessionId = 0): ExplanationState {
  return { sessionId, phase: 'idle', status: '', blocks: [], explanation: '', hunks: [], hasPrompt: false };
}
