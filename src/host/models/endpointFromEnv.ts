// The CLI's model: an OpenAI-compatible endpoint and its limits from DUCKTRACE_* variables.
import type { LimitNames } from '../../core/modelBudget';
import type { OpenAiEndpoint } from './openAiCompatibleClient';

/** The variables that change each limit, named in the messages a limit gives. */
export const envNames: LimitNames = {
  total: 'DUCKTRACE_MODEL_TIMEOUT_SECONDS',
  maxOutputTokens: 'DUCKTRACE_MAX_OUTPUT_TOKENS',
  maxReplyBytes: 'DUCKTRACE_MAX_REPLY_BYTES',
};

/**
 * DUCKTRACE_BASE_URL and DUCKTRACE_MODEL (required), DUCKTRACE_API_KEY (local servers need none),
 * and the optional limits: DUCKTRACE_MODEL_TIMEOUT_SECONDS (the whole request, default 120),
 * DUCKTRACE_MAX_OUTPUT_TOKENS (4096), DUCKTRACE_MAX_INPUT_TOKENS (16000), DUCKTRACE_MAX_REPLY_BYTES
 * (1000000). What is missing or wrong comes back in words.
 */
export function endpointFromEnv(env: NodeJS.ProcessEnv): OpenAiEndpoint | string {
  const baseUrl = env.DUCKTRACE_BASE_URL?.trim();
  const model = env.DUCKTRACE_MODEL?.trim();
  const missing = [!baseUrl && 'DUCKTRACE_BASE_URL', !model && 'DUCKTRACE_MODEL'].filter(Boolean);
  if (missing.length) {
    return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Set DUCKTRACE_BASE_URL to an OpenAI-compatible endpoint (e.g. http://localhost:11434/v1), DUCKTRACE_MODEL to its model, and DUCKTRACE_API_KEY when it needs a key.`;
  }
  const numbers: Record<string, number> = {};
  for (const name of ['DUCKTRACE_MODEL_TIMEOUT_SECONDS', 'DUCKTRACE_MAX_OUTPUT_TOKENS', 'DUCKTRACE_MAX_INPUT_TOKENS', 'DUCKTRACE_MAX_REPLY_BYTES']) {
    const text = env[name]?.trim();
    if (!text) continue;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) return `${name} must be a positive number, not '${text}'.`;
    numbers[name] = n;
  }
  const limits = {
    ...(numbers.DUCKTRACE_MAX_OUTPUT_TOKENS ? { maxOutputTokens: Math.floor(numbers.DUCKTRACE_MAX_OUTPUT_TOKENS) } : {}),
    ...(numbers.DUCKTRACE_MAX_REPLY_BYTES ? { maxReplyBytes: Math.floor(numbers.DUCKTRACE_MAX_REPLY_BYTES) } : {}),
  };
  return {
    baseUrl: baseUrl!,
    model: model!,
    ...(env.DUCKTRACE_API_KEY ? { apiKey: env.DUCKTRACE_API_KEY } : {}),
    ...(numbers.DUCKTRACE_MODEL_TIMEOUT_SECONDS ? { timeoutMs: numbers.DUCKTRACE_MODEL_TIMEOUT_SECONDS * 1000 } : {}),
    ...(numbers.DUCKTRACE_MAX_INPUT_TOKENS ? { maxInputTokens: Math.floor(numbers.DUCKTRACE_MAX_INPUT_TOKENS) } : {}),
    // The names always: the CLI's messages point at its variables, not at editor settings.
    limits: { ...limits, names: envNames },
  };
}
