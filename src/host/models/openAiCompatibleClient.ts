// Any OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI, Ollama, LM Studio, vLLM, llama.cpp
// server) through the `openai` package: streaming, structured output where the server takes it,
// and every failure turned into a ModelError a user can act on.
import OpenAI, { AzureOpenAI } from 'openai';
import { ModelError, type ChatRequest, type ChatResult, type ModelClient } from '../../core/modelClient';

export interface OpenAiEndpoint {
  /** Base URL ending in /v1 (Azure: the resource endpoint, e.g. https://name.openai.azure.com). */
  readonly baseUrl: string;
  readonly model: string;
  /** Empty for servers that need none (Ollama, LM Studio); the package insists on some value. */
  readonly apiKey?: string;
  readonly organization?: string;
  /** Set for Azure OpenAI: the API version, e.g. 2024-10-21. `model` is then the deployment. */
  readonly azureApiVersion?: string;
  readonly timeoutMs?: number;
  /** Retries on 429/5xx/connection errors, honouring retry-after (bounded). */
  readonly maxRetries?: number;
}

export class OpenAiCompatibleClient implements ModelClient {
  private readonly client: OpenAI;
  /** Servers that reject `response_format: json_schema` are asked in plain text from then on. */
  private structuredOutput = true;

  constructor(private readonly endpoint: OpenAiEndpoint) {
    const common = {
      apiKey: endpoint.apiKey || 'not-needed',
      timeout: endpoint.timeoutMs ?? 120_000,
      maxRetries: endpoint.maxRetries ?? 2,
    };
    this.client = endpoint.azureApiVersion
      ? new AzureOpenAI({ ...common, endpoint: endpoint.baseUrl, apiVersion: endpoint.azureApiVersion, deployment: endpoint.model })
      : new OpenAI({ ...common, baseURL: normaliseBaseUrl(endpoint.baseUrl), organization: endpoint.organization || null });
  }

  get description(): string {
    return `${this.endpoint.model} at ${this.endpoint.baseUrl}`;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
    const useSchema = !!request.schema && this.structuredOutput;
    try {
      return await this.stream(request, useSchema);
    } catch (err) {
      const error = this.toModelError(err, request.signal);
      // Some servers do not take json_schema; ask again without it once.
      if (useSchema && error.kind === 'other' && error.status === 400 && /response_format|json_schema|schema/i.test(error.message)) {
        this.structuredOutput = false;
        return this.stream(request, false).catch((e) => {
          throw this.toModelError(e, request.signal);
        });
      }
      throw error;
    }
  }

  private async stream(request: ChatRequest, useSchema: boolean): Promise<ChatResult> {
    const stream = await this.client.chat.completions.create(
      {
        model: this.endpoint.model,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        stream: true,
        stream_options: { include_usage: true },
        ...(request.maxOutputTokens ? { max_tokens: request.maxOutputTokens } : {}),
        ...(useSchema && request.schema
          ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.schema.name, schema: request.schema.schema, strict: false } } }
          : {}),
      },
      { signal: request.signal },
    );
    let text = '';
    let usage: ChatResult['usage'];
    let model = this.endpoint.model;
    for await (const chunk of stream) {
      if (request.signal?.aborted) break;
      if (!chunk || typeof chunk !== 'object' || !Array.isArray(chunk.choices)) {
        throw new ModelError('malformed', 'The model server sent a stream chunk that is not in the OpenAI format.');
      }
      model = chunk.model || model;
      const choice = chunk.choices[0];
      const delta = choice?.delta?.content ?? choice?.delta?.tool_calls?.map((t) => t.function?.arguments ?? '').join('') ?? '';
      if (delta) {
        text += delta;
        request.onText?.(delta);
      }
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
    }
    // An abort can end the stream quietly; a cancelled answer is never returned as complete.
    if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
    return { text, structured: useSchema, usage, model };
  }

  private toModelError(err: unknown, signal: AbortSignal | undefined): ModelError {
    if (err instanceof ModelError) return err;
    const where = this.endpoint.baseUrl;
    if (signal?.aborted || err instanceof OpenAI.APIUserAbortError) return new ModelError('cancelled', 'The request was cancelled.');
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new ModelError('timeout', `The model at ${where} did not answer in time.`, undefined, 'Retry, or raise the timeout in settings');
    }
    if (err instanceof OpenAI.APIConnectionError) {
      return new ModelError('connection', `Cannot reach the model server at ${where} (${causeOf(err)}). Is it running, and is the base URL right?`, undefined, 'Open Settings');
    }
    if (err instanceof OpenAI.APIError) {
      const status = err.status;
      const detail = apiMessage(err);
      if (status === 401 || status === 403) {
        return new ModelError('auth', `The model server at ${where} refused the API key (${status}${detail ? `: ${detail}` : ''}).`, status, 'Set API Key');
      }
      if (status === 404) {
        return new ModelError('notFound', `The model "${this.endpoint.model}" was not found at ${where}${detail ? ` (${detail})` : ''}. Check the model name and the base URL (it usually ends in /v1).`, status, 'Choose Model');
      }
      if (status === 429) return new ModelError('rateLimited', `The model server at ${where} is rate-limiting requests and kept doing so after retries. Try again later.`, status);
      if (status === 400 && /context.length|maximum context|too many tokens|context_length_exceeded/i.test(`${detail} ${String((err as { code?: unknown }).code ?? '')}`)) {
        return new ModelError('contextLength', `The prompt is longer than the model's context window${detail ? ` (${detail})` : ''}.`, status);
      }
      if (status !== undefined && status >= 500) return new ModelError('server', `The model server at ${where} failed (${status}${detail ? `: ${detail}` : ''}). Try again.`, status);
      return new ModelError('other', `The model server at ${where} answered ${status ?? 'an error'}${detail ? `: ${detail}` : ''}.`, status);
    }
    if (err instanceof SyntaxError || (err instanceof Error && /JSON|Unexpected token|stream/i.test(err.message))) {
      return new ModelError('malformed', `The model server at ${where} sent a reply that is not in the OpenAI format (${err.message}).`);
    }
    return new ModelError('other', `The model request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Accepts base URLs with or without the trailing slash; adds /v1 to a bare host:port. */
export function normaliseBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  try {
    const parsed = new URL(trimmed);
    if (parsed.pathname === '' || parsed.pathname === '/') return `${trimmed}/v1`;
  } catch {
    // left for the client to report
  }
  return trimmed;
}

function apiMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const e = err.error as { message?: unknown } | undefined;
  return typeof e?.message === 'string' ? e.message : '';
}

function causeOf(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
