// A failure as VS Code's Testing view shows it: the message (a diff of expected and actual when
// both are known), where it failed (in the test file first), the stack, and the context value the
// peek's "Explain and Fix" menu item looks for.
import * as vscode from 'vscode';
import type { TestFailure } from '../../core/failures/testFailure';

export const failureMessageContext = 'ducktraceFailure';

export function toTestMessage(failure: TestFailure): vscode.TestMessage {
  const message =
    failure.expected !== undefined && failure.actual !== undefined
      ? vscode.TestMessage.diff(failure.message, failure.expected, failure.actual)
      : new vscode.TestMessage(failure.message);
  const inTest = failure.stack.find((f) => f.file === failure.file);
  const where = inTest ?? failure.stack[0];
  if (where) message.location = new vscode.Location(vscode.Uri.file(where.file), new vscode.Position(Math.max(0, where.line - 1), Math.max(0, (where.column ?? 1) - 1)));
  else if (failure.line) message.location = new vscode.Location(vscode.Uri.file(failure.file), new vscode.Position(failure.line - 1, 0));
  message.stackTrace = failure.stack.map((f) => new vscode.TestMessageStackFrame(f.function ?? '<module>', vscode.Uri.file(f.file), new vscode.Position(Math.max(0, f.line - 1), Math.max(0, (f.column ?? 1) - 1))));
  message.contextValue = failureMessageContext;
  return message;
}
