// Keeps the pending proposals of every file and carries out the user's decisions on them.
// Nothing is written to the buffer until a hunk is accepted, so a pending proposal never makes a
// file dirty, never pollutes the undo stack and never feeds placeholder lines to linters.
import * as vscode from 'vscode';
import {
  applyDocumentChanges,
  checkHunk,
  createProposal,
  isSettled,
  markSettled,
  openHunks,
  revalidate,
  type Hunk,
  type Proposal,
} from '../../core/patch/proposal';
import { Disposable } from '../disposable';
import { reviewSettings } from '../settings';

export interface ReviewOptions {
  /** Shown with the proposal, e.g. the failing test it fixes. */
  readonly title?: string;
  /** Offered on stale hunks: asks the model again for this file. Absent: "Ask again" is not offered. */
  readonly askAgain?: () => Promise<void> | void;
  /** Runs after the last hunk is settled, once the file is saved (when the setting asks for it). */
  readonly afterSettled?: (proposal: ReviewedProposal) => Promise<void> | void;
}

export interface ReviewedProposal {
  readonly uri: vscode.Uri;
  readonly proposal: Proposal;
  readonly options: ReviewOptions;
  /** Whether any hunk was accepted (the file changed). */
  acceptedAny: boolean;
}

export interface HunkRef {
  readonly uri: vscode.Uri;
  readonly hunkId: string;
}

export class ProposalManager extends Disposable {
  private readonly byUri = new Map<string, ReviewedProposal>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri | undefined>());
  /** Fires with the file whose proposal changed (undefined: several). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)));
    this.register(vscode.workspace.onDidOpenTextDocument((doc) => this.onDocumentOpened(doc)));
    this.register(vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((f) => this.cancelUnder(f, 'was deleted'))));
    this.register(vscode.workspace.onDidRenameFiles((e) => e.files.forEach((f) => this.cancelUnder(f.oldUri, `was renamed to ${vscode.workspace.asRelativePath(f.newUri)}`))));
    // Deletions made outside VS Code (a terminal, git) reach us only through a watcher.
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*', true, true, false));
    this.register(watcher.onDidDelete((uri) => this.cancelUnder(uri, 'was deleted')));
  }

  /**
   * Shows a proposal that turns the document's current text into `newText`. Replaces an earlier
   * pending proposal for the same file. Returns undefined (and says so) when nothing would change.
   */
  async propose(uri: vscode.Uri, newText: string, options: ReviewOptions = {}): Promise<ReviewedProposal | undefined> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const proposal = createProposal(uri.toString(), doc.version, doc.getText(), newText, { eol: doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n' });
    if (proposal.hunks.length === 0) {
      void vscode.window.showInformationMessage(`Ducktrace: the proposed change to ${vscode.workspace.asRelativePath(uri)} is identical to the file; nothing to review.`);
      return undefined;
    }
    const reviewed: ReviewedProposal = { uri, proposal, options, acceptedAny: false };
    this.byUri.set(uri.toString(), reviewed);
    this.log.info(`Proposal ${proposal.id} for ${vscode.workspace.asRelativePath(uri)}: ${proposal.hunks.length} hunk(s)${options.title ? ` (${options.title})` : ''}`);
    this.changed.fire(uri);
    return reviewed;
  }

  get(uri: vscode.Uri): ReviewedProposal | undefined {
    return this.byUri.get(uri.toString());
  }

  all(): ReviewedProposal[] {
    return [...this.byUri.values()];
  }

  hunk(ref: HunkRef): Hunk | undefined {
    return this.get(ref.uri)?.proposal.hunks.find((h) => h.id === ref.hunkId);
  }

  /** Applies one hunk as its own edit (one undo step). Returns false, with a message, when it cannot. */
  async accept(ref: HunkRef): Promise<boolean> {
    const reviewed = this.get(ref.uri);
    const hunk = this.hunk(ref);
    if (!reviewed || !hunk) return false;
    const doc = await vscode.workspace.openTextDocument(ref.uri);
    const problem = checkHunk(doc.getText(), hunk);
    if (problem) {
      if (hunk.state === 'pending') hunk.state = 'stale';
      this.changed.fire(ref.uri);
      void vscode.window.showWarningMessage(`Ducktrace did not apply this change: ${problem}.`, ...(reviewed.options.askAgain ? ['Ask Again'] : [])).then((pick) => {
        if (pick === 'Ask Again') void reviewed.options.askAgain?.();
      });
      return false;
    }
    const range = new vscode.Range(doc.positionAt(hunk.start), doc.positionAt(hunk.end));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(ref.uri, range, hunk.newText);
    // Settled before the edit lands, so our own change event does not mark it stale.
    markSettled(reviewed.proposal, hunk.id, 'accepted');
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) {
      hunk.state = 'pending';
      this.changed.fire(ref.uri);
      void vscode.window.showErrorMessage(`Ducktrace could not apply the change to ${vscode.workspace.asRelativePath(ref.uri)}; the file is unchanged.`);
      return false;
    }
    reviewed.acceptedAny = true;
    this.log.info(`Accepted ${hunk.id} in ${vscode.workspace.asRelativePath(ref.uri)}`);
    await this.afterDecision(reviewed);
    return true;
  }

  /** Drops one hunk; the document is not touched. */
  async reject(ref: HunkRef): Promise<void> {
    const reviewed = this.get(ref.uri);
    const hunk = this.hunk(ref);
    if (!reviewed || !hunk || (hunk.state !== 'pending' && hunk.state !== 'stale')) return;
    markSettled(reviewed.proposal, hunk.id, 'rejected');
    this.log.info(`Rejected ${hunk.id} in ${vscode.workspace.asRelativePath(ref.uri)}`);
    await this.afterDecision(reviewed);
  }

  /** Accepts every applicable hunk of the file, bottom-up, each as its own undo step. */
  async acceptAll(uri: vscode.Uri): Promise<void> {
    const reviewed = this.get(uri);
    if (!reviewed) return;
    const pending = openHunks(reviewed.proposal).filter((h) => h.state === 'pending').sort((a, b) => b.start - a.start);
    for (const h of pending) await this.accept({ uri, hunkId: h.id });
    const stale = openHunks(reviewed.proposal).length;
    if (stale) void vscode.window.showWarningMessage(`Ducktrace: ${stale} stale hunk(s) in ${vscode.workspace.asRelativePath(uri)} were not applied; review them or reject them.`);
  }

  async rejectAll(uri: vscode.Uri): Promise<void> {
    const reviewed = this.get(uri);
    if (!reviewed) return;
    for (const h of openHunks(reviewed.proposal)) markSettled(reviewed.proposal, h.id, 'rejected');
    this.log.info(`Rejected all hunks of ${reviewed.proposal.id}`);
    await this.afterDecision(reviewed);
  }

  /** Removes a proposal without touching the file. */
  cancel(uri: vscode.Uri, reason?: string): void {
    const reviewed = this.get(uri);
    if (!reviewed) return;
    this.byUri.delete(uri.toString());
    this.changed.fire(uri);
    if (reason) {
      this.log.info(`Cancelled ${reviewed.proposal.id}: ${reason}`);
      void vscode.window.showWarningMessage(`Ducktrace cancelled its proposal: ${reason}`);
    }
  }

  private async afterDecision(reviewed: ReviewedProposal): Promise<void> {
    if (!isSettled(reviewed.proposal)) {
      this.changed.fire(reviewed.uri);
      return;
    }
    this.byUri.delete(reviewed.uri.toString());
    this.changed.fire(reviewed.uri);
    if (!reviewSettings(reviewed.uri).saveAndRerun || !reviewed.acceptedAny) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === reviewed.uri.toString());
    if (doc?.isDirty && !(await doc.save())) {
      void vscode.window.showWarningMessage(`Ducktrace could not save ${vscode.workspace.asRelativePath(reviewed.uri)}; the accepted changes are in the editor, unsaved.`);
      return;
    }
    await reviewed.options.afterSettled?.(reviewed);
  }

  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    const reviewed = this.get(e.document.uri);
    if (!reviewed || e.contentChanges.length === 0) return;
    const stale = applyDocumentChanges(
      reviewed.proposal,
      e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
    );
    if (stale.length) this.log.info(`Hunk(s) ${stale.join(', ')} went stale: edited inside`);
    this.changed.fire(e.document.uri);
  }

  // A file closed with unsaved edits and reopened from disk may no longer hold the hunks' text.
  private onDocumentOpened(doc: vscode.TextDocument): void {
    const reviewed = this.get(doc.uri);
    if (!reviewed) return;
    const stale = revalidate(reviewed.proposal, doc.getText());
    if (stale.length) this.log.info(`Hunk(s) ${stale.join(', ')} went stale: the reopened file differs`);
    this.changed.fire(doc.uri);
  }

  private cancelUnder(uri: vscode.Uri, what: string): void {
    const prefix = uri.toString();
    for (const key of [...this.byUri.keys()]) {
      if (key === prefix || key.startsWith(prefix + '/')) {
        const reviewed = this.byUri.get(key)!;
        this.cancel(reviewed.uri, `${vscode.workspace.asRelativePath(reviewed.uri)} ${what}.`);
      }
    }
  }
}
