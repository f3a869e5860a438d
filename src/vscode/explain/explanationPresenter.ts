// The one place that holds what the Ducktrace view shows. Explain and Fix, Iterate Until Green and
// Trace Failing Test publish to it (session events, loop events, a trace); it keeps the newest
// session on top and moves a finished one (or a finished loop) below as one line, and posts the
// whole state to the webview. The state itself is made by the pure reducers of src/core/view.
import { emptyState, type EarlierSession, type ExplanationState, type LoopView, type ViewAction, type ViewTest } from '../../core/view/explanationState';
import { earlierLimit, earlierSession, reduceLoop, reduceSession, type LoopEvent, type SessionEvent } from '../../core/view/sessionReducer';
import type { ExplanationView } from './explanationView';

export class ExplanationPresenter {
  private session: ExplanationState = emptyState();
  private loop: LoopView | undefined;
  private loopRunning = false;
  private earlier: EarlierSession[] = [];
  private notice: { message: string; action?: ViewAction } | undefined;

  constructor(private readonly view: ExplanationView) {}

  /** The state as the view shows it. */
  get current(): ExplanationState {
    return {
      ...this.session,
      ...(this.loop ? { loop: this.loop } : {}),
      ...(this.earlier.length ? { earlier: this.earlier } : {}),
      ...(this.notice ? { notice: this.notice } : {}),
    };
  }

  /** The present session alone (its id tells sessions apart). */
  get sessionState(): ExplanationState {
    return this.session;
  }

  /** A new session. Outside a running loop, the finished session (or loop) moves below. */
  start(test?: ViewTest): ExplanationState {
    if (!this.loopRunning) this.retire();
    return this.dispatch({ type: 'start', test });
  }

  dispatch(event: SessionEvent): ExplanationState {
    this.session = reduceSession(this.session, event);
    this.publish();
    return this.session;
  }

  /** A session made whole elsewhere (a trace): a new one, or the same one with another call shown. */
  replace(state: ExplanationState, sameSession: boolean): void {
    if (!sameSession && !this.loopRunning) this.retire();
    this.session = { ...state, sessionId: sameSession ? this.session.sessionId : this.session.sessionId + 1 };
    this.publish();
  }

  /** Clears the present session (a trace that was cleared) without a trace of it below. */
  clearSession(): void {
    this.session = emptyState(this.session.sessionId + 1);
    this.publish();
  }

  loopEvent(event: LoopEvent): void {
    if (event.type === 'loop-start') {
      this.retire();
      this.loopRunning = true;
    }
    if (event.type === 'loop-summary') this.loopRunning = false;
    // Revert All while the loop is still the present: its last session's change is undone too.
    if (event.type === 'loop-reverted' && this.loop?.summary && !this.loop.summary.reverted && this.session.test) this.session = reduceSession(this.session, { type: 'reverted' });
    this.loop = reduceLoop(this.loop, event);
    // Revert All after a newer session started: the loop is below now; mark it there.
    if (event.type === 'loop-reverted') this.earlier = this.earlier.map((e) => (e.loop?.summary && !e.loop.summary.reverted ? { ...e, loop: reduceLoop(e.loop, event), outcome: `${e.outcome} Reverted since.` } : e));
    this.publish();
  }

  setNotice(notice: { message: string; action?: ViewAction } | undefined): void {
    this.notice = notice;
    this.publish();
  }

  reveal(): Promise<void> {
    return this.view.reveal();
  }

  private retire(): void {
    const line = earlierSession(this.session, this.loop);
    if (line) this.earlier = [line, ...this.earlier].slice(0, earlierLimit);
    this.loop = undefined;
  }

  private publish(): void {
    this.view.show(this.current);
  }
}
