// VS Code's Language Model API (`vscode.lm`) as a ModelClient. VS Code asks the user for consent
// the first time an extension uses a model; a refusal arrives here as a NoPermissions error.
import * as vscode from 'vscode';
import { ModelError, type ChatRequest, type ChatResult, type ModelClient } from '../../core/modelClient';

export class LanguageModelApiClient implements ModelClient {
  constructor(private readonly model: vscode.LanguageModelChat) {}

  get description(): string {
    return `${this.model.name} (${this.model.vendor}, via VS Code)`;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    // The API has no system role: the instructions go first, as the user's own words.
    const messages = request.messages.map((m) =>
      m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(m.content) : vscode.LanguageModelChatMessage.User(m.content),
    );
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = () => cancel.cancel();
    request.signal?.addEventListener('abort', onAbort);
    try {
      if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
      const response = await this.model.sendRequest(messages, { justification: 'Ducktrace explains why a test fails and proposes a fix.' }, cancel.token);
      let text = '';
      for await (const delta of response.text) {
        if (request.signal?.aborted) break;
        text += delta;
        request.onText?.(delta);
      }
      if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
      return { text, structured: false, model: this.model.id };
    } catch (err) {
      throw toModelError(err, this.model);
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }
}

function toModelError(err: unknown, model: vscode.LanguageModelChat): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof vscode.CancellationError) return new ModelError('cancelled', 'The request was cancelled.');
  if (err instanceof vscode.LanguageModelError) {
    if (err.code === vscode.LanguageModelError.NoPermissions.name) {
      return new ModelError('auth', `Ducktrace may not use ${model.name}: permission was not given.`, undefined, 'Choose Model');
    }
    if (err.code === vscode.LanguageModelError.NotFound.name) return new ModelError('notFound', `The model ${model.name} is no longer available.`, undefined, 'Choose Model');
    if (err.code === vscode.LanguageModelError.Blocked.name) return new ModelError('rateLimited', `${model.name} is blocked for now (quota or rate limit): ${err.message}`);
    if (/context|token limit|too long/i.test(err.message)) return new ModelError('contextLength', `The prompt is longer than ${model.name} takes: ${err.message}`);
    return new ModelError('other', `${model.name} failed: ${err.message}`);
  }
  return new ModelError('other', `${model.name} failed: ${err instanceof Error ? err.message : String(err)}`);
}
