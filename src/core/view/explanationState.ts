// What the Ducktrace view shows: plain data, posted to the webview whole on every change, so the
// view is a pure function of it and a test can assert on it. sessionReducer.ts builds it from the
// pipeline's events; the webview (src/webview) renders it. This file imports nothing that needs
// Node, so the webview's type check (DOM, no Node) can read it.

import type { TraceTable } from '../trace/traceView';

/** Buttons of the view that run a command of the editor. */
export const viewActions = ['Set API Key', 'Choose Model', 'Open Settings', 'Manage Workspace Trust'] as const;
export type ViewAction = (typeof viewActions)[number];

/** The button for a model error's next action, when the view has one. */
export function viewActionOf(action: string | undefined): ViewAction | undefined {
  return (viewActions as readonly string[]).includes(action ?? '') ? (action as ViewAction) : undefined;
}

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
  readonly verdict?: { readonly correct: boolean; readonly why: string };
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

export interface ViewTest {
  readonly name: string;
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
  /** Not a test: an error diagnostic of the editor (no test reaches the function). */
  readonly fromDiagnostic?: boolean;
}

/** One iteration of Iterate Until Green: failure -> verdicts -> patch -> result. */
export interface TimelineEntry {
  readonly iteration: number;
  readonly test: string;
  readonly result: string;
  readonly detail: string;
  /** The model's explanation (markdown). */
  readonly summary?: string;
  /** Unified diff of what the iteration kept (empty when nothing changed). */
  readonly diff?: string;
}

export interface LoopSummaryView {
  readonly stop: string;
  readonly message: string;
  readonly fixed: readonly string[];
  readonly stillFailing: readonly { readonly name: string; readonly why: string }[];
  readonly changedFiles: readonly string[];
  /** Set once "Revert All Ducktrace Changes" put the files back: the changes no longer apply. */
  readonly reverted?: readonly string[];
  /** The test run after the loop's last change, in words (the summary is made from it). */
  readonly finalRun?: string;
}

export interface LoopView {
  readonly mode: 'review' | 'auto';
  /** Oldest first (the view shows the newest first). */
  readonly timeline: readonly TimelineEntry[];
  /** What the loop is doing now, in words (while it runs). */
  readonly status?: string;
  /** Set when the loop has stopped. */
  readonly summary?: LoopSummaryView;
}

/** After a fix was accepted: the rerun of the failing test, and what it said. */
export interface RerunView {
  readonly state: 'running' | 'passed' | 'failed' | 'not-run';
  readonly message?: string;
}

export interface ExplanationState {
  readonly sessionId: number;
  readonly phase: SessionPhase;
  /** What is happening now, in words, e.g. "Asking gpt-4o-mini…". */
  readonly status: string;
  readonly test?: ViewTest;
  readonly target?: { readonly name: string; readonly file: string; readonly startLine: number; readonly endLine: number; readonly language: string };
  readonly blocks: readonly ViewBlock[];
  /** Markdown from the model: rendered safely by the view (text nodes only). */
  readonly explanation: string;
  /** The model's claim that the test itself is wrong; shown, never acted on. */
  readonly testClaim?: string;
  readonly hunks: readonly ViewHunk[];
  readonly error?: { readonly message: string; readonly action?: ViewAction };
  /** True once a prompt was sent and can be shown exactly. */
  readonly hasPrompt: boolean;
  readonly model?: string;
  /** No runtime values went into the prompt (no test reaches the function, or tracing failed): why. */
  readonly noValues?: string;
  /** The rerun after the fix was settled. */
  readonly rerun?: RerunView;
  /** Iterate Until Green's timeline, kept across the sessions of one loop. */
  readonly loop?: LoopView;
  /** "Trace Failing Test": the chosen call's steps as a table. */
  readonly traceTable?: TraceTable;
  /** Earlier sessions, newest first, shown collapsed below the present one. */
  readonly earlier?: readonly EarlierSession[];
  /** A notice that holds whatever the session (e.g. an untrusted workspace). */
  readonly notice?: { readonly message: string; readonly action?: ViewAction };
}

/** A finished session kept below the present one, in a line and its details. */
export interface EarlierSession {
  readonly id: number;
  readonly title: string;
  readonly outcome: string;
  readonly loop?: LoopView;
}

export function emptyState(sessionId = 0): ExplanationState {
  return { sessionId, phase: 'idle', status: '', blocks: [], explanation: '', hunks: [], hasPrompt: false };
}
