// Which model Ducktrace talks to: a Language Model API model if one is available (or the one the
// user picked), else the configured OpenAI-compatible endpoint, else a clear "Choose a model"
// notification. The endpoint's API key lives in SecretStorage only.
import * as vscode from 'vscode';
import { ModelError, type ModelClient } from '../../core/modelClient';
import { OpenAiCompatibleClient } from '../../host/models/openAiCompatibleClient';
import { CommandIds } from '../commandIds';
import { modelSettings } from '../settings';
import { LanguageModelApiClient } from './languageModelApiClient';

const apiKeySecret = 'ducktrace.openai.apiKey';

export class ModelSelection {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The model to use now. Throws a ModelError with nextAction 'Choose Model' when there is none. */
  async resolve(): Promise<ModelClient> {
    const settings = modelSettings();
    if (settings.provider !== 'openaiCompatible') {
      const models = await this.languageModels();
      const chosen = settings.languageModel ? models.find((m) => m.id === settings.languageModel) : models[0];
      if (chosen) return new LanguageModelApiClient(chosen, settings.limits);
      if (settings.provider === 'languageModelApi') {
        throw new ModelError(
          'notFound',
          settings.languageModel
            ? `The language model "${settings.languageModel}" is not available in this VS Code.`
            : 'No language model is available through VS Code (install and sign in to a chat extension, or use an OpenAI-compatible endpoint).',
          undefined,
          'Choose Model',
        );
      }
    }
    const { openai } = settings;
    if (openai.baseUrl && openai.model) {
      const apiKey = (await this.secrets.get(apiKeySecret)) ?? '';
      return new OpenAiCompatibleClient({
        baseUrl: openai.baseUrl,
        model: openai.model,
        apiKey,
        organization: openai.organization || undefined,
        azureApiVersion: openai.azureApiVersion || undefined,
        limits: settings.limits,
        maxInputTokens: openai.maxInputTokens,
      });
    }
    throw new ModelError('notFound', 'Ducktrace needs a model to explain failures: pick one of VS Code\'s language models or set up an OpenAI-compatible endpoint (OpenAI, Azure, Ollama, LM Studio, vLLM, llama.cpp).', undefined, 'Choose Model');
  }

  /**
   * Shows a model error with the action that fixes it. Resolves with the action once the user has
   * completed it (a model chosen, a key stored), so the interrupted request can continue.
   */
  async report(error: ModelError): Promise<'Set API Key' | 'Choose Model' | undefined> {
    this.log.warn(`Model error (${error.kind}${error.status ? `, ${error.status}` : ''}): ${error.message}`);
    const actions = error.nextAction === 'Set API Key' ? ['Set API Key', 'Choose Model'] : error.nextAction === 'Choose Model' ? ['Choose Model'] : error.nextAction === 'Open Settings' ? ['Open Settings'] : [];
    // VS Code names the extension beside the toast; a message that starts with it is not prefixed again.
    const text = /^Ducktrace\b/.test(error.message) ? error.message : `Ducktrace: ${error.message}`;
    const pick = await vscode.window.showErrorMessage(text, ...actions);
    if (pick === 'Set API Key') return (await vscode.commands.executeCommand<boolean>(CommandIds.setApiKey)) ? pick : undefined;
    if (pick === 'Choose Model') return (await vscode.commands.executeCommand<boolean>(CommandIds.chooseModel)) ? pick : undefined;
    if (pick === 'Open Settings') {
      // A limit that passed is changed under ducktrace.model; an endpoint that cannot be reached under ducktrace.openai.
      const section = error.kind === 'timeout' || error.kind === 'tooLarge' ? 'ducktrace.model' : 'ducktrace.openai';
      await vscode.commands.executeCommand('workbench.action.openSettings', section);
    }
    return undefined;
  }

  /** "Ducktrace: Choose Model": VS Code's models, or an OpenAI-compatible endpoint. True when one was chosen. */
  async choose(): Promise<boolean> {
    type Item = vscode.QuickPickItem & { modelId?: string; endpoint?: true };
    const models = await this.languageModels();
    const current = modelSettings();
    const items: Item[] = [
      ...(models.length ? [{ label: "VS Code's language models", kind: vscode.QuickPickItemKind.Separator } as Item] : []),
      ...models.map((m) => ({ label: m.name, description: `${m.vendor} · ${m.family}`, detail: `up to ${m.maxInputTokens.toLocaleString()} input tokens`, modelId: m.id, picked: current.languageModel === m.id })),
      { label: 'OpenAI-compatible endpoint', kind: vscode.QuickPickItemKind.Separator },
      {
        label: '$(server) OpenAI-compatible endpoint…',
        description: current.openai.baseUrl ? `${current.openai.model} at ${current.openai.baseUrl}` : 'OpenAI, Azure OpenAI, Ollama, LM Studio, vLLM, llama.cpp',
        endpoint: true,
      },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Ducktrace: Choose Model', placeHolder: models.length ? 'Pick the model that explains failing tests' : 'No VS Code language model is available; set up an endpoint' });
    if (!pick) return false;
    const config = vscode.workspace.getConfiguration('ducktrace');
    if (pick.modelId) {
      await config.update('model.provider', 'languageModelApi', vscode.ConfigurationTarget.Global);
      await config.update('model.languageModel', pick.modelId, vscode.ConfigurationTarget.Global);
      this.log.info(`Model: ${pick.label} (Language Model API)`);
      return true;
    }
    const baseUrl = await vscode.window.showInputBox({
      title: 'OpenAI-compatible endpoint: base URL',
      value: current.openai.baseUrl || 'http://localhost:11434/v1',
      prompt: 'Usually ends in /v1, e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), http://localhost:1234/v1 (LM Studio). For Azure, the resource endpoint.',
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'Enter an http:// or https:// URL'),
    });
    if (!baseUrl) return false;
    const model = await vscode.window.showInputBox({ title: 'OpenAI-compatible endpoint: model', value: current.openai.model, prompt: 'The model name the server knows (Azure: the deployment name)', validateInput: (v) => (v.trim() ? undefined : 'Enter a model name') });
    if (!model) return false;
    await config.update('openai.baseUrl', baseUrl.trim(), vscode.ConfigurationTarget.Global);
    await config.update('openai.model', model.trim(), vscode.ConfigurationTarget.Global);
    await config.update('model.provider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
    this.log.info(`Model: ${model.trim()} at ${baseUrl.trim()}`);
    if (!(await this.secrets.get(apiKeySecret))) {
      const next = await vscode.window.showInformationMessage('Does this endpoint need an API key? Local servers such as Ollama and LM Studio usually do not.', 'Set API Key', 'No Key Needed');
      if (next === 'Set API Key') await this.setApiKey();
    }
    return true;
  }

  /** The stored key, so prompts can be checked never to contain it. */
  async storedApiKey(): Promise<string | undefined> {
    return this.secrets.get(apiKeySecret);
  }

  /** True when a key was stored. */
  async setApiKey(): Promise<boolean> {
    const key = await vscode.window.showInputBox({ title: 'Ducktrace: API key for the OpenAI-compatible endpoint', password: true, ignoreFocusOut: true, prompt: 'Stored in VS Code\'s secret storage; never written to settings or logs.' });
    if (key === undefined) return false;
    if (key.trim() === '') {
      await this.secrets.delete(apiKeySecret);
      void vscode.window.showInformationMessage('Ducktrace: API key removed.');
      return false;
    }
    await this.secrets.store(apiKeySecret, key.trim());
    this.log.info('API key stored in secret storage.');
    void vscode.window.showInformationMessage('Ducktrace: API key saved in VS Code\'s secret storage.');
    return true;
  }

  async clearApiKey(): Promise<void> {
    await this.secrets.delete(apiKeySecret);
    this.log.info('API key removed from secret storage.');
    void vscode.window.showInformationMessage('Ducktrace: API key removed.');
  }

  private async languageModels(): Promise<vscode.LanguageModelChat[]> {
    try {
      return await vscode.lm.selectChatModels();
    } catch (err) {
      this.log.warn(`Listing VS Code language models failed: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }
}
