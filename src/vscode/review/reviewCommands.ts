// The review commands: per hunk (from a CodeLens, the Proposals view or the cursor) and
// per file (Accept All, Reject All, Next/Previous Hunk, Side by Side).
import * as vscode from 'vscode';
import { hunkLines, openHunks } from '../../core/patch/proposal';
import { CommandIds } from '../commandIds';
import type { InlineDiff } from './inlineDiff';
import { lineRange } from './inlineDiff';
import type { HunkRef, ProposalManager } from './proposalManager';

export function registerReviewCommands(manager: ProposalManager, inline: InlineDiff): vscode.Disposable[] {
  /** Turns whatever a menu passed (a HunkRef, a tree item, nothing) into a hunk. */
  const resolveHunk = (arg: unknown): HunkRef | undefined => {
    if (isHunkRef(arg)) return arg;
    if (arg && typeof arg === 'object' && 'ref' in arg && isHunkRef((arg as { ref: unknown }).ref)) return (arg as { ref: HunkRef }).ref;
    return hunkAtCursor(manager);
  };
  const resolveUri = (arg: unknown): vscode.Uri | undefined => {
    if (arg instanceof vscode.Uri) return arg;
    const ref = isHunkRef(arg) ? arg : undefined;
    return ref?.uri ?? vscode.window.activeTextEditor?.document.uri;
  };
  const noProposal = () => void vscode.window.showInformationMessage('Ducktrace: there is no pending proposal here.');

  return [
    vscode.commands.registerCommand(CommandIds.acceptHunk, async (arg?: unknown) => {
      const ref = resolveHunk(arg);
      return ref ? manager.accept(ref) : noProposal();
    }),
    vscode.commands.registerCommand(CommandIds.rejectHunk, async (arg?: unknown) => {
      const ref = resolveHunk(arg);
      return ref ? manager.reject(ref) : noProposal();
    }),
    vscode.commands.registerCommand(CommandIds.acceptAllHunks, async (arg?: unknown) => {
      const uri = resolveUri(arg);
      return uri && manager.get(uri) ? manager.acceptAll(uri) : noProposal();
    }),
    vscode.commands.registerCommand(CommandIds.rejectAllHunks, async (arg?: unknown) => {
      const uri = resolveUri(arg);
      return uri && manager.get(uri) ? manager.rejectAll(uri) : noProposal();
    }),
    vscode.commands.registerCommand(CommandIds.nextHunk, () => moveToHunk(manager, +1)),
    vscode.commands.registerCommand(CommandIds.previousHunk, () => moveToHunk(manager, -1)),
    vscode.commands.registerCommand(CommandIds.openSideBySide, async (arg?: unknown) => {
      const uri = resolveUri(arg);
      if (!uri || !manager.get(uri)) return noProposal();
      const name = vscode.workspace.asRelativePath(uri);
      await vscode.commands.executeCommand('vscode.diff', uri, inline.proposedUri(uri), `${name} ↔ Ducktrace proposal`);
    }),
    vscode.commands.registerCommand(CommandIds.askAgain, async (arg?: unknown) => {
      const ref = resolveHunk(arg);
      const reviewed = ref && manager.get(ref.uri);
      if (!reviewed?.options.askAgain) return noProposal();
      manager.cancel(reviewed.uri);
      await reviewed.options.askAgain();
    }),
  ];
}

function isHunkRef(x: unknown): x is HunkRef {
  return !!x && typeof x === 'object' && 'uri' in x && 'hunkId' in x && (x as HunkRef).uri instanceof vscode.Uri;
}

/** The hunk under the cursor, else the next one below it, else the last one. */
function hunkAtCursor(manager: ProposalManager): HunkRef | undefined {
  const editor = vscode.window.activeTextEditor;
  const reviewed = editor && manager.get(editor.document.uri);
  if (!editor || !reviewed) return undefined;
  const line = editor.selection.active.line;
  const hunks = openHunks(reviewed.proposal).sort((a, b) => a.start - b.start);
  const containing = hunks.find((h) => lineRange(editor.document, h).end.line >= line);
  const hunk = containing ?? hunks[hunks.length - 1];
  return hunk && { uri: editor.document.uri, hunkId: hunk.id };
}

async function moveToHunk(manager: ProposalManager, direction: 1 | -1): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const reviewed = editor && manager.get(editor.document.uri);
  if (!editor || !reviewed) return;
  const text = editor.document.getText();
  const lines = openHunks(reviewed.proposal)
    .map((h) => hunkLines(text, h).startLine)
    .sort((a, b) => a - b);
  if (lines.length === 0) return;
  const here = editor.selection.active.line;
  const target = direction > 0 ? (lines.find((l) => l > here) ?? lines[0]!) : ([...lines].reverse().find((l) => l < here) ?? lines[lines.length - 1]!);
  const pos = new vscode.Position(target, 0);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
