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
import { hunkEdit } from '../../core/patch/hunkEdit';
import { Disposable } from '../disposable';
import { reviewSettings } from '../settings';

export interface ReviewOptions {
  /** Shown with the proposal, e.g. the failing test it fixes. */
  readonly title?: string;
  /** Offered on stale hunks: asks the model again for this file. Absent: "Ask again" is not offered. */
  readonly askAgain?: () => Promise<void> | void;
  /**
   * Save the file once every hunk is settled and one was accepted: always (Iterate Until Green
   * reruns the tests on the file on disk), or as `ducktrace.review.saveAndRerun` says (default).
   */
  readonly save?: 'always' | 'setting';
}

/** How a proposal ended. */
export interface SettledProposal {
  /** Whether any hunk was accepted (the file changed). */
  readonly acceptedAny: boolean;
  /** The file on disk holds the accepted changes (false: not saved, or saving failed). */
  readonly saved: boolean;
  /** Set when the proposal was dropped without the user settling it (file deleted, replaced). */
  readonly cancelled?: string;
}

export interface ReviewedProposal {
  readonly uri: vscode.Uri;
  readonly proposal: Proposal;
  readonly options: ReviewOptions;
  /** Whether any hunk was accepted (the file changed). */
  acceptedAny: boolean;
  /**
   * Resolves once every hunk is settled AND the save that follows has finished (or the proposal
   * was cancelled). Whoever waits on it sees the file on disk as the user left it: the save
   * belongs to the manager alone, so no second save races it.
   */
  readonly settled: Promise<SettledProposal>;
}

export interface HunkRef {
  readonly uri: vscode.Uri;
  readonly hunkId: string;
}

export class ProposalManager extends Disposable {
  private readonly byUri = new Map<string, ReviewedProposal>();
  private readonly resolvers = new WeakMap<ReviewedProposal, (s: SettledProposal) => void>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri | undefined>());
  /** Fires with the file whose proposal changed (undefined: several). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)));
    this.register(vscode.workspace.onDidOpenTextDocument((doc) => this.onDocumentOpened(doc)));
    this.register(vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((f) => this.cancelUnder(f, 'was deleted'))));
    this.register(vscode.workspace.onDidRenameFiles((e) => e.files.forEach((f) => this.cancelUnder(f.oldUri, `was renamed to ${vscode.workspace.asRelativePath(f.newUri)}`))));
    this.register(this.changed.event(() => this.watchProposals()));
  }

  /**
   * Deletions made outside VS Code (a terminal, git) reach us only through file watchers: one per
   * file with a proposal, made with it and dropped with it. No proposal, no watcher.
   */
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();

  private watchProposals(): void {
    const wanted = new Map([...this.byUri.values()].filter((r) => r.uri.scheme === 'file').map((r) => [r.uri.toString(), r.uri]));
    for (const [key, watcher] of this.watchers) {
      if (!wanted.has(key)) {
        watcher.dispose();
        this.watchers.delete(key);
      }
    }
    for (const [key, uri] of wanted) {
      if (this.watchers.has(key)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.split('/').pop()!), true, true, false);
      watcher.onDidDelete((deleted) => this.cancelUnder(deleted, 'was deleted'));
      this.watchers.set(key, watcher);
    }
  }

  /** How many file watchers run now: one per file with a pending proposal. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  override dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
    super.dispose();
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
    let resolve!: (s: SettledProposal) => void;
    const settled = new Promise<SettledProposal>((r) => (resolve = r));
    const reviewed: ReviewedProposal = { uri, proposal, options, acceptedAny: false, settled };
    this.resolvers.set(reviewed, resolve);
    this.cancel(uri, undefined, 'replaced by a newer proposal');
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
    const edit = hunkEdit(doc.getText(), hunk);
    const range = new vscode.Range(doc.positionAt(edit.start), doc.positionAt(edit.end));
    // Settled before the edit lands, so our own change event does not mark it stale.
    markSettled(reviewed.proposal, hunk.id, 'accepted');
    const applied = await replaceAsOneStep(doc, range, edit.text);
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

  /** Removes a proposal without touching the file. `reason` is shown to the user; `why` only settles it. */
  cancel(uri: vscode.Uri, reason?: string, why = reason ?? 'cancelled'): void {
    const reviewed = this.get(uri);
    if (!reviewed) return;
    this.byUri.delete(uri.toString());
    this.resolvers.get(reviewed)?.({ acceptedAny: reviewed.acceptedAny, saved: false, cancelled: why });
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
    const resolve = this.resolvers.get(reviewed);
    const wantSave = reviewed.options.save === 'always' || reviewSettings(reviewed.uri).saveAndRerun;
    if (!reviewed.acceptedAny || !wantSave) {
      resolve?.({ acceptedAny: reviewed.acceptedAny, saved: false });
      return;
    }
    const saved = await saveDocument(reviewed.uri);
    if (!saved) {
      this.log.warn(`Could not save ${reviewed.uri.fsPath} after its proposal was settled.`);
      void vscode.window.showWarningMessage(`Ducktrace could not save ${vscode.workspace.asRelativePath(reviewed.uri)}; the accepted changes are in the editor, unsaved.`);
    }
    resolve?.({ acceptedAny: true, saved });
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

/**
 * Saves the document and resolves once the file on disk holds its text. A save that VS Code turns
 * down while another one is still running is tried again after that one finished.
 */
export async function saveDocument(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc) return true;
  for (let attempt = 0; attempt < 4 && doc.isDirty; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 150 * attempt));
    if (await doc.save()) break;
  }
  if (doc.isDirty) return false;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 200));
    try {
      const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      // A file in another encoding cannot be compared as text: VS Code said it saved it.
      if (onDisk === doc.getText() || onDisk.includes('\uFFFD')) return true;
    } catch {
      // not readable yet
    }
  }
  return false;
}

/**
 * Replaces a range as one undo step. Through the document's editor when one is visible: its edit
 * replaces the range as given, so the hunk's CodeLens (which spans that range) goes with it at
 * once; a workspace edit is applied as a smaller diff, which leaves the CodeLens until the editor
 * next asks for CodeLenses (not while it is unfocused).
 */
async function replaceAsOneStep(doc: vscode.TextDocument, range: vscode.Range, text: string): Promise<boolean> {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  if (editor) {
    const version = doc.version;
    if (await editor.edit((b) => b.replace(range, text), { undoStopBefore: true, undoStopAfter: true })) return true;
    if (doc.version !== version) return false; // something else changed it meanwhile: not blindly again
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, range, text);
  return vscode.workspace.applyEdit(edit);
}
