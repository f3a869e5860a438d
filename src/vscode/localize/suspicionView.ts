// "Ducktrace: Show Suspicious Blocks": ranks the blocks of the function at the cursor (Python,
// JavaScript, TypeScript) from the tests that reach it (which blocks failing and passing tests
// ran) and marks them as a heat map in the gutter and the overview ruler, with the score, rank and
// reason in the hover. No model needed.
import * as vscode from 'vscode';
import type { SuspicionSummary, SuspiciousBlock } from '../../core/localize/suspicion';
import { localize } from '../../host/localize/localize';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { DocumentDecorations } from '../decorations/documentDecorations';
import { Disposable } from '../disposable';
import { pythonInterpreter } from '../testing/pythonInterpreter';
import { mutantSeconds } from '../settings';

const rankedLanguages = new Set(['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact']);

const levels = [
  { min: 0.75, color: 'ducktrace.suspicionHigh', icon: 'heat-high.svg', label: 'high' },
  { min: 0.4, color: 'ducktrace.suspicionMedium', icon: 'heat-medium.svg', label: 'medium' },
  { min: 0.000001, color: 'ducktrace.suspicionLow', icon: 'heat-low.svg', label: 'low' },
] as const;

export class SuspicionView extends Disposable {
  private readonly decorations: DocumentDecorations<(typeof levels)[number]['label']>;
  private shown: { summary: SuspicionSummary; functionName: string } | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly parser: SourceParser,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const style = (l: (typeof levels)[number]): vscode.DecorationRenderOptions => ({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor(l.color),
      overviewRulerColor: new vscode.ThemeColor(l.color),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', l.icon),
      gutterIconSize: 'contain',
    });
    this.decorations = this.register(new DocumentDecorations({ high: style(levels[0]), medium: style(levels[1]), low: style(levels[2]) }));
    this.register(this.decorations.onDidClear(() => (this.shown = undefined)));
  }

  get current(): SuspicionSummary | undefined {
    return this.shown?.summary;
  }

  async showAtCursor(editor = vscode.window.activeTextEditor): Promise<SuspicionSummary | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Ducktrace runs no tests in an untrusted workspace.');
      return undefined;
    }
    if (!editor || !rankedLanguages.has(editor.document.languageId)) {
      void vscode.window.showInformationMessage('Ducktrace ranks suspicious blocks of Python, JavaScript and TypeScript functions: put the cursor in one.');
      return undefined;
    }
    const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!folder) {
      void vscode.window.showInformationMessage('The file is not in a workspace folder, so Ducktrace cannot find its tests.');
      return undefined;
    }
    if (editor.document.isDirty) await editor.document.save();
    const line = editor.selection.active.line + 1;
    try {
      const seconds = mutantSeconds(folder.uri);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Ducktrace: running the tests that reach this function…', cancellable: true },
        async (_progress, token) => {
          const abort = new AbortController();
          const cancelled = token.onCancellationRequested(() => abort.abort());
          try {
            return await localize({
              cwd: folder.uri.fsPath,
              target: { file: editor.document.uri.fsPath, function: String(line) },
              ...(editor.document.languageId === 'python' ? { python: await pythonInterpreter(folder.uri) } : {}),
              parser: this.parser,
              signal: abort.signal,
              ...(seconds ? { mutantBudget: { ms: seconds * 1000 } } : { mutants: false }),
            });
          } finally {
            cancelled.dispose();
          }
        },
      );
      const { suspicion } = result;
      this.shown = { summary: suspicion, functionName: result.target.blocks.function.name };
      this.paint(editor.document.uri, suspicion);
      const top = suspicion.blocks[0];
      const msg =
        suspicion.failingTests === 0
          ? `Ducktrace: no failing test reaches ${result.target.blocks.function.name} (${suspicion.passingTests} passing), so no block is suspicious.`
          : `Ducktrace: ${result.target.blocks.function.name} — most suspicious ${top?.id} (${top && top.range.start.line !== top.range.end.line ? `lines ${top.range.start.line}–${top.range.end.line}` : `line ${top?.range.start.line}`}), from ${suspicion.failingTests} failing and ${suspicion.passingTests} passing test(s).`;
      this.log.info(msg);
      vscode.window.setStatusBarMessage(msg, 8000);
      return suspicion;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn(`Show Suspicious Blocks: ${message}`);
      void vscode.window.showWarningMessage(`Ducktrace: ${message}`);
      return undefined;
    }
  }

  clear(): void {
    this.shown = undefined;
    this.decorations.clear();
  }

  private paint(uri: vscode.Uri, summary: SuspicionSummary): void {
    const buckets: Record<(typeof levels)[number]['label'], vscode.DecorationOptions[]> = { high: [], medium: [], low: [] };
    for (const block of summary.blocks) {
      const level = levels.find((l) => block.heat >= l.min);
      if (level) buckets[level.label].push(decoration(block, summary, level.label));
    }
    this.decorations.show(uri, buckets);
  }
}

function decoration(block: SuspiciousBlock, summary: SuspicionSummary, level: string): vscode.DecorationOptions {
  const hover = new vscode.MarkdownString(`**Ducktrace · block ${block.id}: suspicion ${block.score.toFixed(2)}** (rank ${block.rank} of ${summary.blocks.length}, ${level})\n\n`);
  hover.appendText(block.reason);
  return {
    range: new vscode.Range(block.range.start.line - 1, 0, block.range.end.line - 1, 0),
    hoverMessage: hover,
    // Rank and score in text too: the heat is not carried by colour alone.
    renderOptions: block.rank <= 3 ? { after: { contentText: `  #${block.rank} suspicion ${block.score.toFixed(2)}`, color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' } } : undefined,
  };
}
