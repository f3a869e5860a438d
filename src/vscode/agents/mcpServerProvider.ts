// `ducktrace mcp` offered to VS Code's own MCP support, one server per trusted workspace folder,
// through the MCP server definition provider API. That API was finalized in VS Code 1.101; the
// extension requires 1.95, whose types lack it, so it is declared here and detected at run time:
// on older VS Code nothing is registered (the language model tools still are) and the log says so.
import * as vscode from 'vscode';

/** The part of VS Code 1.101's API used here (`vscode.lm.registerMcpServerDefinitionProvider`). */
interface McpStdioServerDefinition {
  readonly label: string;
  cwd?: vscode.Uri;
}
type McpStdioServerDefinitionConstructor = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioServerDefinition;
interface McpServerDefinitionProvider {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition[]>;
  resolveMcpServerDefinition?(server: McpStdioServerDefinition, token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition>;
}
interface McpApi {
  registerMcpServerDefinitionProvider(id: string, provider: McpServerDefinitionProvider): vscode.Disposable;
}

/** The provider's id, as package.json `contributes.mcpServerDefinitionProviders` declares it. */
export const mcpProviderId = 'ducktrace.mcpServers';

/** The API when this VS Code has it. */
export function mcpServerApi(): { api: McpApi; Definition: McpStdioServerDefinitionConstructor } | undefined {
  const lm = vscode.lm as unknown as Partial<McpApi>;
  const Definition = (vscode as unknown as { McpStdioServerDefinition?: McpStdioServerDefinitionConstructor }).McpStdioServerDefinition;
  if (typeof lm.registerMcpServerDefinitionProvider !== 'function' || typeof Definition !== 'function') return undefined;
  return { api: lm as McpApi, Definition };
}

/** The command line that serves one folder: this extension's CLI bundle on the editor's own Node.js. */
export function mcpServerCommand(cliPath: string, folder: string): { command: string; args: string[]; env: Record<string, string> } {
  // process.execPath is Electron in desktop VS Code: ELECTRON_RUN_AS_NODE makes it plain Node.js.
  return { command: process.execPath, args: [cliPath, 'mcp', '--root', folder], env: { ELECTRON_RUN_AS_NODE: '1' } };
}

export class McpServerRegistration implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Whether this VS Code took the provider (1.101 and later). */
  readonly registered: boolean;
  /** Why not, when it did not. */
  readonly reason?: string;

  constructor(cliPath: string, version: string, log: vscode.LogOutputChannel) {
    const found = mcpServerApi();
    const changed = new vscode.EventEmitter<void>();
    let reason: string | undefined;
    if (!found) reason = 'it has no MCP server definition API (VS Code 1.101 and later do)';
    else {
      try {
        this.disposables.push(found.api.registerMcpServerDefinitionProvider(mcpProviderId, this.provider(found.Definition, cliPath, version, changed.event)));
      } catch (err) {
        // VS Code 1.100 has the function as a proposal that wants another contribution point.
        reason = `it refused the MCP server definition provider (${err instanceof Error ? err.message : String(err)})`;
      }
    }
    this.registered = !reason;
    if (reason) {
      this.reason = reason;
      changed.dispose();
      log.info(`The Ducktrace MCP server is not registered with VS Code ${vscode.version}: ${reason}. The language model tools are; 'ducktrace mcp' can be configured by hand.`);
      return;
    }
    this.disposables.push(changed);
    // Untrusted folders get no server: it would run their tests. Trust or folder changes re-ask.
    this.disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()));
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()));
    log.info('Registered the Ducktrace MCP server with VS Code (one per workspace folder).');
  }

  private provider(Definition: McpStdioServerDefinitionConstructor, cliPath: string, version: string, onChange: vscode.Event<void>): McpServerDefinitionProvider {
    return {
      onDidChangeMcpServerDefinitions: onChange,
      provideMcpServerDefinitions: () => {
        if (!vscode.workspace.isTrusted) return [];
        return (vscode.workspace.workspaceFolders ?? [])
          .filter((f) => f.uri.scheme === 'file')
          .map((f) => {
            const { command, args, env } = mcpServerCommand(cliPath, f.uri.fsPath);
            const definition = new Definition(`Ducktrace (${f.name})`, command, args, env, version);
            definition.cwd = f.uri;
            return definition;
          });
      },
      resolveMcpServerDefinition: (server) => (vscode.workspace.isTrusted ? server : undefined),
    };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
