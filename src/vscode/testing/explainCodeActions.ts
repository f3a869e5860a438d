// A Quick Fix "Explain and fix with Ducktrace" on error diagnostics in Python and JS/TS files.
import * as vscode from 'vscode';
import { CommandIds } from '../commandIds';
import type { DiagnosticArgument } from './explainAndFix';

export const explainActionTitle = 'Explain and fix with Ducktrace';

export class ExplainCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const errors = context.diagnostics.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    return errors.slice(0, 1).map((d) => {
      const action = new vscode.CodeAction(explainActionTitle, vscode.CodeActionKind.QuickFix);
      const arg: DiagnosticArgument = { uri: document.uri.toString(), line: d.range.start.line + 1, message: d.message };
      action.command = { command: CommandIds.explainAndFix, title: explainActionTitle, arguments: [arg] };
      action.diagnostics = [d];
      return action;
    });
  }
}
