import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Disposable } from './disposable';
import { productVersion } from '../core/product';

/** What `activate` returns: a small surface that integration tests (and other extensions) can read. */
export interface DucktraceApi {
  readonly log: vscode.LogOutputChannel;
  readonly version: string;
}

class Ducktrace extends Disposable {
  readonly log = this.register(vscode.window.createOutputChannel('Ducktrace', { log: true }));

  constructor(context: vscode.ExtensionContext) {
    super();
    this.register(vscode.commands.registerCommand(CommandIds.showLog, () => this.log.show(true)));
    this.log.info(`Ducktrace ${productVersion} activated in VS Code ${vscode.version} (${context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'} mode)`);
  }
}

let instance: Ducktrace | undefined;

export function activate(context: vscode.ExtensionContext): DucktraceApi {
  instance = new Ducktrace(context);
  context.subscriptions.push(instance);
  return { log: instance.log, version: productVersion };
}

export function deactivate(): void {
  instance = undefined;
}
