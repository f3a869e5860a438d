// The Ducktrace view's explanation panel: a webview with a strict content security policy (no
// remote loads, only its own nonce'd script and stylesheet) that renders an ExplanationState. The
// page script is src/webview/explanationView.ts, built to dist/explanationView.js.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { emptyState, type ExplanationState } from '../../core/view/explanationState';
import { isViewMessage, type HostMessage, type ViewMessage } from '../../core/view/viewProtocol';
import { Disposable } from '../disposable';

export class ExplanationView extends Disposable implements vscode.WebviewViewProvider {
  static readonly viewId = 'ducktrace.explanation';
  private view: vscode.WebviewView | undefined;
  private state: ExplanationState = emptyState();
  private readonly messages = this.register(new vscode.EventEmitter<ViewMessage>());
  /** Messages from the view's buttons (checked: anything else the page sends is dropped). */
  readonly onMessage = this.messages.event;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
    this.register(vscode.window.registerWebviewViewProvider(ExplanationView.viewId, this, { webviewOptions: { retainContextWhenHidden: false } }));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media, dist] };
    const nonce = randomBytes(16).toString('base64');
    const script = view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'explanationView.js'));
    const style = view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'explanationView.css'));
    const csp = `default-src 'none'; style-src ${view.webview.cspSource}; img-src ${view.webview.cspSource}; script-src 'nonce-${nonce}';`;
    view.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}"><title>Ducktrace</title></head>
<body><main id="root" aria-label="Ducktrace explanation"></main>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
    const sub = view.webview.onDidReceiveMessage((m: unknown) => {
      if (!isViewMessage(m)) return;
      if (m.type === 'ready') this.post();
      else this.messages.fire(m);
    });
    view.onDidDispose(() => {
      sub.dispose();
      if (this.view === view) this.view = undefined;
    });
  }

  /** The state the view shows now (for tests). */
  get current(): ExplanationState {
    return this.state;
  }

  /** Replaces the state and repaints (coalesced, so a fast stream does not flood the view). */
  show(state: ExplanationState): void {
    this.state = state;
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.post();
    }, 50);
  }

  /**
   * Shows the view without taking the focus from the editor (a blurred editor, for one, skips
   * its CodeLens refreshes). The first time, the view has to be opened: the focus goes back to
   * the editor that had it.
   */
  async reveal(): Promise<void> {
    if (this.view) {
      this.view.show(true);
      return;
    }
    const editor = vscode.window.activeTextEditor;
    await vscode.commands.executeCommand(`${ExplanationView.viewId}.focus`);
    if (editor) await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false, preview: false });
  }

  private post(): void {
    const message: HostMessage = { type: 'state', state: this.state };
    void this.view?.webview.postMessage(message);
  }

  override dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    super.dispose();
  }
}
