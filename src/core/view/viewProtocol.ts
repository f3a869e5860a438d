// The messages between the extension and the Ducktrace view's webview, typed once for both sides:
// the webview script (src/webview) and the extension (src/vscode/explain) import these types, so
// the compiler checks each side against the other. Messages from the webview are still checked at
// run time (isViewMessage): a webview is a separate page and its messages are data.
import { viewActions, type ExplanationState, type ViewAction } from './explanationState';

/** Webview -> extension. */
export type ViewMessage =
  | { readonly type: 'ready' | 'cancel' | 'retry' | 'showPrompt' | 'revertAll' | 'explainTraced' }
  | { readonly type: 'accept' | 'reject'; readonly hunkId: string }
  | { readonly type: 'open'; readonly file: string; readonly line: number }
  | { readonly type: 'action'; readonly action: ViewAction };

/** Extension -> webview. */
export type HostMessage = { readonly type: 'state'; readonly state: ExplanationState };

const simple = new Set(['ready', 'cancel', 'retry', 'showPrompt', 'revertAll', 'explainTraced']);

/** Whether a message from the webview has one of the shapes above (anything else is dropped). */
export function isViewMessage(m: unknown): m is ViewMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  if (typeof o.type !== 'string') return false;
  if (simple.has(o.type)) return true;
  if (o.type === 'accept' || o.type === 'reject') return typeof o.hunkId === 'string';
  if (o.type === 'open') return typeof o.file === 'string' && typeof o.line === 'number';
  if (o.type === 'action') return typeof o.action === 'string' && (viewActions as readonly string[]).includes(o.action);
  return false;
}
