// Ducktrace for coding agents, in the editor: the language model tools, the @ducktrace chat
// participant and the MCP server definition, over one set of agent projects (one per workspace
// folder). The tools' logic lives in src/host/agents, shared with `ducktrace mcp`.
import * as vscode from 'vscode';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { productVersion } from '../../core/product';
import { Disposable } from '../disposable';
import type { ModelSelection } from '../models/modelSelection';
import type { ProposalManager } from '../review/proposalManager';
import type { FailureStore } from '../testing/failureStore';
import type { TraceLauncher } from '../trace/traceLauncher';
import { AgentProjects } from './agentProjects';
import { DucktraceChat } from './chatParticipant';
import { LanguageModelTools } from './languageModelTools';
import { McpServerRegistration } from './mcpServerProvider';

export interface AgentsDependencies {
  readonly extensionUri: vscode.Uri;
  readonly parser: SourceParser;
  readonly models: ModelSelection;
  readonly failures: FailureStore;
  readonly proposals: ProposalManager;
  readonly tracer: TraceLauncher;
  readonly log: vscode.LogOutputChannel;
}

export class Agents extends Disposable {
  readonly projects: AgentProjects;
  readonly tools: LanguageModelTools;
  readonly chat: DucktraceChat;
  readonly mcp: McpServerRegistration;

  constructor(deps: AgentsDependencies) {
    super();
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    this.projects = new AgentProjects(dist.fsPath, deps.parser, deps.models, deps.failures);
    // Settings (timeouts, neverSend, the Python path) are read when a project is made: start afresh.
    this.register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('ducktrace') && this.projects.forget()));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.projects.forget()));
    this.tools = this.register(new LanguageModelTools(this.projects, deps.proposals, deps.log));
    this.chat = this.register(new DucktraceChat(this.projects, deps.failures, deps.proposals, deps.models, deps.parser, deps.tracer, deps.log, vscode.Uri.joinPath(deps.extensionUri, 'media', 'icon.png')));
    this.mcp = this.register(new McpServerRegistration(vscode.Uri.joinPath(dist, 'cli.js').fsPath, productVersion, deps.log));
  }
}
