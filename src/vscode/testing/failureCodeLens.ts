// "Explain and fix" above each failing test function, for the failures Ducktrace knows.
import * as vscode from 'vscode';
import { CommandIds } from '../commandIds';
import type { FailureStore } from './failureStore';

export const testFileSelector: vscode.DocumentSelector = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'javascript' },
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', language: 'javascriptreact' },
  { scheme: 'file', language: 'typescriptreact' },
];

export class FailureCodeLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly store: FailureStore) {
    this.onDidChangeCodeLenses = store.onDidChange;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return this.store
      .forFile(document.uri.fsPath)
      .filter((f) => f.line > 0 && f.line <= document.lineCount)
      .map((f) => {
        const range = document.lineAt(f.line - 1).range;
        return new vscode.CodeLens(range, { title: '$(sparkle) Explain and fix with Ducktrace', tooltip: f.message.split('\n')[0], command: CommandIds.explainAndFix, arguments: [f.testId] });
      });
  }
}
