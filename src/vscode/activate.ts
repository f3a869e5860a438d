import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Disposable } from './disposable';
import { productVersion } from '../core/product';
import { ExplanationView } from './explain/explanationView';
import { ModelSelection } from './models/modelSelection';
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
  /** Which model answers: VS Code's Language Model API or an OpenAI-compatible endpoint. */
  readonly models: ModelSelection;
  /** The Ducktrace view's explanation panel. */
  readonly explanation: ExplanationView;
}

class Ducktrace extends Disposable {
  readonly log = this.register(vscode.window.createOutputChannel('Ducktrace', { log: true }));
  readonly proposals = this.register(new ProposalManager(this.log));
  readonly models: ModelSelection;
  readonly explanation: ExplanationView;

  constructor(context: vscode.ExtensionContext) {
    super();
    this.register(vscode.commands.registerCommand(CommandIds.showLog, () => this.log.show(true)));
    const models = new ModelSelection(context.secrets, this.log);
    this.models = models;
    this.register(vscode.commands.registerCommand(CommandIds.chooseModel, () => models.choose()));
    this.register(vscode.commands.registerCommand(CommandIds.setApiKey, () => models.setApiKey()));
    this.register(vscode.commands.registerCommand(CommandIds.clearApiKey, () => models.clearApiKey()));
    this.explanation = this.register(new ExplanationView(context.extensionUri));
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
  return { log: instance.log, version: productVersion, proposals: instance.proposals, models: instance.models, explanation: instance.explanation };
}

export function deactivate(): void {
  instance = undefined;
}
