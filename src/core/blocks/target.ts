// What the target finder answers: the function to debug, the other candidates, and how sure it is.

import type { StackFrame } from '../failures/stackFrames';
import type { SourceLanguage } from './languages';
import type { SourceRange } from './positions';

/**
 * What is known about a failure: a `TestFailure` satisfies it. A bare file and line (a
 * diagnostic, a line the user picked) is a one-frame stack.
 */
export interface FailureLocation {
  /** Innermost first, as `parseStackFrames` returns them. */
  readonly stack?: readonly StackFrame[];
  /** The test's file, always treated as test code. */
  readonly file?: string;
  /** A line in the test: the failing one at best, its definition will do (0 when unknown). */
  readonly line?: number;
}

export interface Target {
  readonly file: string;
  readonly language: SourceLanguage;
  /** Qualified: `Cart.total`, `outer.inner`. */
  readonly functionName: string;
  readonly range: SourceRange;
}

export interface TargetCandidate extends Target {
  /**
   * stack-frame: a stack frame ran inside it; called-by-test: the failing test calls it;
   * reached-from-test: a function the test calls calls it (or hands it on), `via` says how;
   * ran-in-test: a traced run saw it run during the test, though nothing static led to it.
   */
  readonly reason: 'stack-frame' | 'called-by-test' | 'reached-from-test' | 'ran-in-test';
  /** The frame's line in `file`, or the line of the call in the test file. */
  readonly evidenceLine: number;
  /** How the test reaches it: `Parser.parse → camelcase`; with `(by name)` when only the method's name matched. */
  readonly via?: string;
}

/**
 * high: a stack frame names it. medium: the failing statement (or the nearest one that calls
 * into the workspace) calls exactly one function, or a traced run agrees. low: several are as
 * likely, or it was only reached by following calls: ask (the editor's "choose the function").
 */
export type TargetConfidence = 'high' | 'medium' | 'low';

export interface TargetSearch {
  /** Most likely first; empty when nothing in the workspace fits. */
  readonly candidates: readonly TargetCandidate[];
  readonly confidence: TargetConfidence;
}
