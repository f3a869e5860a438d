// The lifecycle every Ducktrace overlay shares (Show Blocks, Show Suspicious Blocks, the verdicts
// of Explain and Fix, Trace Failing Test's values): decorations that describe ONE document's text
// as it was when they were made. They are painted on every visible editor of that document,
// repainted when editors open or move, and cleared by any edit of the document (they would lie
// about the new text) or by clear().
import * as vscode from 'vscode';
import { Disposable } from '../disposable';

export class DocumentDecorations<K extends string> extends Disposable {
  private readonly types: ReadonlyMap<K, vscode.TextEditorDecorationType>;
  private shown: { uri: string; byType: Partial<Record<K, readonly vscode.DecorationOptions[]>> } | undefined;
  private readonly cleared = this.register(new vscode.EventEmitter<void>());
  /** Fires when an edit (or clear()) took the decorations away. */
  readonly onDidClear = this.cleared.event;

  constructor(styles: Readonly<Record<K, vscode.DecorationRenderOptions>>) {
    super();
    this.types = new Map((Object.entries(styles) as [K, vscode.DecorationRenderOptions][]).map(([k, style]) => [k, this.register(vscode.window.createTextEditorDecorationType(style))]));
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.shown?.uri === e.document.uri.toString() && e.contentChanges.length) this.clear();
      }),
    );
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.paint()));
  }

  /** The document decorated now. */
  get uri(): vscode.Uri | undefined {
    return this.shown && vscode.Uri.parse(this.shown.uri);
  }

  /** Replaces what is shown: these decorations, on this document only. */
  show(uri: vscode.Uri, byType: Partial<Record<K, readonly vscode.DecorationOptions[]>>): void {
    this.shown = { uri: uri.toString(), byType };
    this.paint();
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = undefined;
    this.paint();
    this.cleared.fire();
  }

  private paint(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = this.shown && editor.document.uri.toString() === this.shown.uri ? this.shown.byType : undefined;
      for (const [key, type] of this.types) editor.setDecorations(type, mine?.[key] ?? []);
    }
  }
}
