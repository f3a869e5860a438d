// Draws pending proposals where the code is, without writing into the buffer and without touching
// the workbench's panels:
// - lines to be removed: whole-line decorations in the diff editor's "removed" colours, struck
//   through, with a "−" gutter mark (so nothing is carried by colour alone);
// - the proposed code: written after the lines it replaces (src/core/patch/proposalNotes.ts), on
//   the "inserted" background, and whole in the hover with syntax highlighting. (Comment threads
//   would draw it between the lines, but VS Code opens its Comments panel for every thread that
//   appears, replacing whatever panel the user had open: a proposal is not a review comment.)
// - per hunk a CodeLens row: Accept, Reject, Side by Side (or, when stale, Ask Again / Dismiss).
import * as vscode from 'vscode';
import { hunkLines, openHunks, proposedText, type Hunk } from '../../core/patch/proposal';
import { hunkEdit } from '../../core/patch/hunkEdit';
import { proposalNotes } from '../../core/patch/proposalNotes';
import { CommandIds } from '../commandIds';
import { Disposable } from '../disposable';
import type { HunkRef, ProposalManager, ReviewedProposal } from './proposalManager';

export const proposedScheme = 'ducktrace-proposed';
const contextKey = 'ducktrace.proposalVisible';

export class InlineDiff extends Disposable implements vscode.CodeLensProvider {
  private readonly removed: vscode.TextEditorDecorationType;
  private readonly proposed: vscode.TextEditorDecorationType;
  private readonly staleMark: vscode.TextEditorDecorationType;
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
    this.proposed = this.register(
      vscode.window.createTextEditorDecorationType({
        after: {
          color: new vscode.ThemeColor('editor.foreground'),
          backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
          margin: '0 0 0 2em',
          fontStyle: 'normal',
          textDecoration: 'none',
        },
      }),
    );
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
      // The lens spans the text the hunk replaces: the editor drops it the moment an edit
      // replaces that text (its decoration collapses), without waiting for the next refresh,
      // which VS Code skips while the editor is not focused.
      const edit = hunkEdit(text, hunk);
      const at = edit.end > edit.start ? new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end)) : new vscode.Range(startLine, 0, startLine, 0);
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
    for (const editor of vscode.window.visibleTextEditors) this.renderDecorations(editor, this.manager.get(editor.document.uri));
  }

  /** What is drawn for the pending hunks of a document (for tests): the proposed code per line. */
  notesFor(uri: vscode.Uri): { line: number; text: string }[] {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const reviewed = this.manager.get(uri);
    if (!doc || !reviewed) return [];
    return openHunks(reviewed.proposal)
      .filter((h) => h.state === 'pending')
      .flatMap((h) => {
        const first = lineRange(doc, h).start.line;
        return proposalNotes(h.oldText, h.newText).map((n) => ({ line: Math.max(0, first + n.line), text: n.text }));
      });
  }

  private renderDecorations(editor: vscode.TextEditor, reviewed: ReviewedProposal | undefined): void {
    const removed: vscode.DecorationOptions[] = [];
    const proposed: vscode.DecorationOptions[] = [];
    const stale: vscode.DecorationOptions[] = [];
    if (reviewed) {
      const doc = editor.document;
      const hunks = openHunks(reviewed.proposal);
      hunks.forEach((hunk, i) => {
        const range = lineRange(doc, hunk);
        if (hunk.state === 'stale') {
          stale.push({ range: new vscode.Range(range.start, range.start), hoverMessage: 'Ducktrace made this proposal for code that has been edited since. Ask again, or dismiss it.' });
          return;
        }
        const hover = proposalHover(hunk, doc.languageId, i + 1, hunks.length);
        if (hunk.end > hunk.start) removed.push({ range, hoverMessage: hover });
        for (const note of proposalNotes(hunk.oldText, hunk.newText)) {
          const line = Math.max(0, range.start.line + note.line);
          if (line >= doc.lineCount) continue;
          // Far right: the editor clamps the column to the line's end, where the text is drawn.
          const at = new vscode.Position(line, 100_000);
          proposed.push({ range: new vscode.Range(at, at), hoverMessage: hover, renderOptions: { after: { contentText: note.text } } });
        }
      });
    }
    editor.setDecorations(this.removed, removed);
    editor.setDecorations(this.proposed, proposed);
    editor.setDecorations(this.staleMark, stale);
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

/** The hunk's proposed code in full, for the hover. */
function proposalHover(hunk: Hunk, languageId: string, index: number, count: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`**Ducktrace proposes** (change ${index} of ${count}): ${hunk.newText === '' ? 'removing the struck-through lines.' : hunk.end > hunk.start ? 'replacing the struck-through lines with' : 'inserting'}\n\n`);
  if (hunk.newText !== '') md.appendCodeblock(hunk.newText.replace(/\r?\n$/, ''), languageId);
  md.appendMarkdown('\n\nAccept or Reject it in the line above (CodeLens), or open it side by side.');
  return md;
}

function describe(oldLines: number, newLines: number): string {
  const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;
  if (oldLines === 0) return `insert ${lines(newLines)}`;
  if (newLines === 0) return `remove ${lines(oldLines)}`;
  return `replace ${lines(oldLines)} with ${lines(newLines)}`;
}
