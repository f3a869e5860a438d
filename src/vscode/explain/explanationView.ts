// The Ducktrace view's explanation panel: a webview with a strict content security policy (no
// remote loads, only its own nonce'd script and stylesheet) that renders an ExplanationState.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { emptyState, type ExplanationState } from '../../core/explanationState';
import { Disposable } from '../disposable';

export type ViewMessage =
  | { type: 'ready' | 'cancel' | 'retry' | 'showPrompt' | 'revertAll' | 'explainTraced' }
  | { type: 'accept' | 'reject'; hunkId: string }
  | { type: 'open'; file: string; line: number }
  | { type: 'action'; action: string };

export class ExplanationView extends Disposable implements vscode.WebviewViewProvider {
  static readonly viewId = 'ducktrace.explanation';
  private view: vscode.WebviewView | undefined;
  private state: ExplanationState = emptyState();
  private readonly messages = this.register(new vscode.EventEmitter<ViewMessage>());
  /** Messages from the view's buttons. */
  readonly onMessage = this.messages.event;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
    this.register(vscode.window.registerWebviewViewProvider(ExplanationView.viewId, this, { webviewOptions: { retainContextWhenHidden: false } }));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    const nonce = randomBytes(16).toString('base64');
    const script = view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'explanationView.js'));
    const style = view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'explanationView.css'));
    const csp = `default-src 'none'; style-src ${view.webview.cspSource}; img-src ${view.webview.cspSource}; script-src 'nonce-${nonce}';`;
    view.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}"><title>Ducktrace</title></head>
<body><main id="root" aria-label="Ducktrace explanation"></main>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
    view.webview.onDidReceiveMessage((m: ViewMessage) => {
      if (m?.type === 'ready') this.post();
      else if (m && typeof m.type === 'string') this.messages.fire(m);
    });
    view.onDidDispose(() => (this.view = undefined));
  }

  /** The state the view shows now (for tests and for the pipeline to update). */
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

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${ExplanationView.viewId}.focus`);
  }

  private post(): void {
    void this.view?.webview.postMessage({ type: 'state', state: this.state });
  }

  override dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    super.dispose();
  }
}
