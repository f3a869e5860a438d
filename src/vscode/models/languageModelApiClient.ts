// VS Code's Language Model API (`vscode.lm`) as a ModelClient. VS Code asks the user for consent
// the first time an extension uses a model; a refusal arrives here as a NoPermissions error.
// The request lives within the same budget as an endpoint's (src/core/modelBudget.ts): when the
// first piece, a pause, the total time or the reply cap passes, the request is cancelled through
// its CancellationToken and the same message says which limit it was.
import * as vscode from 'vscode';
import { modelLimits, RequestWatch, type ModelLimits } from '../../core/modelBudget';
import { ModelError, type ChatRequest, type ChatResult, type ModelClient } from '../../core/modelClient';

export class LanguageModelApiClient implements ModelClient {
  private readonly limits: ModelLimits;

  constructor(
    private readonly model: vscode.LanguageModelChat,
    limits: Partial<ModelLimits> = {},
  ) {
    this.limits = modelLimits(limits);
  }

  get description(): string {
    return `${this.model.name} (${this.model.vendor}, via VS Code)`;
  }

  get maxInputTokens(): number | undefined {
    return this.model.maxInputTokens > 0 ? this.model.maxInputTokens : undefined;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
    // The API has no system role: the instructions go first, as the user's own words.
    const messages = request.messages.map((m) =>
      m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(m.content) : vscode.LanguageModelChatMessage.User(m.content),
    );
    const watch = new RequestWatch(this.limits, `${this.model.name} (via VS Code)`, request.signal);
    const cancel = new vscode.CancellationTokenSource();
    const onStop = () => cancel.cancel();
    watch.signal.addEventListener('abort', onStop);
    try {
      watch.attempt();
      const response = await watch.race(Promise.resolve(this.model.sendRequest(messages, { justification: 'Ducktrace explains why a test fails and proposes a fix.' }, cancel.token)));
      watch.accepted();
      const pieces = response.text[Symbol.asyncIterator]();
      let text = '';
      for (;;) {
        const next = await watch.race(pieces.next());
        if (next.done) break;
        watch.received();
        watch.text(next.value);
        watch.check();
        text += next.value;
        request.onText?.(next.value);
      }
      watch.check();
      return { text, structured: false, model: this.model.id };
    } catch (err) {
      throw watch.error ?? toModelError(err, this.model);
    } finally {
      watch.signal.removeEventListener('abort', onStop);
      watch.dispose();
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
