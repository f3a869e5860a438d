import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Disposable } from './disposable';
import { productVersion } from '../core/product';
import { InlineDiff } from './review/inlineDiff';
import { ProposalManager } from './review/proposalManager';
import { ProposalView } from './review/proposalView';
import { registerReviewCommands } from './review/reviewCommands';

/** What `activate` returns: a small surface that integration tests (and other extensions) can read. */
export interface DucktraceApi {
  readonly log: vscode.LogOutputChannel;
  readonly version: string;
  /** Pending proposals: shown inline, settled hunk by hunk. */
  readonly proposals: ProposalManager;
}

class Ducktrace extends Disposable {
  readonly log = this.register(vscode.window.createOutputChannel('Ducktrace', { log: true }));
  readonly proposals = this.register(new ProposalManager(this.log));

  constructor(context: vscode.ExtensionContext) {
    super();
    this.register(vscode.commands.registerCommand(CommandIds.showLog, () => this.log.show(true)));
    const inline = this.register(new InlineDiff(this.proposals, context.extensionUri));
    registerReviewCommands(this.proposals, inline).forEach((d) => this.register(d));
    this.register(vscode.window.registerTreeDataProvider('ducktrace.proposals', this.register(new ProposalView(this.proposals))));
    this.log.info(`Ducktrace ${productVersion} activated in VS Code ${vscode.version} (${context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'} mode)`);
  }
}

let instance: Ducktrace | undefined;

export function activate(context: vscode.ExtensionContext): DucktraceApi {
  instance = new Ducktrace(context);
  context.subscriptions.push(instance);
  return { log: instance.log, version: productVersion, proposals: instance.proposals };
}

export function deactivate(): void {
  instance = undefined;
}
