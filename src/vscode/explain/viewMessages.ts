// Where each button of the Ducktrace view goes. The handlers are passed in by whoever owns the
// job (Explain and Fix, Iterate Until Green, Trace Failing Test); the view's own actions run the
// editor command they name. Messages were already checked by the view (isViewMessage).
import * as vscode from 'vscode';
import type { ViewAction } from '../../core/view/explanationState';
import type { ViewMessage } from '../../core/view/viewProtocol';
import { CommandIds } from '../commandIds';
import type { ExplanationView } from './explanationView';

export interface ViewMessageHandlers {
  cancel(): void;
  retry(): Promise<void>;
  explainTraced(): Promise<void>;
  showPrompt(): Promise<void>;
  settleHunk(hunkId: string, accept: boolean): Promise<void>;
  open(file: string, line: number): Promise<void>;
  revertAll(): Promise<unknown>;
  /** After an action's command finished (e.g. a model was chosen). */
  afterAction?(action: ViewAction): Promise<void>;
}

const actionCommands: Record<ViewAction, readonly [string, ...unknown[]]> = {
  'Set API Key': [CommandIds.setApiKey],
  'Choose Model': [CommandIds.chooseModel],
  'Open Settings': ['workbench.action.openSettings', 'ducktrace'],
  'Manage Workspace Trust': ['workbench.trust.manage'],
};

export function routeViewMessages(view: ExplanationView, handlers: ViewMessageHandlers, log: vscode.LogOutputChannel): vscode.Disposable {
  const handle = async (m: ViewMessage): Promise<void> => {
    switch (m.type) {
      case 'ready':
        return;
      case 'cancel':
        return handlers.cancel();
      case 'retry':
        return handlers.retry();
      case 'explainTraced':
        return handlers.explainTraced();
      case 'showPrompt':
        return handlers.showPrompt();
      case 'accept':
      case 'reject':
        return handlers.settleHunk(m.hunkId, m.type === 'accept');
      case 'open':
        return handlers.open(m.file, m.line);
      case 'revertAll':
        await handlers.revertAll();
        return;
      case 'action': {
        const [command, ...args] = actionCommands[m.action];
        await vscode.commands.executeCommand(command, ...args);
        await handlers.afterAction?.(m.action);
        return;
      }
    }
  };
  return view.onMessage((m) => void handle(m).catch((err: unknown) => log.error(`The Ducktrace view's "${m.type}" failed: ${err instanceof Error ? err.message : String(err)}`)));
}
