import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Disposable } from './disposable';
import { productVersion } from '../core/product';
import { Agents } from './agents/agents';
import { treeSitterPathsIn, TreeSitterParser } from '../host/treeSitter';
import { BlocksView } from './blocks/blocksView';
import { ExplainController } from './explain/explainController';
import { ExplanationView } from './explain/explanationView';
import { createTraceProvider } from './explain/traceProvider';
import { SuspicionView } from './localize/suspicionView';
import { Checkpoints } from './loop/checkpoints';
import { IterateUntilGreen, restoreFile } from './loop/iterateUntilGreenCommand';
import { ModelSelection } from './models/modelSelection';
import { InlineDiff } from './review/inlineDiff';
import { ProposalManager } from './review/proposalManager';
import { ProposalView } from './review/proposalView';
import { registerReviewCommands } from './review/reviewCommands';
import { ExplainAndFix } from './testing/explainAndFix';
import { ExplainCodeActionProvider } from './testing/explainCodeActions';
import { FailureCodeLensProvider, testFileSelector } from './testing/failureCodeLens';
import { FailureStore } from './testing/failureStore';
import { DucktraceTestController } from './testing/testController';
import { TerminalTestWatcher } from './testing/terminalWatcher';
import { InlineValues } from './trace/inlineValues';

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
  /** "Show Blocks" decorations. */
  readonly blocks: BlocksView;
  /** Explain and fix: failure -> target -> blocks -> model -> proposal. */
  readonly explain: ExplainController;
  /** The "Ducktrace" test controller in the Testing view. */
  readonly tests: DucktraceTestController;
  /** Failures known now (Testing view runs and the terminal). */
  readonly failures: FailureStore;
  /** `ducktrace.explainAndFix`: resolves its argument to a failure and shows it. */
  readonly explainAndFix: ExplainAndFix;
  /** "Iterate Until Green". */
  readonly iterate: IterateUntilGreen;
  /** "Show Suspicious Blocks" heat marks. */
  readonly suspicion: SuspicionView;
  /** "Trace Failing Test": values after each block, stepped by call and iteration. */
  readonly traceValues: InlineValues;
  /** Iterate Until Green's checkpoints of the originals (where they live, what is pending). */
  readonly checkpoints: Checkpoints;
  /** Language model tools, the @ducktrace chat participant, the MCP server definition. */
  readonly agents: Agents;
}

class Ducktrace extends Disposable {
  readonly log = this.register(vscode.window.createOutputChannel('Ducktrace', { log: true }));
  readonly proposals = this.register(new ProposalManager(this.log));
  readonly models: ModelSelection;
  readonly explanation: ExplanationView;
  readonly blocks: BlocksView;
  readonly explain: ExplainController;
  readonly failures = this.register(new FailureStore());
  readonly tests: DucktraceTestController;
  readonly explainAndFix: ExplainAndFix;
  readonly iterate: IterateUntilGreen;
  readonly suspicion: SuspicionView;
  readonly traceValues: InlineValues;
  readonly checkpoints: Checkpoints;
  readonly agents: Agents;

  constructor(context: vscode.ExtensionContext) {
    super();
    this.register(vscode.commands.registerCommand(CommandIds.showLog, () => this.log.show(true)));
    const models = new ModelSelection(context.secrets, this.log);
    this.models = models;
    this.register(vscode.commands.registerCommand(CommandIds.chooseModel, () => models.choose()));
    this.register(vscode.commands.registerCommand(CommandIds.setApiKey, () => models.setApiKey()));
    this.register(vscode.commands.registerCommand(CommandIds.clearApiKey, () => models.clearApiKey()));
    this.explanation = this.register(new ExplanationView(context.extensionUri));
    // One parser for the whole extension: grammars load lazily, once, from the extension's folder.
    const parser = new TreeSitterParser(treeSitterPathsIn(context.extensionUri.fsPath));
    this.blocks = this.register(new BlocksView(parser));
    this.register(vscode.commands.registerCommand(CommandIds.showBlocks, () => this.blocks.showAtCursor()));
    this.register(vscode.commands.registerCommand(CommandIds.clearBlocks, () => this.blocks.clear()));
    this.suspicion = this.register(new SuspicionView(context.extensionUri, parser, this.log));
    this.register(vscode.commands.registerCommand(CommandIds.showSuspiciousBlocks, () => this.suspicion.showAtCursor()));
    this.register(vscode.commands.registerCommand(CommandIds.clearSuspiciousBlocks, () => this.suspicion.clear()));
    this.explain = this.register(new ExplainController(context.extensionUri, parser, this.explanation, models, this.proposals, this.log));
    const inline = this.register(new InlineDiff(this.proposals, context.extensionUri));
    registerReviewCommands(this.proposals, inline).forEach((d) => this.register(d));
    this.register(vscode.window.registerTreeDataProvider('ducktrace.proposals', this.register(new ProposalView(this.proposals))));
    this.tests = this.register(new DucktraceTestController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, this.failures, this.log));
    this.register(new TerminalTestWatcher(this.tests, this.failures, this.log));
    const traceProvider = createTraceProvider(this.log);
    this.explain.traceProvider = traceProvider;
    this.explainAndFix = new ExplainAndFix(this.failures, this.explain, (testId) => this.rerunTest(testId), this.log);
    this.register(vscode.commands.registerCommand(CommandIds.explainAndFix, (arg: unknown) => this.explainAndFix.run(arg)));
    this.traceValues = this.register(new InlineValues(parser, (arg) => this.explainAndFix.resolve(arg, 'Which failing test should Ducktrace trace?'), this.log));
    this.traceValues.onDidShow = (shown) => this.explain.showTrace(shown);
    const checkpoints = new Checkpoints(context.storageUri ?? context.globalStorageUri);
    this.checkpoints = checkpoints;
    this.iterate = this.register(new IterateUntilGreen(context, this.explain, this.proposals, this.tests, checkpoints, this.log));
    this.explain.onRevertAll = () => this.iterate.revertAll();
    this.register(vscode.commands.registerCommand(CommandIds.iterateUntilGreen, (arg: unknown) => this.iterate.run(testIdsOf(arg))));
    this.register(vscode.commands.registerCommand(CommandIds.revertAllChanges, () => this.iterate.revertAll()));
    this.register(vscode.commands.registerCommand(CommandIds.forgetTestEditPermission, () => this.iterate.forgetTestEditPermission()));
    this.agents = this.register(new Agents({ extensionUri: context.extensionUri, parser, models, failures: this.failures, proposals: this.proposals, traceProvider, log: this.log }));
    // A loop interrupted by a crash or reload left its originals behind: offer them back.
    void checkpoints.offerRecovery(restoreFile, this.log);
    this.register(vscode.languages.registerCodeLensProvider(testFileSelector, new FailureCodeLensProvider(this.failures)));
    this.register(vscode.languages.registerCodeActionsProvider(testFileSelector, new ExplainCodeActionProvider(), ExplainCodeActionProvider.metadata));
    this.log.info(`Ducktrace ${productVersion} activated in VS Code ${vscode.version} (${context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'} mode)`);
  }

  private async rerunTest(testId: string): Promise<void> {
    const item = this.tests.itemFor(testId);
    if (!item) return;
    const cancel = new vscode.CancellationTokenSource();
    try {
      await this.tests.run(new vscode.TestRunRequest([item]), cancel.token);
    } finally {
      cancel.dispose();
    }
  }
}

/** The failing tests under a Testing view item (a test, a file, a folder), as test ids; none: all. */
function testIdsOf(arg: unknown): string[] | undefined {
  if (!arg || typeof arg !== 'object' || !('children' in arg) || typeof (arg as vscode.TestItem).id !== 'string') return undefined;
  const ids: string[] = [];
  const visit = (item: vscode.TestItem) => {
    if (item.children.size === 0) ids.push(item.id.slice(item.id.indexOf('|') + 1));
    item.children.forEach(visit);
  };
  visit(arg as vscode.TestItem);
  return ids;
}

let instance: Ducktrace | undefined;

export function activate(context: vscode.ExtensionContext): DucktraceApi {
  instance = new Ducktrace(context);
  context.subscriptions.push(instance);
  return { log: instance.log, version: productVersion, proposals: instance.proposals, models: instance.models, explanation: instance.explanation, blocks: instance.blocks, explain: instance.explain, tests: instance.tests, failures: instance.failures, explainAndFix: instance.explainAndFix, iterate: instance.iterate, suspicion: instance.suspicion, traceValues: instance.traceValues, checkpoints: instance.checkpoints, agents: instance.agents };
}

export function deactivate(): void {
  instance = undefined;
}
