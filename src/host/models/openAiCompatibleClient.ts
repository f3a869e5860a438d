// Any OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI, Ollama, LM Studio, vLLM, llama.cpp
// server) through the `openai` package: streaming, structured output where the server takes it,
// `max_tokens` on every request, and every failure turned into a ModelError a user can act on.
//
// Every request lives within one budget (src/core/modelBudget.ts): first byte, idle time, total
// time and size. The package's own retries and timeout are switched off (they would multiply the
// budget: retries × timeout); this client retries 429, 5xx and reset connections itself, with the
// server's retry-after, out of the same total time, and never after the answer has started.
import OpenAI, { AzureOpenAI } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { Stream } from 'openai/streaming';
import { modelLimits, RequestWatch, streamCutError, DEFAULT_MAX_INPUT_TOKENS, type ModelLimits } from '../../core/modelBudget';
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
  /** The whole request's budget, retries included (default 120 s). */
  readonly timeoutMs?: number;
  /** Retries on 429/5xx/reset connections, honouring retry-after, within the same budget. */
  readonly maxRetries?: number;
  /** The rest of the budget: first byte, idle, reply cap, output tokens, and their names. */
  readonly limits?: Partial<ModelLimits>;
  /** What the model takes in (0 or absent: 16,000); the pipeline fits the prompt to it. */
  readonly maxInputTokens?: number;
}

/** The parameter that limits the answer's tokens: OpenAI's reasoning models take only the newer one. */
type TokenParam = 'max_tokens' | 'max_completion_tokens';

export class OpenAiCompatibleClient implements ModelClient {
  private readonly client: OpenAI;
  private readonly limits: ModelLimits;
  private readonly maxRetries: number;
  /** Servers that reject `response_format: json_schema` are asked in plain text from then on. */
  private structuredOutput = true;
  private tokenParam: TokenParam;

  constructor(private readonly endpoint: OpenAiEndpoint) {
    this.limits = modelLimits({ ...endpoint.limits, ...(endpoint.timeoutMs ? { totalMs: endpoint.timeoutMs } : {}) });
    this.maxRetries = Math.max(0, endpoint.maxRetries ?? 2);
    this.tokenParam = tokenParamFor(endpoint.model);
    // The budget is enforced here: the package neither retries nor keeps its own clock.
    const common = { apiKey: endpoint.apiKey || 'not-needed', timeout: Math.ceil(this.limits.totalMs) + 1000, maxRetries: 0 };
    this.client = endpoint.azureApiVersion
      ? new AzureOpenAI({ ...common, endpoint: endpoint.baseUrl, apiVersion: endpoint.azureApiVersion, deployment: endpoint.model })
      : new OpenAI({ ...common, baseURL: normaliseBaseUrl(endpoint.baseUrl), organization: endpoint.organization || null });
  }

  get description(): string {
    return `${this.endpoint.model} at ${this.endpoint.baseUrl}`;
  }

  get maxInputTokens(): number {
    return this.endpoint.maxInputTokens && this.endpoint.maxInputTokens > 0 ? this.endpoint.maxInputTokens : DEFAULT_MAX_INPUT_TOKENS;
  }

  get maxOutputTokens(): number {
    return this.limits.maxOutputTokens;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    if (request.signal?.aborted) throw new ModelError('cancelled', 'The request was cancelled.');
    const watch = new RequestWatch(this.limits, `The model server at ${this.endpoint.baseUrl}`, request.signal, { http: true });
    let useSchema = !!request.schema && this.structuredOutput;
    let tokenParamSwitched = false;
    let retries = 0;
    try {
      for (;;) {
        try {
          return await this.attempt(request, useSchema, watch);
        } catch (err) {
          const error = this.toModelError(err, watch);
          // Some servers do not take json_schema: ask again without it (from now on).
          if (useSchema && error.status === 400 && /response_format|json_schema|schema/i.test(error.message) && !/max_(completion_)?tokens/.test(error.message)) {
            this.structuredOutput = useSchema = false;
            continue;
          }
          // max_tokens or max_completion_tokens refused: the other one, once.
          if (!tokenParamSwitched && error.status === 400 && rejectsParam(error.message, this.tokenParam)) {
            tokenParamSwitched = true;
            this.tokenParam = this.tokenParam === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
            continue;
          }
          // Retry only before any of the answer was shown: a retry would repeat it.
          if (retries < this.maxRetries && watch.textBytes === 0 && isRetryable(error, err)) {
            const wait = retryDelayMs(err, retries);
            if (!(await watch.pause(wait))) throw outOfBudget(error, wait, watch);
            retries++;
            continue;
          }
          throw error;
        }
      }
    } catch (err) {
      throw this.toModelError(err, watch);
    } finally {
      watch.dispose();
    }
  }

  private async attempt(request: ChatRequest, useSchema: boolean, watch: RequestWatch): Promise<ChatResult> {
    const maxOutputTokens = request.maxOutputTokens ?? this.limits.maxOutputTokens;
    const params: ChatCompletionCreateParamsStreaming = {
      model: this.endpoint.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      stream_options: { include_usage: true },
      [this.tokenParam]: maxOutputTokens,
      ...(useSchema && request.schema
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.schema.name, schema: request.schema.schema, strict: false } } }
        : {}),
    };
    watch.attempt();
    const response = await watch.race(
      this.client.chat.completions.create(params, { signal: watch.signal, maxRetries: 0, timeout: Math.ceil(watch.remainingMs()) + 1000 }).asResponse(),
    );
    watch.accepted();
    if (!response.body) throw streamCutError(this.endpoint.baseUrl, 0, 'the response had no body');
    const seen = { head: '', tail: '', done: false };
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          watch.received(chunk.byteLength);
          const text = new TextDecoder().decode(chunk.subarray(0, 512));
          if (seen.head.length < 200) seen.head += text.slice(0, 200 - seen.head.length);
          // `data: [DONE]` may straddle two chunks: look at the end of the last one too.
          const around = seen.tail + new TextDecoder().decode(chunk.subarray(Math.max(0, chunk.byteLength - 64)));
          if (/data: ?\[DONE\]/.test(around) || /data: ?\[DONE\]/.test(text)) seen.done = true;
          seen.tail = around.slice(-32);
          controller.enqueue(chunk);
        },
      }),
    );
    // A JSON body where a stream was asked for; anything else is read as server-sent events (some
    // servers label them text/plain), and a body with no events in it is reported as such.
    const contentType = response.headers.get('content-type') ?? '';
    if (/json/i.test(contentType)) return this.jsonBody(await watch.race(new Response(counted).text()), request, watch, useSchema);

    const stream = Stream.fromSSEResponse<ChatCompletionChunk>(new Response(counted, { status: response.status, headers: response.headers }), new AbortController());
    const chunks = stream[Symbol.asyncIterator]();
    let text = '';
    let usage: ChatResult['usage'];
    let model = this.endpoint.model;
    let finish: string | undefined;
    let events = 0;
    for (;;) {
      const next = await watch.race(chunks.next());
      if (next.done) break;
      const chunk = next.value;
      events++;
      if (!chunk || typeof chunk !== 'object' || !Array.isArray(chunk.choices)) {
        throw new ModelError('malformed', `The model server at ${this.endpoint.baseUrl} sent a stream chunk that is not in the OpenAI format (${firstBytes(JSON.stringify(chunk) ?? String(chunk))}).`);
      }
      model = chunk.model || model;
      const choice = chunk.choices[0];
      const delta = choice?.delta?.content ?? choice?.delta?.tool_calls?.map((t) => t.function?.arguments ?? '').join('') ?? '';
      if (delta) {
        watch.text(delta);
        watch.check();
        text += delta;
        request.onText?.(delta);
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
    }
    // An abort can end the stream quietly: a stopped answer is never returned as complete.
    watch.check();
    if (!finish && !seen.done) {
      if (events === 0 && watch.rawBytes > 0) {
        const type = contentType ? `${contentType.split(';')[0]}, ` : '';
        throw new ModelError('malformed', `The model server at ${this.endpoint.baseUrl} sent no OpenAI stream events (${type}${firstBytes(seen.head)}). Check the base URL (it usually ends in /v1).`);
      }
      throw streamCutError(this.endpoint.baseUrl, watch.textBytes);
    }
    return { text, structured: useSchema, usage, model, ...(finish === 'length' ? { truncated: true } : {}) };
  }

  /** A JSON body where a stream was asked for: a server that does not stream, or a broken one. */
  private jsonBody(body: string, request: ChatRequest, watch: RequestWatch, useSchema: boolean): ChatResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new ModelError(
        'malformed',
        `The model server at ${this.endpoint.baseUrl} sent an invalid JSON body (${firstBytes(body)}) instead of a chat completion. Check the base URL (it usually ends in /v1) and the server's log.`,
      );
    }
    const completion = parsed as { model?: unknown; error?: { message?: unknown }; choices?: { message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] }; finish_reason?: unknown }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } };
    if (completion?.error) {
      throw new ModelError('other', `The model server at ${this.endpoint.baseUrl} answered with an error: ${firstBytes(typeof completion.error.message === 'string' ? completion.error.message : JSON.stringify(completion.error))}`);
    }
    const message = Array.isArray(completion?.choices) ? completion.choices[0]?.message : undefined;
    if (!message) {
      throw new ModelError('malformed', `The model server at ${this.endpoint.baseUrl} sent a JSON body that is not a chat completion (${firstBytes(body)}). Check the base URL (it usually ends in /v1).`);
    }
    const text = typeof message.content === 'string' ? message.content : (message.tool_calls ?? []).map((t) => (typeof t.function?.arguments === 'string' ? t.function.arguments : '')).join('');
    watch.text(text);
    watch.check();
    if (text) request.onText?.(text);
    const usage = completion.usage && typeof completion.usage.prompt_tokens === 'number' ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens ?? 0 } : undefined;
    return { text, structured: useSchema, usage, model: typeof completion.model === 'string' ? completion.model : this.endpoint.model, ...(completion.choices?.[0]?.finish_reason === 'length' ? { truncated: true } : {}) };
  }

  private toModelError(err: unknown, watch: RequestWatch): ModelError {
    // A limit that passed (or the caller's cancel) explains whatever the abort looked like.
    if (watch.error) return watch.error;
    if (err instanceof ModelError) return err;
    const where = this.endpoint.baseUrl;
    if (err instanceof OpenAI.APIUserAbortError) return new ModelError('cancelled', 'The request was cancelled.');
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new ModelError('timeout', `The model at ${where} did not answer within ${Math.round(this.limits.totalMs / 1000)} s. Retry, or raise ${this.limits.names.total}.`, undefined, 'Open Settings');
    }
    if (err instanceof OpenAI.APIConnectionError) {
      const cause = causeOf(err);
      if (/other side closed|ECONNRESET|socket hang up|EPIPE/i.test(cause)) {
        return new ModelError('connection', `The model server at ${where} closed the connection before answering (${cause}). Retry; if it keeps happening, look at the server's log.`);
      }
      return new ModelError('connection', `Cannot reach the model server at ${where} (${cause}). Is it running, and is the base URL right?`, undefined, 'Open Settings');
    }
    if (err instanceof OpenAI.APIError && err.status !== undefined) {
      const status = err.status;
      const detail = apiMessage(err);
      if (status === 401 || status === 403) {
        return new ModelError('auth', `The model server at ${where} refused the API key (${status}${detail ? `: ${detail}` : ''}).`, status, 'Set API Key');
      }
      if (status === 404) {
        return new ModelError('notFound', `The model "${this.endpoint.model}" was not found at ${where}${detail ? ` (${detail})` : ''}. Check the model name and the base URL (it usually ends in /v1).`, status, 'Choose Model');
      }
      if (status === 429) return new ModelError('rateLimited', `The model server at ${where} is rate-limiting requests (429${detail ? `: ${detail}` : ''}) and kept doing so after retries. Try again later.`, status);
      if (status === 400 && /context.length|maximum context|too many tokens|context_length_exceeded/i.test(`${detail} ${String(err.code ?? '')}`)) {
        return new ModelError('contextLength', `The prompt is longer than the model's context window${detail ? ` (${detail})` : ''}.`, status);
      }
      if (status >= 500) return new ModelError('server', `The model server at ${where} failed (${status}${detail ? `: ${detail}` : ''}). Try again.`, status);
      return new ModelError('other', `The model server at ${where} answered ${status}${detail ? `: ${detail}` : ''}.`, status);
    }
    if (err instanceof OpenAI.APIError) {
      // An error event inside the stream (`data: {"error": …}`).
      return new ModelError('server', `The model server at ${where} reported an error in the middle of its answer: ${apiMessage(err) || err.message}`);
    }
    if (err instanceof SyntaxError) {
      return new ModelError('malformed', `The model server at ${where} sent a stream that is not in the OpenAI format (${firstBytes(err.message)}).`);
    }
    // undici: a body cut mid-way is "TypeError: terminated" (cause: "other side closed").
    if (err instanceof Error && (/terminated|other side closed|ECONNRESET|socket hang up|aborted/i.test(`${err.message} ${causeOf(err)}`))) {
      return streamCutError(where, watch.textBytes, causeOf(err) !== err.message ? causeOf(err) : undefined);
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

/**
 * The documented rule: OpenAI's reasoning models (o1, o3, o4-mini, gpt-5, …) refuse `max_tokens`
 * and take `max_completion_tokens`; every other server takes `max_tokens`. A server that refuses
 * the one chosen gets the other, once (see `chat`).
 */
export function tokenParamFor(model: string): TokenParam {
  return /^(?:openai\/)?(?:o\d|gpt-5)/i.test(model.trim()) ? 'max_completion_tokens' : 'max_tokens';
}

function rejectsParam(message: string, param: TokenParam): boolean {
  return message.includes(param) && /unsupported|not supported|unrecognized|unknown (?:parameter|field|argument)|not permitted|not allowed|use 'max_/i.test(message);
}

function isRetryable(error: ModelError, cause: unknown): boolean {
  if (error.status !== undefined) return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
  // A reset or cut connection may be a passing thing; a refused one or an unknown host is not.
  if (error.kind !== 'connection') return false;
  return !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|certificate|CERT_/i.test(`${cause instanceof Error ? causeOf(cause) : ''} ${error.message}`);
}

/** retry-after-ms or retry-after (seconds or a date) when the server gives one, else a short backoff. */
function retryDelayMs(err: unknown, retriesSoFar: number): number {
  const headers = err instanceof OpenAI.APIError ? (err.headers as Headers | undefined) : undefined;
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers?.get('retry-after');
  if (after) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return Math.min(8000, 500 * 2 ** retriesSoFar) * (1 - Math.random() * 0.25);
}

function outOfBudget(error: ModelError, waitMs: number, watch: RequestWatch): ModelError {
  const left = Math.round(watch.remainingMs() / 100) / 10;
  return new ModelError(
    error.kind,
    `${error.message.replace(/ and kept doing so after retries\. Try again later\.$/, '.')} It asked to wait ${Math.round(waitMs / 100) / 10} s before trying again, more than the ${left} s left of the request's budget (${watch.limits.names.total}); try again later.`,
    error.status,
    error.nextAction,
  );
}

/** The start of a body or stream, quoted for a message. */
function firstBytes(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return 'an empty body';
  return `it starts: "${flat.length > 80 ? `${flat.slice(0, 80)}…` : flat}"`;
}

function apiMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const e = err.error as { message?: unknown } | undefined;
  return typeof e?.message === 'string' ? e.message : '';
}

/** The innermost cause's code or message: "ECONNREFUSED", "other side closed", not "fetch failed". */
function causeOf(err: Error): string {
  let inner: { code?: unknown; message?: unknown; cause?: unknown } = err;
  for (let depth = 0; depth < 5 && inner.cause && typeof inner.cause === 'object'; depth++) inner = inner.cause as typeof inner;
  if (inner === err) return err.message;
  const code = typeof inner.code === 'string' && !inner.code.startsWith('UND_ERR') ? inner.code : undefined;
  return code ?? (typeof inner.message === 'string' && inner.message ? inner.message : err.message);
}
