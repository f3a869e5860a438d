// One round of the rubber duck: build the prompt, stream the model's answer (verdicts surface as
// they arrive), parse it, and turn its fix into the new file text. A reply that cannot be used gets
// one re-ask that quotes the problem (Aider's way); a prompt too long for the model is shrunk and
// sent once more. Pure orchestration over the ModelClient port: no editor, no file system.
import { ModelError, type ChatMessage, type ModelClient } from '../modelClient';
import type { Diagnosis, BlockVerdict } from './diagnosis';
import { withoutListingLines } from './answerFormat';
import { applyFix, type FixTarget, type LineRange } from './fixApplier';
import { buildPrompt, diagnosisJsonSchema, type PromptInput, type PromptOptions, type PromptStats, DEFAULT_MAX_TOKENS, DEFAULT_MAX_TRACE_TOKENS } from './prompt';
import { parseReply } from './replyParser';
import { streamingVerdicts } from './streamingVerdicts';

export interface ExplainRequest {
  readonly model: ModelClient;
  readonly prompt: PromptInput;
  /** The whole file holding the target function, as it is now. */
  readonly fileText: string;
  readonly target: FixTarget;
  readonly promptOptions?: PromptOptions;
  /** What was tried before for this failure and why it did not work, told to the model. */
  readonly notes?: readonly string[];
  /** Checks the fixed file (e.g. that it still parses); a message makes the fix unusable. */
  readonly validate?: (newText: string) => Promise<string | undefined>;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ExplainEvent) => void;
}

export type ExplainEvent =
  | { readonly type: 'prompt'; readonly messages: readonly ChatMessage[]; readonly stats: PromptStats }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'verdicts'; readonly verdicts: readonly BlockVerdict[] }
  | { readonly type: 'retry'; readonly reason: string };

export interface ExplainSuccess {
  readonly ok: true;
  readonly diagnosis: Diagnosis;
  /** The file with the fix applied; absent when the model proposed no usable fix. */
  readonly newText?: string;
  /** Why the fix could not be applied, when the model gave one that did not fit. */
  readonly fixError?: string;
  readonly outsideTarget: readonly LineRange[];
  /** Every message sent, in order (the "Show prompt" view and the log show exactly these). */
  readonly messages: readonly ChatMessage[];
  readonly tokens: { readonly input: number; readonly output: number };
  readonly model: string;
}

export interface ExplainFailure {
  readonly ok: false;
  readonly kind: 'model' | 'reply' | 'cancelled';
  readonly error: string;
  readonly modelError?: ModelError;
  readonly messages: readonly ChatMessage[];
}

export type ExplainOutcome = ExplainSuccess | ExplainFailure;

export async function explainAndFix(request: ExplainRequest): Promise<ExplainOutcome> {
  const { model, signal, onEvent } = request;
  let options: PromptOptions = { ...request.promptOptions };
  let built = buildPrompt(request.prompt, options);
  const withNotes = (msgs: readonly { role: 'system' | 'user'; content: string }[]): ChatMessage[] => {
    const out: ChatMessage[] = msgs.map((m) => ({ role: m.role, content: m.content }));
    if (request.notes?.length) {
      out.push({ role: 'user', content: `Earlier attempts to fix this failure did not work:\n${request.notes.map((n) => `- ${n}`).join('\n')}\nTake this into account.` });
    }
    return out;
  };
  let messages: ChatMessage[] = withNotes(built.messages);
  const tokens = { input: 0, output: 0 };
  const sent: ChatMessage[] = [];
  let modelName = model.description;
  let shrunk = false;
  let reasked = false;

  const ask = async (): Promise<string> => {
    sent.push(...messages.filter((m) => !sent.includes(m)));
    onEvent?.({ type: 'prompt', messages, stats: built.stats });
    let text = '';
    let verdictCount = 0;
    const result = await model.chat({
      messages,
      schema: { name: 'diagnosis', schema: diagnosisJsonSchema as unknown as Record<string, unknown> },
      signal,
      onText: (delta) => {
        text += delta;
        onEvent?.({ type: 'text', text });
        if (delta.includes('}')) {
          const verdicts = streamingVerdicts(text);
          if (verdicts.length > verdictCount) {
            verdictCount = verdicts.length;
            onEvent?.({ type: 'verdicts', verdicts });
          }
        }
      },
    });
    tokens.input += result.usage?.inputTokens ?? 0;
    tokens.output += result.usage?.outputTokens ?? 0;
    modelName = result.model || modelName;
    return result.text;
  };

  for (;;) {
    let reply: string;
    try {
      reply = await ask();
    } catch (err) {
      const error = err instanceof ModelError ? err : new ModelError('other', err instanceof Error ? err.message : String(err));
      if (error.kind === 'contextLength' && !shrunk) {
        // Halve the budgets (the trace most) and try once more.
        shrunk = true;
        options = { ...options, maxTokens: Math.floor((options.maxTokens ?? DEFAULT_MAX_TOKENS) * 0.6), maxTraceTokens: Math.floor((options.maxTraceTokens ?? DEFAULT_MAX_TRACE_TOKENS) / 4) };
        built = buildPrompt(request.prompt, options);
        messages = withNotes(built.messages);
        onEvent?.({ type: 'retry', reason: 'The prompt was too long for the model; sending a shorter one.' });
        continue;
      }
      return { ok: false, kind: error.kind === 'cancelled' ? 'cancelled' : 'model', error: error.message, modelError: error, messages: sent };
    }

    const parsed = parseReply(reply, { functionName: request.target.name, language: request.target.language, requireFix: true });
    let problem: string | undefined;
    if (parsed.ok) {
      const { diagnosis } = parsed;
      onEvent?.({ type: 'verdicts', verdicts: diagnosis.verdicts });
      if (!diagnosis.fix) return { ok: true, diagnosis, outsideTarget: [], messages: sent, tokens, model: modelName };
      // The prompt's marker and value lines, copied into the fix, are not the user's code.
      const applied = applyFix(request.fileText, request.target, withoutListingLines(diagnosis.fix));
      const invalid = applied.ok ? await request.validate?.(applied.text) : undefined;
      if (applied.ok && !invalid) {
        return { ok: true, diagnosis, newText: applied.text, outsideTarget: applied.outsideRanges, messages: sent, tokens, model: modelName };
      }
      const why = applied.ok ? `the fixed code does not parse (${invalid})` : applied.error;
      problem = `The fix could not be applied to the file: ${why}`;
      if (reasked) return { ok: true, diagnosis, fixError: why, outsideTarget: [], messages: sent, tokens, model: modelName };
    } else {
      problem = parsed.error;
      if (reasked) return { ok: false, kind: 'reply', error: `The model's answer could not be used, even when asked again: ${parsed.error}`, messages: sent };
    }
    reasked = true;
    onEvent?.({ type: 'retry', reason: problem });
    messages = [
      ...messages,
      { role: 'assistant', content: reply },
      { role: 'user', content: `Your answer could not be used: ${problem}\nAnswer again, exactly in the required format, with the whole corrected function.` },
    ];
  }
}
