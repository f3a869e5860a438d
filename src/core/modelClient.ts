// The port through which the pipeline talks to a language model. Implemented in the host (any
// OpenAI-compatible endpoint) and in the editor (VS Code's Language Model API); the core only
// sees this interface, so its tests use a scripted double.

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** A JSON schema the answer should follow, where the model supports structured output. */
  readonly schema?: { readonly name: string; readonly schema: Record<string, unknown> };
  /** Called with each piece of text as it streams in. */
  readonly onText?: (delta: string) => void;
  readonly signal?: AbortSignal;
  /** Overrides the client's own limit on the answer's length (in tokens) for this request. */
  readonly maxOutputTokens?: number;
}

export interface ChatResult {
  readonly text: string;
  /** Whether the answer was produced under the JSON schema (structured output). */
  readonly structured: boolean;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
  readonly model: string;
  /** The model stopped at the output-token limit: the text is complete as sent, but cut short. */
  readonly truncated?: boolean;
}

export interface ModelClient {
  /** A short human name, e.g. "gpt-4o-mini at http://localhost:11434/v1". */
  readonly description: string;
  /** How many tokens the model takes in, where known (VS Code's models, or a setting). */
  readonly maxInputTokens?: number;
  /** The limit on the answer's tokens the client asks for (`max_tokens`), where it can ask. */
  readonly maxOutputTokens?: number;
  /**
   * One request within one budget (first byte, idle, total time and size; see modelBudget.ts):
   * resolves with the whole answer or rejects with a ModelError, never waits past the budget.
   */
  chat(request: ChatRequest): Promise<ChatResult>;
}

export type ModelErrorKind =
  | 'auth' // 401/403: missing, wrong or unauthorised key
  | 'notFound' // unknown model or wrong base URL
  | 'rateLimited' // 429 that outlasted the retries
  | 'server' // 5xx
  | 'timeout'
  | 'connection' // refused, reset, DNS
  | 'contextLength' // the prompt does not fit
  | 'cancelled'
  | 'malformed' // a stream or body that is not the protocol
  | 'tooLarge' // the answer passed the reply cap
  | 'other';

/** A model failure with a message a user can act on. Never carries the API key. */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly status?: number,
    /** What the user can do next, e.g. "Set API Key". */
    readonly nextAction?: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
