// Draws pending proposals where the code is, without writing into the buffer:
// - lines to be removed: whole-line decorations in the diff editor's "removed" colours, struck
//   through, with a "−" gutter mark (so nothing is carried by colour alone);
// - lines to be added: a read-only comment thread (a zone between the lines, a public API) right
//   under the hunk, showing the proposed code with syntax highlighting;
// - per hunk a CodeLens row: Accept, Reject, Side by Side (or, when stale, Ask Again / Dismiss).
import * as vscode from 'vscode';
import { hunkLines, openHunks, proposedText, type Hunk } from '../../core/patch/proposal';
import { CommandIds } from '../commandIds';
import { Disposable } from '../disposable';
import type { HunkRef, ProposalManager, ReviewedProposal } from './proposalManager';

export const proposedScheme = 'ducktrace-proposed';
const contextKey = 'ducktrace.proposalVisible';

export class InlineDiff extends Disposable implements vscode.CodeLensProvider {
  private readonly removed: vscode.TextEditorDecorationType;
  private readonly staleMark: vscode.TextEditorDecorationType;
  private readonly comments = this.register(vscode.comments.createCommentController('ducktrace.review', 'Ducktrace proposals'));
  private readonly threads = new Map<string, vscode.CommentThread>(); // by hunk id
  private readonly threadHunks = new WeakMap<vscode.CommentThread, HunkRef>();
  private readonly lensesChanged = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly proposedChanged = this.register(new vscode.EventEmitter<vscode.Uri>());

  constructor(
    private readonly manager: ProposalManager,
    extensionUri: vscode.Uri,
  ) {
    super();
    this.removed = this.register(
      vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
        textDecoration: 'line-through',
        overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
        overviewRulerLane: vscode.OverviewRulerLane.Left,
        gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', 'removed-line.svg'),
        gutterIconSize: 'contain',
      }),
    );
    this.staleMark = this.register(
      vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        border: '1px dashed',
        borderColor: new vscode.ThemeColor('editorWarning.foreground'),
        after: { contentText: '  ⚠ edited since Ducktrace proposed a change here', color: new vscode.ThemeColor('editorWarning.foreground') },
      }),
    );
    this.comments.options = { placeHolder: 'Proposed code (read-only)', prompt: 'Proposed code' };
    this.register(vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this));
    this.register(vscode.languages.registerCodeLensProvider({ scheme: 'untitled' }, this));
    this.register(
      vscode.workspace.registerTextDocumentContentProvider(proposedScheme, {
        onDidChange: this.proposedChanged.event,
        provideTextDocumentContent: (uri) => this.proposedContent(uri),
      }),
    );
    this.register(manager.onDidChange((uri) => this.refresh(uri)));
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()));
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()));
    this.register(vscode.window.onDidChangeTextEditorSelection(() => this.updateContext()));
  }

  /** The hunk ref a comment-thread action was invoked on. */
  hunkOfThread(thread: vscode.CommentThread): HunkRef | undefined {
    return this.threadHunks.get(thread);
  }

  /** The virtual document with every pending hunk applied, for the side-by-side diff. */
  proposedUri(uri: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: proposedScheme, path: uri.path, query: uri.toString() });
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const reviewed = this.manager.get(document.uri);
    if (!reviewed) return [];
    const text = document.getText();
    const hunks = openHunks(reviewed.proposal);
    const lenses: vscode.CodeLens[] = [];
    hunks.forEach((hunk, i) => {
      const { startLine, oldLineCount, newLineCount } = hunkLines(text, hunk);
      const at = new vscode.Range(startLine, 0, startLine, 0);
      const ref: HunkRef = { uri: document.uri, hunkId: hunk.id };
      const label = `Ducktrace ${i + 1}/${hunks.length}: ${describe(oldLineCount, newLineCount)}`;
      if (hunk.state === 'stale') {
        lenses.push(new vscode.CodeLens(at, { title: `$(warning) ${label}, stale: edited since proposed`, command: '' }));
        if (reviewed.options.askAgain) lenses.push(new vscode.CodeLens(at, { title: '$(refresh) Ask Again', command: CommandIds.askAgain, arguments: [ref] }));
        lenses.push(new vscode.CodeLens(at, { title: '$(close) Dismiss', command: CommandIds.rejectHunk, arguments: [ref] }));
        return;
      }
      lenses.push(new vscode.CodeLens(at, { title: `$(check) Accept`, tooltip: `Accept this change (${label})`, command: CommandIds.acceptHunk, arguments: [ref] }));
      lenses.push(new vscode.CodeLens(at, { title: `$(close) Reject`, tooltip: `Reject this change (${label})`, command: CommandIds.rejectHunk, arguments: [ref] }));
      lenses.push(new vscode.CodeLens(at, { title: label, command: CommandIds.openSideBySide, arguments: [document.uri], tooltip: 'Open the whole proposal as a side-by-side diff' }));
    });
    return lenses;
  }

  private refresh(uri: vscode.Uri | undefined): void {
    this.renderAll();
    this.lensesChanged.fire();
    if (uri) this.proposedChanged.fire(this.proposedUri(uri));
    this.updateContext();
  }

  private renderAll(): void {
    const live = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      const reviewed = this.manager.get(editor.document.uri);
      this.renderDecorations(editor, reviewed);
    }
    for (const reviewed of this.manager.all()) {
      for (const hunk of openHunks(reviewed.proposal)) {
        live.add(hunk.id);
        this.renderThread(reviewed, hunk);
      }
    }
    for (const [id, thread] of this.threads) {
      if (!live.has(id)) {
        thread.dispose();
        this.threads.delete(id);
      }
    }
  }

  private renderDecorations(editor: vscode.TextEditor, reviewed: ReviewedProposal | undefined): void {
    const removed: vscode.DecorationOptions[] = [];
    const stale: vscode.DecorationOptions[] = [];
    if (reviewed) {
      const doc = editor.document;
      for (const hunk of openHunks(reviewed.proposal)) {
        const range = lineRange(doc, hunk);
        if (hunk.state === 'stale') stale.push({ range: new vscode.Range(range.start, range.start), hoverMessage: 'Ducktrace made this proposal for code that has been edited since. Ask again, or dismiss it.' });
        else if (hunk.end > hunk.start) removed.push({ range, hoverMessage: new vscode.MarkdownString('**Ducktrace proposes removing** these lines (see the proposed code below).') });
      }
    }
    editor.setDecorations(this.removed, removed);
    editor.setDecorations(this.staleMark, stale);
  }

  private renderThread(reviewed: ReviewedProposal, hunk: Hunk): void {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === reviewed.uri.toString());
    if (!doc) return; // shown again when the file is opened
    const range = lineRange(doc, hunk);
    // The zone shows under its anchor line: under the replaced lines, or above an insertion point.
    const anchorLine = hunk.end > hunk.start ? range.end.line : Math.max(0, range.start.line - 1);
    const anchor = new vscode.Range(anchorLine, 0, anchorLine, 0);
    const languageId = doc.languageId;
    const hunks = openHunks(reviewed.proposal);
    const index = hunks.indexOf(hunk) + 1;
    const added = hunk.newText.replace(/\r?\n$/, '');
    const body = new vscode.MarkdownString(
      hunk.state === 'stale'
        ? `⚠ **Stale**: this code was edited after the proposal was made, so it will not be applied blindly.\n\n`
        : hunk.newText === ''
          ? '_Removes the struck-through lines above; adds nothing._'
          : '',
    );
    if (hunk.newText !== '') body.appendCodeblock(added, languageId);
    const label = `${hunk.state === 'stale' ? 'Stale: ' : ''}Proposed ${index}/${hunks.length}: ${describe(hunkLines(doc.getText(), hunk).oldLineCount, hunkLines(doc.getText(), hunk).newLineCount)}`;
    const comment: vscode.Comment = { body, mode: vscode.CommentMode.Preview, author: { name: 'Ducktrace' }, contextValue: 'ducktraceHunk' };
    let thread = this.threads.get(hunk.id);
    if (!thread || thread.uri.toString() !== doc.uri.toString()) {
      thread?.dispose();
      thread = this.comments.createCommentThread(doc.uri, anchor, [comment]);
      thread.canReply = false;
      thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
      this.threads.set(hunk.id, thread);
      this.threadHunks.set(thread, { uri: reviewed.uri, hunkId: hunk.id });
    } else {
      thread.range = anchor;
      thread.comments = [comment];
    }
    thread.label = label;
    thread.contextValue = hunk.state === 'stale' ? 'ducktraceHunkStale' : 'ducktraceHunkPending';
  }

  private updateContext(): void {
    const editor = vscode.window.activeTextEditor;
    const visible = !!editor && !!this.manager.get(editor.document.uri);
    void vscode.commands.executeCommand('setContext', contextKey, visible);
  }

  private proposedContent(uri: vscode.Uri): string {
    const original = vscode.Uri.parse(uri.query);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === original.toString());
    const reviewed = this.manager.get(original);
    if (!doc) return '';
    return reviewed ? proposedText(doc.getText(), reviewed.proposal) : doc.getText();
  }

  override dispose(): void {
    for (const thread of this.threads.values()) thread.dispose();
    this.threads.clear();
    void vscode.commands.executeCommand('setContext', contextKey, false);
    super.dispose();
  }
}

/** The whole lines a hunk covers (for an insertion: the line it is inserted before). */
export function lineRange(doc: vscode.TextDocument, hunk: Hunk): vscode.Range {
  const start = doc.positionAt(hunk.start);
  if (hunk.end <= hunk.start) return new vscode.Range(start.line, 0, start.line, 0);
  const end = doc.positionAt(hunk.end);
  // Whole-line hunks end at the start of the next line; the last covered line is the one before.
  const lastLine = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return new vscode.Range(start.line, 0, lastLine, doc.lineAt(lastLine).text.length);
}

function describe(oldLines: number, newLines: number): string {
  const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;
  if (oldLines === 0) return `insert ${lines(newLines)}`;
  if (newLines === 0) return `remove ${lines(oldLines)}`;
  return `replace ${lines(oldLines)} with ${lines(newLines)}`;
}
