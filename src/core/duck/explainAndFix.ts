// One round of the rubber duck: build the prompt, stream the model's answer (verdicts surface as
// they arrive), parse it, and turn its fix into the new file text. A reply that cannot be used gets
// one re-ask that quotes the problem (Aider's way); a prompt too long for the model is shrunk and
// sent once more. Pure orchestration over the ModelClient port: no editor, no file system.
import { ModelError, type ChatMessage, type ModelClient } from '../modelClient';
import type { Diagnosis, BlockVerdict } from './diagnosis';
import type { SourceParser } from '../blocks/syntaxNode';
import type { LineRange } from './fixApplier';
import { applyFixInScope, type ScopedFixTarget } from './fixScope';
import { buildPrompt, diagnosisJsonSchema, type PromptInput, type PromptOptions, type PromptStats, DEFAULT_MAX_TOKENS, DEFAULT_MAX_TRACE_TOKENS } from './prompt';
import { parseReply } from './replyParser';
import { StreamingVerdictReader } from './streamingVerdicts';

export interface ExplainRequest {
  readonly model: ModelClient;
  readonly prompt: PromptInput;
  /** The whole file holding the target function, as it is now. */
  readonly fileText: string;
  readonly target: ScopedFixTarget;
  /** Parses the file before and after the fix: a fix must parse and change only the target. */
  readonly parser: SourceParser;
  readonly promptOptions?: PromptOptions;
  /** Replies above this many UTF-8 bytes are refused unread (`ducktrace.model.maxReplyBytes`). */
  readonly maxReplyBytes?: number;
  /** What was tried before for this failure and why it did not work, told to the model. */
  readonly notes?: readonly string[];
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
  // The blocks as the prompt showed them: verdicts by number or by line are mapped onto them.
  const blocks = request.prompt.fn.blocks.map((b) => ({ id: b.id, startLine: b.range.start.line, endLine: b.range.end.line }));

  // The client says when the answer stopped at its output-token limit: such an answer is refused.
  let cutOff = false;
  const ask = async (): Promise<string> => {
    sent.push(...messages.filter((m) => !sent.includes(m)));
    onEvent?.({ type: 'prompt', messages, stats: built.stats });
    let text = '';
    let verdictCount = 0;
    const verdictReader = new StreamingVerdictReader(blocks);
    const result = await model.chat({
      messages,
      schema: { name: 'diagnosis', schema: diagnosisJsonSchema as unknown as Record<string, unknown> },
      signal,
      onText: (delta) => {
        text += delta;
        onEvent?.({ type: 'text', text });
        const verdicts = verdictReader.push(delta);
        if (verdicts.length > verdictCount) {
          verdictCount = verdicts.length;
          onEvent?.({ type: 'verdicts', verdicts });
        }
      },
    });
    tokens.input += result.usage?.inputTokens ?? 0;
    tokens.output += result.usage?.outputTokens ?? 0;
    modelName = result.model || modelName;
    cutOff = result.truncated === true;
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

    const parsed = parseReply(reply, { functionName: request.target.name, language: request.target.language, requireFix: true, blocks, maxReplyBytes: request.maxReplyBytes, cutOff });
    let problem: string | undefined;
    if (parsed.ok) {
      const { diagnosis } = parsed;
      onEvent?.({ type: 'verdicts', verdicts: diagnosis.verdicts });
      if (!diagnosis.fix) return { ok: true, diagnosis, outsideTarget: [], messages: sent, tokens, model: modelName };
      // Without the prompt's marker and value lines, only the target, and still parsing: fixScope.ts.
      const applied = await applyFixInScope(request.parser, request.fileText, request.target, diagnosis.fix);
      if (applied.ok) return { ok: true, diagnosis, newText: applied.text, outsideTarget: applied.outsideRanges, messages: sent, tokens, model: modelName };
      const why = applied.error;
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
