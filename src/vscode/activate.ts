import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Disposable } from './disposable';
import { productVersion } from '../core/product';
import { Agents } from './agents/agents';
import { treeSitterPathsIn, TreeSitterParser } from '../host/treeSitter';
import { BlocksView } from './blocks/blocksView';
import { ExplainController } from './explain/explainController';
import { ExplanationPresenter } from './explain/explanationPresenter';
import { ExplanationView } from './explain/explanationView';
import { VerdictDecorations } from './explain/verdictDecorations';
import { routeViewMessages } from './explain/viewMessages';
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
import { TraceLauncher } from './trace/traceLauncher';
import { traceSession } from '../core/view/sessionReducer';
import type { Trace } from '../core/trace/traceModel';

/** What `activate` returns: a small surface that integration tests (and other extensions) can read. */
export interface DucktraceApi {
  readonly log: vscode.LogOutputChannel;
  readonly version: string;
  /** Pending proposals: shown inline, settled hunk by hunk. */
  readonly proposals: ProposalManager;
  /** Which model answers: VS Code's Language Model API or an OpenAI-compatible endpoint. */
  readonly models: ModelSelection;
  /** The Ducktrace view's explanation panel (what it was last given to show). */
  readonly explanation: ExplanationView;
  /** What the Ducktrace view shows: the present session on top, earlier ones below. */
  readonly presenter: ExplanationPresenter;
  /** "Show Blocks" decorations. */
  readonly blocks: BlocksView;
  /** Explain and fix: failure -> target -> blocks -> model -> proposal -> rerun. */
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

/**
 * The extension's parts, each given what it needs when it is made: no part reaches into another
 * after construction. Read top to bottom, this is the wiring diagram.
 */
class Ducktrace extends Disposable {
  readonly log = this.register(vscode.window.createOutputChannel('Ducktrace', { log: true }));
  readonly proposals = this.register(new ProposalManager(this.log));
  readonly failures = this.register(new FailureStore());
  readonly models: ModelSelection;
  readonly explanation: ExplanationView;
  readonly presenter: ExplanationPresenter;
  readonly blocks: BlocksView;
  readonly explain: ExplainController;
  readonly tests: DucktraceTestController;
  readonly explainAndFix: ExplainAndFix;
  readonly iterate: IterateUntilGreen;
  readonly suspicion: SuspicionView;
  readonly traceValues: InlineValues;
  readonly checkpoints: Checkpoints;
  readonly agents: Agents;

  constructor(context: vscode.ExtensionContext) {
    super();
    const { log, proposals, failures } = this;
    const command = (id: string, run: (...args: never[]) => unknown) => this.register(vscode.commands.registerCommand(id, run));
    command(CommandIds.showLog, () => log.show(true));

    const models = (this.models = new ModelSelection(context.secrets, log));
    command(CommandIds.chooseModel, () => models.choose());
    command(CommandIds.setApiKey, () => models.setApiKey());
    command(CommandIds.clearApiKey, () => models.clearApiKey());

    // One parser for the whole extension: grammars load lazily, once, from the extension's folder.
    const parser = new TreeSitterParser(treeSitterPathsIn(context.extensionUri.fsPath));
    this.blocks = this.register(new BlocksView(parser));
    command(CommandIds.showBlocks, () => this.blocks.showAtCursor());
    command(CommandIds.clearBlocks, () => this.blocks.clear());
    this.suspicion = this.register(new SuspicionView(context.extensionUri, parser, log));
    command(CommandIds.showSuspiciousBlocks, () => this.suspicion.showAtCursor());
    command(CommandIds.clearSuspiciousBlocks, () => this.suspicion.clear());

    // The Ducktrace view: one presenter that Explain and Fix, Iterate Until Green and Trace publish to.
    this.explanation = this.register(new ExplanationView(context.extensionUri));
    const presenter = (this.presenter = new ExplanationPresenter(this.explanation));
    const tracer = new TraceLauncher(log, parser);
    const verdicts = this.register(new VerdictDecorations(context.extensionUri));
    this.explain = this.register(new ExplainController({ parser, presenter, verdicts, models, proposals, tracer, log }));

    const inline = this.register(new InlineDiff(proposals, context.extensionUri));
    registerReviewCommands(proposals, inline).forEach((d) => this.register(d));
    this.register(vscode.window.registerTreeDataProvider('ducktrace.proposals', this.register(new ProposalView(proposals))));

    this.tests = this.register(new DucktraceTestController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, failures, log));
    this.register(new TerminalTestWatcher(this.tests, failures, log));
    this.explainAndFix = new ExplainAndFix(failures, this.explain, (testId) => this.tests.runTest(testId), parser, log);
    command(CommandIds.explainAndFix, (arg: unknown) => this.explainAndFix.run(arg));

    let tracedTestId: string | undefined;
    let shownTrace: Trace | undefined;
    this.traceValues = this.register(
      new InlineValues({
        parser,
        tracer,
        log,
        resolve: (arg) => this.explainAndFix.resolve(arg, 'Which failing test should Ducktrace trace?'),
        onDidShow: (shown) => {
          // A running Explain and Fix keeps the view; a trace is shown when nothing else runs.
          if (this.explain.isRunning) return;
          if (!shown) {
            if (presenter.sessionState.traceTable) presenter.clearSession();
          } else {
            // Stepping through the calls of the same trace stays one session of the view; a new
            // trace shows its table (the view opens without taking the focus).
            const same = shown.trace === shownTrace;
            presenter.replace(traceSession(shown), same);
            if (!same) void presenter.reveal();
          }
          shownTrace = shown?.trace;
          tracedTestId = shown?.test.testId;
        },
      }),
    );

    const checkpoints = (this.checkpoints = new Checkpoints(context.storageUri ?? context.globalStorageUri));
    this.iterate = this.register(new IterateUntilGreen(context, this.explain, presenter, proposals, this.tests, checkpoints, log));
    command(CommandIds.iterateUntilGreen, (arg: unknown) => this.iterate.run(testIdsOf(arg)));
    command(CommandIds.revertAllChanges, () => this.iterate.revertAll());
    command(CommandIds.forgetTestEditPermission, () => this.iterate.forgetTestEditPermission());

    // For coding agents: the language model tools, @ducktrace in the Chat view, the MCP server.
    this.agents = this.register(new Agents({ extensionUri: context.extensionUri, parser, models, failures, proposals, tracer, log }));

    this.register(
      routeViewMessages(
        this.explanation,
        {
          cancel: () => this.explain.cancel(),
          retry: () => this.explain.retry(),
          // The traced test, through the command: it resolves the recorded failure by its id.
          explainTraced: async () => {
            if (presenter.sessionState.traceTable && tracedTestId) await vscode.commands.executeCommand(CommandIds.explainAndFix, tracedTestId);
          },
          showPrompt: () => this.explain.showPrompt(),
          settleHunk: (hunkId, accept) => this.explain.settleHunk(hunkId, accept),
          open: (file, line) => this.explain.open(file, line),
          revertAll: () => this.iterate.revertAll(),
          afterAction: (action) => this.explain.continueAfter(action),
        },
        log,
      ),
    );

    // In an untrusted workspace the view says why nothing will run, before anything is tried.
    const trustNotice = () => presenter.setNotice(vscode.workspace.isTrusted ? undefined : { message: 'This workspace is not trusted, so Ducktrace runs no tests, tracers or interpreters in it.', action: 'Manage Workspace Trust' });
    trustNotice();
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(trustNotice));

    // A loop interrupted by a crash or reload left its originals behind: offer them back.
    void checkpoints.offerRecovery(restoreFile, log);
    this.register(vscode.languages.registerCodeLensProvider(testFileSelector, new FailureCodeLensProvider(failures)));
    this.register(vscode.languages.registerCodeActionsProvider(testFileSelector, new ExplainCodeActionProvider(parser), ExplainCodeActionProvider.metadata));
    log.info(`Ducktrace ${productVersion} activated in VS Code ${vscode.version} (${context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'} mode)`);
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
  return { log: instance.log, version: productVersion, proposals: instance.proposals, models: instance.models, explanation: instance.explanation, presenter: instance.presenter, blocks: instance.blocks, explain: instance.explain, tests: instance.tests, failures: instance.failures, explainAndFix: instance.explainAndFix, iterate: instance.iterate, suspicion: instance.suspicion, traceValues: instance.traceValues, checkpoints: instance.checkpoints, agents: instance.agents };
}

export function deactivate(): void {
  instance = undefined;
}
