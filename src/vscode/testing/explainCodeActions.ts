// A Quick Fix "Explain and fix with Ducktrace" on an error diagnostic, offered only where Ducktrace
// can do something with it: an error inside a function of a workspace source file (Python,
// JavaScript, TypeScript; not a test file). A failing test that reaches that function is explained
// as usual; with none, the function is explained from its blocks and the error alone.
import * as vscode from 'vscode';
import { findFunctionAtLine, listFunctions } from '../../core/blocks/functionFinder';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { isConventionalTestFile } from '../../core/blocks/targetFinder';
import { sourceLanguageOf } from '../blocks/blocksView';
import { CommandIds } from '../commandIds';
import type { DiagnosticArgument } from './explainAndFix';

export const explainActionTitle = 'Explain and fix with Ducktrace';

export class ExplainCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly parser: SourceParser) {}

  async provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext, token: vscode.CancellationToken): Promise<vscode.CodeAction[]> {
    const error = context.diagnostics.find((d) => d.severity === vscode.DiagnosticSeverity.Error);
    if (!error || document.uri.scheme !== 'file') return [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const language = sourceLanguageOf(document);
    if (!folder || !language) return [];
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    if (isConventionalTestFile(document.uri.fsPath, roots) || /[\\/]node_modules[\\/]/.test(document.uri.fsPath)) return [];
    const line = error.range.start.line + 1;
    const text = document.getText();
    const tree = await this.parser.parse(text, language);
    let fn: { name: string; startLine: number; endLine: number } | undefined;
    try {
      const found = findFunctionAtLine(listFunctions(tree.rootNode, language, new LineIndex(text)), line);
      if (found) fn = { name: found.qualifiedName, startLine: found.range.start.line, endLine: found.range.end.line };
    } finally {
      tree.delete();
    }
    if (!fn || token.isCancellationRequested) return [];
    const action = new vscode.CodeAction(explainActionTitle, vscode.CodeActionKind.QuickFix);
    const arg: DiagnosticArgument = { uri: document.uri.toString(), line, message: error.message, ...(error.source ? { source: error.source } : {}), function: fn };
    action.command = { command: CommandIds.explainAndFix, title: explainActionTitle, arguments: [arg] };
    action.diagnostics = [error];
    return [action];
  }
}
