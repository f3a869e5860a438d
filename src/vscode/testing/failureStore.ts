// The failures Ducktrace knows now, from runs in the Testing view and from the terminal. The
// CodeLens, the Quick Fix and "Explain and fix" read them here.
import * as vscode from 'vscode';
import type { TestCaseResult, TestFailure } from '../../core/failures/testFailure';

export class FailureStore implements vscode.Disposable {
  private readonly failures = new Map<string, TestFailure>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Records the outcome of tests that ran: failures are kept, passes clear earlier failures. */
  update(results: readonly TestCaseResult[]): void {
    for (const r of results) {
      if (r.failure) this.failures.set(r.testId, r.failure);
      else this.failures.delete(r.testId);
    }
    this.changed.fire();
  }

  /** Forgets failures of tests that no longer exist (their file or the test itself is gone). */
  retain(testIds: ReadonlySet<string>): void {
    let changed = false;
    for (const id of [...this.failures.keys()]) {
      if (!testIds.has(id)) {
        this.failures.delete(id);
        changed = true;
      }
    }
    if (changed) this.changed.fire();
  }

  get(testId: string): TestFailure | undefined {
    return this.failures.get(testId);
  }

  all(): TestFailure[] {
    return [...this.failures.values()];
  }

  forFile(file: string): TestFailure[] {
    return this.all().filter((f) => f.file === file);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
