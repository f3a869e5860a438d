// The limits every model request lives within, and the watch that enforces them. One budget per
// request (one `ModelClient.chat` call): time to the first byte of the answer, idle time between
// streamed pieces, total time (retries included: the clock never restarts), and the answer's size.
// Both model clients (any OpenAI-compatible endpoint, VS Code's Language Model API) use the same
// watch, so they give up at the same points and say so in the same words. Pure: timers only.
import { ModelError } from './modelClient';

export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_REPLY_BYTES = 1_000_000;
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** The input limit assumed for an OpenAI-compatible endpoint when none is configured. */
export const DEFAULT_MAX_INPUT_TOKENS = 16_000;
/** The raw stream (protocol framing included) may be this many times the reply cap. */
const STREAM_OVERHEAD = 32;

/** What the user changes each limit by: setting names in the editor, variables for the CLI. */
export interface LimitNames {
  readonly total: string;
  readonly maxOutputTokens: string;
  readonly maxReplyBytes: string;
}

export const settingNames: LimitNames = {
  total: 'ducktrace.model.timeoutSeconds',
  maxOutputTokens: 'ducktrace.model.maxOutputTokens',
  maxReplyBytes: 'ducktrace.model.maxReplyBytes',
};

export interface ModelLimits {
  /** The whole request, retries and their waits included. */
  readonly totalMs: number;
  /** From sending the request to the first byte of the answer. */
  readonly firstByteMs: number;
  /** Between two streamed pieces of the answer. */
  readonly idleMs: number;
  /** The answer's text in UTF-8 bytes (the reply cap). */
  readonly maxReplyBytes: number;
  readonly maxOutputTokens: number;
  readonly names: LimitNames;
}

/**
 * Fills in the limits not given. The first byte may take half the total (a local model reading a
 * long prompt is slow to start) and a silence a quarter of it, at least one second each.
 */
export function modelLimits(given: Partial<ModelLimits> = {}): ModelLimits {
  const totalMs = positive(given.totalMs) ?? DEFAULT_MODEL_TIMEOUT_MS;
  return {
    totalMs,
    firstByteMs: Math.min(totalMs, positive(given.firstByteMs) ?? Math.max(1000, totalMs / 2)),
    idleMs: Math.min(totalMs, positive(given.idleMs) ?? Math.max(1000, totalMs / 4)),
    maxReplyBytes: positive(given.maxReplyBytes) ?? DEFAULT_MAX_REPLY_BYTES,
    maxOutputTokens: positive(given.maxOutputTokens) ?? DEFAULT_MAX_OUTPUT_TOKENS,
    names: given.names ?? settingNames,
  };
}

/**
 * The prompt's token budget for a model that takes `maxInputTokens`: room is left for the answer
 * (local servers share one context window between prompt and answer) and a tenth for the error
 * of the token estimate. Undefined when the model's limit is unknown (the prompt's default holds).
 */
export function promptTokenBudget(model: { readonly maxInputTokens?: number; readonly maxOutputTokens?: number }): number | undefined {
  const input = positive(model.maxInputTokens);
  if (!input) return undefined;
  const answer = Math.min(model.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, input / 4);
  return Math.max(1000, Math.floor((input - answer) * 0.9));
}

type Phase = 'sending' | 'accepted' | 'streaming';

/**
 * One request's budget, running. `signal` aborts when a limit passes or the caller cancels; `race`
 * ends any await at that moment with the ModelError that says which limit it was.
 */
export class RequestWatch {
  readonly signal: AbortSignal;
  /** UTF-8 bytes of answer text received. */
  textBytes = 0;
  /** Bytes of the stream itself (protocol framing included), where the client can see them. */
  rawBytes = 0;
  private readonly controller = new AbortController();
  private readonly started = Date.now();
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: ModelError) => void;
  private failure: ModelError | undefined;
  private phase: Phase = 'sending';
  private pieceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly totalTimer: ReturnType<typeof setTimeout>;
  private readonly onCallerAbort = () => this.fail(new ModelError('cancelled', 'The request was cancelled.'));

  /**
   * `where`: the model as a sentence's subject, e.g. "The model server at http://…/v1".
   * `http`: the request goes over HTTP, so "not even the response headers" means something.
   */
  constructor(
    readonly limits: ModelLimits,
    private readonly where: string,
    private readonly callerSignal?: AbortSignal,
    private readonly options: { readonly http?: boolean } = {},
  ) {
    this.signal = this.controller.signal;
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined); // observed through race()
    this.totalTimer = setTimeout(() => this.fail(this.totalError()), limits.totalMs);
    if (callerSignal?.aborted) this.onCallerAbort();
    else callerSignal?.addEventListener('abort', this.onCallerAbort);
  }

  /** The limit that stopped the request, or the caller's cancel. */
  get error(): ModelError | undefined {
    return this.failure;
  }

  remainingMs(): number {
    return Math.max(0, this.limits.totalMs - (Date.now() - this.started));
  }

  /** A request (or a retry) goes out: the first byte must come within the first-byte limit. */
  attempt(): void {
    this.phase = 'sending';
    this.arm(this.limits.firstByteMs, () => this.firstByteError());
  }

  /** The server accepted the request (status and headers) but the answer has not started. */
  accepted(): void {
    this.phase = 'accepted';
  }

  /** Some of the answer arrived (`raw`: stream bytes, where visible): the idle clock restarts. */
  received(raw = 0): void {
    if (this.failure) return;
    this.phase = 'streaming';
    this.rawBytes += raw;
    if (this.rawBytes > this.limits.maxReplyBytes * STREAM_OVERHEAD) {
      this.fail(this.sizeError(this.limits.maxReplyBytes * STREAM_OVERHEAD, 'of stream'));
      return;
    }
    this.arm(this.limits.idleMs, () => this.idleError());
  }

  /** Answer text arrived: counted against the reply cap. */
  text(delta: string): void {
    this.textBytes += utf8Length(delta);
    if (this.textBytes > this.limits.maxReplyBytes) this.fail(this.sizeError(this.limits.maxReplyBytes, ''));
  }

  /** Resolves with `promise`, or rejects the moment a limit passes (or the caller cancels). */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.race([promise, this.failed]);
  }

  /** Throws the ModelError of the limit that passed, if one did. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits before a retry; false (without waiting) when the wait would outlast the budget. */
  async pause(ms: number): Promise<boolean> {
    clearTimeout(this.pieceTimer);
    if (ms >= this.remainingMs()) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await this.race(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    } finally {
      clearTimeout(timer);
    }
    return true;
  }

  dispose(): void {
    clearTimeout(this.pieceTimer);
    clearTimeout(this.totalTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  /** How much of the answer came, for messages: "1.5 KB", "20 bytes". */
  receivedSize(): string {
    return formatBytes(this.textBytes);
  }

  private arm(ms: number, error: () => ModelError): void {
    clearTimeout(this.pieceTimer);
    this.pieceTimer = setTimeout(() => this.fail(error()), ms);
  }

  private fail(error: ModelError): void {
    if (this.failure) return;
    this.failure = error;
    this.dispose();
    this.controller.abort(error);
    this.rejectFailed(error);
  }

  private firstByteError(): ModelError {
    return this.silentError(this.limits.firstByteMs);
  }

  private silentError(ms: number): ModelError {
    const what =
      this.phase === 'accepted'
        ? 'the server accepted the request but sent nothing'
        : `the request was sent but nothing came back${this.options.http ? ', not even the response headers' : ''}`;
    return new ModelError(
      'timeout',
      `${this.where} sent no answer within ${formatSeconds(ms)} (${what}). It may be overloaded or still loading the model: retry, or raise ${this.limits.names.total}.`,
      undefined,
      'Open Settings',
    );
  }

  private idleError(): ModelError {
    return new ModelError(
      'timeout',
      `${this.where} stopped sending: nothing for ${formatSeconds(this.limits.idleMs)} after ${this.receivedSize()} of the answer (the stream stalled). Retry, or raise ${this.limits.names.total}.`,
      undefined,
      'Open Settings',
    );
  }

  private totalError(): ModelError {
    if (this.phase !== 'streaming') return this.silentError(this.limits.totalMs);
    return new ModelError(
      'timeout',
      `${this.where} kept streaming past ${formatSeconds(this.limits.totalMs)} (${this.receivedSize()} so far); stopped. Lower ${this.limits.names.maxOutputTokens}, or raise ${this.limits.names.total}.`,
      undefined,
      'Open Settings',
    );
  }

  private sizeError(cap: number, what: string): ModelError {
    return new ModelError(
      'tooLarge',
      `${this.where} kept streaming past ${formatBytes(cap)}${what ? ` ${what}` : ''} (the reply cap, ${this.limits.names.maxReplyBytes}); stopped. Lower ${this.limits.names.maxOutputTokens}, or raise the cap if the answers are really that long.`,
      undefined,
      'Open Settings',
    );
  }
}

/** The answer ended before it was complete: the message every client gives for a cut stream. */
export function streamCutError(where: string, textBytes: number, detail?: string): ModelError {
  return new ModelError(
    'connection',
    `The stream from ${where} stopped after ${formatBytes(textBytes)} (the connection closed before the answer was complete${detail ? `: ${detail}` : ''}). Retry; if it keeps happening, the server may be crashing or a proxy may cut long responses.`,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1024 * 1024) return `${trimNumber(bytes / 1024)} KB`;
  return `${trimNumber(bytes / (1024 * 1024))} MB`;
}

export function formatSeconds(ms: number): string {
  return `${trimNumber(ms / 1000)} s`;
}

function trimNumber(n: number): string {
  return n >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

function positive(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
