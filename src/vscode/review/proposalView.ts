// The proposals part of the Ducktrace view: every file with a pending proposal, and under it each
// hunk with its state (pending, accepted, rejected, stale). Selecting a hunk reveals it.
import * as vscode from 'vscode';
import { hunkLines, type Hunk } from '../../core/patch/proposal';
import { Disposable } from '../disposable';
import type { HunkRef, ProposalManager, ReviewedProposal } from './proposalManager';

type Node = { kind: 'file'; reviewed: ReviewedProposal } | { kind: 'hunk'; reviewed: ReviewedProposal; hunk: Hunk; index: number; ref: HunkRef };

const stateIcons: Record<Hunk['state'], vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('circle-large-outline'),
  accepted: new vscode.ThemeIcon('check', new vscode.ThemeColor('testing.iconPassed')),
  rejected: new vscode.ThemeIcon('close'),
  stale: new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground')),
};

export class ProposalView extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly manager: ProposalManager) {
    super();
    this.register(manager.onDidChange(() => this.changed.fire(undefined)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => manager.get(e.document.uri) && this.changed.fire(undefined)));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.manager.all().map((reviewed) => ({ kind: 'file', reviewed }));
    if (node.kind === 'hunk') return [];
    return node.reviewed.proposal.hunks.map((hunk, i) => ({ kind: 'hunk', reviewed: node.reviewed, hunk, index: i + 1, ref: { uri: node.reviewed.uri, hunkId: hunk.id } }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'file') {
      const counts = new Map<string, number>();
      for (const h of node.reviewed.proposal.hunks) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.reviewed.uri), vscode.TreeItemCollapsibleState.Expanded);
      item.resourceUri = node.reviewed.uri;
      item.description = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
      item.tooltip = node.reviewed.options.title ?? 'Proposal';
      item.contextValue = 'ducktraceProposal';
      item.iconPath = vscode.ThemeIcon.File;
      return item;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === node.reviewed.uri.toString());
    const where = doc && (node.hunk.state === 'pending' || node.hunk.state === 'stale') ? ` · line ${hunkLines(doc.getText(), node.hunk).startLine + 1}` : '';
    const item = new vscode.TreeItem(`Hunk ${node.index}${where}`, vscode.TreeItemCollapsibleState.None);
    item.description = node.hunk.state;
    item.iconPath = stateIcons[node.hunk.state];
    item.contextValue = `ducktraceHunk-${node.hunk.state}`;
    // The state is in the text as well as the icon, for screen readers and colour-blind users.
    item.accessibilityInformation = { label: `Hunk ${node.index}${where}, ${node.hunk.state}` };
    item.tooltip = new vscode.MarkdownString().appendCodeblock(node.hunk.newText || '(removes lines)', doc?.languageId ?? '');
    if (doc && (node.hunk.state === 'pending' || node.hunk.state === 'stale')) {
      const line = hunkLines(doc.getText(), node.hunk).startLine;
      item.command = { command: 'vscode.open', title: 'Reveal', arguments: [node.reviewed.uri, { selection: new vscode.Range(line, 0, line, 0) }] };
    }
    return item;
  }
}
