import type * as vscode from 'vscode';

/**
 * Owns child disposables and disposes them in reverse order of registration. A child that throws
 * does not keep the others alive: every child is disposed, then the error is rethrown (several
 * errors as one AggregateError).
 */
export abstract class Disposable implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  /** Whether dispose() has been called (late callbacks check it before touching the editor). */
  protected get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.disposables.splice(0).reverse());
  }
}

/** Disposes each in order; one that throws does not stop the rest. Rethrows what was thrown. */
export function disposeAll(items: readonly vscode.Disposable[]): void {
  const errors: unknown[] = [];
  for (const d of items) {
    try {
      d.dispose();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables threw while being disposed`);
}
