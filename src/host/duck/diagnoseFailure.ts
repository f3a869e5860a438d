// From one failing test to the model's diagnosis and the fixed file text: find the function to
// debug (or take the one the user named), cut it into blocks, trace it (when a tracer is given),
// and ask the duck. Every entry point goes through here (the editor's Explain and Fix and Iterate
// Until Green, the CLI's `explain` and `fix`, the @ducktrace chat participant; the agent tools
// share its first stage, `locateTarget`), each with its own ports (files from buffers or disk, a
// model, a tracer) and its own way of showing progress, so the guarantees hold for all of them:
// the target lies inside the workspace, never-send files are not sent, the workspace's .env
// values and the given secrets are redacted from everything sent, and a fix must still parse.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Block } from '../../core/blocks/basicBlocks';
import { BlocksError } from '../../core/blocks/blocksError';
import { blocksOfFunction } from '../../core/blocks/functionBlocks';
import { languageForFile } from '../../core/blocks/languages';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { matchesAnyGlob } from '../../core/glob';
import type { FailureLocation, Target, TargetConfidence } from '../../core/blocks/targetFinder';
import { explainAndFix, type ExplainEvent, type ExplainOutcome } from '../../core/duck/explainAndFix';
import type { PromptOptions, PromptTrace } from '../../core/duck/prompt';
import { redactSecrets } from '../../core/duck/redaction';
import { everyBlockCorrect } from '../../core/duck/replyParser';
import type { FixProposal } from '../../core/loop/iterateUntilGreen';
import { promptTokenBudget } from '../../core/modelBudget';
import type { ModelClient, ModelError } from '../../core/modelClient';
import { findTarget, type FindTargetRequest, type FoundTarget } from '../tracers/findTarget';
import { promptContext } from './promptContext';

/** A failing test (a TestFailure fits), or just a place (a file and line). */
export interface FailureToDiagnose extends FailureLocation {
  /** The runner's test id (`<absolute file>::<suite>::<name>`): selects the test to trace. */
  readonly testId?: string;
  readonly name?: string;
  readonly message?: string;
  readonly expected?: string;
  readonly actual?: string;
  /** The runner's own failure text: the exception's type is read from it. */
  readonly output?: string;
  /** The test's own source; found in the test file (with its suites and helpers) when absent. */
  readonly testSource?: string;
  /**
   * Not a failing test but an error the editor reports (a diagnostic) at `stack[0]`: the function
   * there is the target, and its message is what the model explains. `file`/`line` stay unset
   * (they name a test file, and there is no test).
   */
  readonly diagnostic?: { readonly message: string; readonly line: number; readonly source?: string };
}

export type DiagnoseEvent =
  | { readonly type: 'locating' }
  | {
      readonly type: 'target';
      readonly target: Target;
      readonly blocks: readonly Block[];
      readonly fileText: string;
      /** How sure the finder was ('high' for a named target); the other candidates, most likely first. */
      readonly confidence: TargetConfidence;
      readonly alternatives: readonly Target[];
    }
  | { readonly type: 'tracing' }
  | { readonly type: 'traced'; readonly trace: PromptTrace | undefined; readonly error?: string }
  | ExplainEvent;

/** A function the user names (`--target FILE:FUNCTION`): the target finder is skipped. */
export interface NamedTarget {
  /** Absolute, or relative to the first root. */
  readonly file: string;
  /** `gcd`, `Cart.total`, `outer.inner`; or a line number: the function holding that line. */
  readonly function: string;
}

export interface DiagnoseRequest {
  readonly failure: FailureToDiagnose;
  /** The function to blame, when the user named it; found from the failure otherwise. */
  readonly target?: NamedTarget;
  /** Workspace folders: the only places a target may be. */
  readonly roots: readonly string[];
  readonly files: SourceFiles;
  readonly parser: SourceParser;
  /**
   * Resolved once the target is known (so a missing model still shows the blocks) and before the
   * traced run (so a missing model is said at once, not after the test ran).
   */
  readonly model: () => Promise<ModelClient>;
  readonly trace?: (target: Target, blocks: readonly Block[], signal: AbortSignal | undefined) => Promise<PromptTrace | undefined>;
  /**
   * How to find the function when the failure does not name it: one run of the failing test that
   * says which workspace functions ran, made only when the code alone leaves the finder unsure
   * (leave it out where no test may run), and who chooses among candidates when it stays unsure
   * (the editor asks the user; without it the most likely candidate is taken).
   */
  readonly locate?: {
    readonly run?: FindTargetRequest['run'];
    /** How each test file fared in the run the failure comes from (the loop's last run): ranks the candidates when the finder is unsure. */
    readonly outcomes?: FindTargetRequest['outcomes'];
    readonly choose?: (found: FoundTarget) => Promise<Target | undefined>;
  };
  /** What was tried before for this failure and why it did not work (Iterate Until Green). */
  readonly notes?: readonly string[];
  /**
   * Functions already checked for this failure and found correct by the model: the finder's
   * candidates skip them, so the next likely function is asked about (Iterate Until Green).
   */
  readonly skip?: readonly Pick<Target, 'file' | 'functionName'>[];
  /** Files never to be sent to a model (globs); a target among them stops here with a message. */
  readonly neverSend?: readonly string[];
  /** Values to hide from the prompt besides those found in the roots' .env files (e.g. the API key). */
  readonly secretValues?: readonly string[];
  readonly promptOptions?: PromptOptions;
  /** Replies above this many UTF-8 bytes are refused unread (`ducktrace.model.maxReplyBytes`; default 1 MB). */
  readonly maxReplyBytes?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: DiagnoseEvent) => void;
}

/**
 * Why a diagnosis stopped before the model answered. `no-target`: no function of the workspace in
 * the failure; `not-sent`: the function may not be sent (neverSend, outside the workspace);
 * `named-target`: the function the user named is not there; `model`: the model could not be asked.
 */
export type DiagnoseStop = 'no-target' | 'not-chosen' | 'not-sent' | 'named-target' | 'unreadable' | 'model';

export type DiagnoseResult =
  | { readonly ok: false; readonly stage: 'target' | 'model'; readonly reason: DiagnoseStop; readonly error: string; readonly cause?: unknown; readonly target?: Target }
  | {
      readonly ok: true;
      readonly target: Target;
      readonly blocks: readonly Block[];
      readonly fileText: string;
      readonly trace?: PromptTrace;
      readonly outcome: ExplainOutcome;
      /** The finder's other candidates, most likely first (none for a named target). */
      readonly alternatives: readonly Target[];
    };

export async function diagnoseFailure(request: DiagnoseRequest): Promise<DiagnoseResult> {
  const { failure, files, parser, signal, onEvent } = request;
  const located = await locateTarget(request);
  if (!located.ok) return located;
  const { target, fileText, blocks, confidence, alternatives } = located;
  const neverSend = request.neverSend ?? [];
  onEvent?.({ type: 'target', target, blocks, fileText, confidence, alternatives });

  let model: ModelClient;
  try {
    model = await request.model();
  } catch (err) {
    return { ok: false, stage: 'model', reason: 'model', error: err instanceof Error ? err.message : String(err), cause: err, target };
  }

  // What the prompt reads from the workspace does not depend on the run: read it while the test runs.
  // The test as written, the failure without runner chatter, the function from its decorators on.
  // A diagnostic stands in for the test: its message is the failure, and there is no test source.
  const described = failure.diagnostic
    ? { ...failure, name: `no test: an error the editor reports at line ${failure.diagnostic.line}`, message: `${failure.diagnostic.source ? `${failure.diagnostic.source}: ` : ''}${failure.diagnostic.message}` }
    : failure;
  const contextRead = promptContext({ failure: described, target, fileText, files, parser, roots: request.roots, neverSend });
  const envRead = envFiles(files, request.roots);
  // Awaited below; a failure is not unhandled meanwhile.
  contextRead.catch(() => undefined);
  envRead.catch(() => undefined);

  let trace: PromptTrace | undefined;
  if (request.trace && !signal?.aborted) {
    onEvent?.({ type: 'tracing' });
    try {
      trace = await request.trace(target, blocks, signal);
      onEvent?.({ type: 'traced', trace });
    } catch (err) {
      // Without values the model still sees the blocks: go on, and say why.
      onEvent?.({ type: 'traced', trace: undefined, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const context = await contextRead;
  const redaction = { envTexts: await envRead, secretValues: request.secretValues, ...request.promptOptions?.redaction };
  const outcome = await explainAndFix({
    model,
    fileText,
    target: { name: target.functionName, range: target.range, language: target.language, file: target.file },
    prompt: {
      intent: context.intent,
      fn: { name: target.functionName, file: context.displayFile, language: target.language, range: target.range, source: fileText, firstLine: context.firstLine, blocks },
      trace,
    },
    // Notes quote test messages, which may hold the same secrets as the prompt.
    notes: request.notes?.map((n) => redactSecrets(n, redaction).text),
    // The prompt fits the chosen model's input limit, leaving room for the answer.
    promptOptions: { ...request.promptOptions, maxTokens: request.promptOptions?.maxTokens ?? promptTokenBudget(model), redaction },
    // A fix must parse and change only the target (plus new imports and helpers): explainAndFix checks.
    parser,
    maxReplyBytes: request.maxReplyBytes,
    signal,
    onEvent,
  });
  return { ok: true, target, blocks, fileText, trace, outcome, alternatives };
}

/** What the first stage needs: where to look, what was named, how to find it, and what may not be sent. */
export type LocateRequest = Pick<DiagnoseRequest, 'failure' | 'target' | 'roots' | 'files' | 'parser' | 'neverSend' | 'locate' | 'skip' | 'signal' | 'onEvent'>;

export type LocatedTarget =
  | {
      readonly ok: true;
      readonly target: Target;
      readonly fileText: string;
      readonly blocks: readonly Block[];
      /** How sure the finder was ('high' for a named target); the other candidates, most likely first. */
      readonly confidence: TargetConfidence;
      readonly alternatives: readonly Target[];
    }
  | { readonly ok: false; readonly stage: 'target'; readonly reason: Exclude<DiagnoseStop, 'model'>; readonly error: string; readonly target?: Target };

/**
 * The pipeline's first stage on its own: the function the failure points at (or the one named),
 * inside the workspace (symbolic links followed) and not a never-send file, with its text and
 * blocks. The agent tools (trace, suspicious blocks, a fix) start here too, without a model.
 */
export async function locateTarget(request: LocateRequest): Promise<LocatedTarget> {
  const { failure, files, parser, signal, onEvent } = request;
  let target: Target;
  let confidence: TargetConfidence = 'high';
  let alternatives: readonly Target[] = [];
  if (request.target) {
    const named = await namedTarget(request.target, request.roots, files, parser);
    if (typeof named === 'string') return { ok: false, stage: 'target', reason: 'named-target', error: named };
    target = named;
  } else {
    onEvent?.({ type: 'locating' });
    const run = request.locate?.run && { ...request.locate.run, signal };
    const outcomes = request.locate?.outcomes;
    const searched = await findTarget({ failure, roots: request.roots, files, parser, ...(run ? { run } : {}), ...(outcomes?.length ? { outcomes } : {}) });
    // Functions the model already found correct for this failure are not asked about again.
    const skipped = (c: Target) => (request.skip ?? []).some((s) => s.file === c.file && s.functionName === c.functionName);
    const found = { ...searched, candidates: searched.candidates.filter((c) => !skipped(c)) };
    const first = found.candidates[0];
    if (!first && found.candidates.length < searched.candidates.length) {
      return { ok: false, stage: 'target', reason: 'no-target', error: `The model found every function Ducktrace could blame for this failure correct (${searched.candidates.map((c) => c.functionName).join(', ')}).` };
    }
    if (!first) {
      return {
        ok: false,
        stage: 'target',
        reason: 'no-target',
        error: failure.diagnostic
          ? `Ducktrace found no function of this workspace at line ${failure.diagnostic.line}: it explains errors inside functions.`
          : `Ducktrace found no function of this workspace in the failure: the stack has no frame in your code and the test calls nothing it can resolve (a failure of the environment, the platform or the runtime version looks like this).${found.runProblem ? ` A run of the test did not help either: ${found.runProblem}.` : ''}`,
      };
    }
    confidence = found.confidence;
    let chosen: Target | undefined = first;
    if (found.confidence !== 'high' && found.candidates.length > 1 && request.locate?.choose) {
      chosen = await request.locate.choose(found);
      if (!chosen) return { ok: false, stage: 'target', reason: 'not-chosen', error: 'No function was chosen, so Ducktrace did not ask the model.' };
    }
    target = chosen;
    alternatives = found.candidates.filter((c) => c !== chosen && !(c.file === chosen!.file && c.functionName === chosen!.functionName));
  }
  // Model output may only ever change the target file, inside the workspace: no symlink escapes.
  if (!(await insideRoots(target.file, request.roots))) {
    return { ok: false, stage: 'target', reason: 'not-sent', error: `${target.file} resolves to a place outside the workspace (a symbolic link?), so Ducktrace will not propose changes to it.`, target };
  }
  if (matchesAnyGlob(target.file, request.neverSend ?? [])) {
    return { ok: false, stage: 'target', reason: 'not-sent', error: `${target.file} matches a neverSend pattern (ducktrace.privacy.neverSend), so Ducktrace does not send it to a model.`, target };
  }
  const fileText = await files.read(target.file);
  if (fileText === undefined) return { ok: false, stage: 'target', reason: 'unreadable', error: `Cannot read ${target.file}.`, target };
  try {
    const { blocks } = await blocksOfFunction(fileText, target.language, parser, { name: target.functionName });
    return { ok: true, target, fileText, blocks, confidence, alternatives };
  } catch (err) {
    if (err instanceof BlocksError) return { ok: false, stage: 'target', reason: 'unreadable', error: `${target.file}: ${err.message}`, target };
    throw err;
  }
}

/** The function the user named, as a Target; a message when the file or the function is not there. */
async function namedTarget(named: NamedTarget, roots: readonly string[], files: SourceFiles, parser: SourceParser): Promise<Target | string> {
  const file = isAbsolute(named.file) || !roots[0] ? resolve(named.file) : resolve(roots[0], named.file);
  const language = languageForFile(file);
  if (!language) return `${named.file}: not a Python, JavaScript, TypeScript or TSX file`;
  const text = await files.read(file);
  if (text === undefined) return `${named.file}: no such file`;
  try {
    const found = await blocksOfFunction(text, language, parser, /^\d+$/.test(named.function) ? { line: Number(named.function) } : { name: named.function });
    return { file, language, functionName: found.function.name, range: found.function.range };
  } catch (err) {
    if (err instanceof BlocksError) return `${named.file}: ${err.message}`;
    throw err;
  }
}

async function insideRoots(file: string, roots: readonly string[]): Promise<boolean> {
  const real = async (p: string) => realpath(p).catch(() => resolve(p));
  const target = await real(file);
  for (const root of roots) {
    const r = await real(root);
    const rel = relative(r, target);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return true;
  }
  return false;
}

/** The .env files of the workspace roots: their values are redacted from every prompt. */
async function envFiles(files: SourceFiles, roots: readonly string[]): Promise<string[]> {
  const names = ['.env', '.env.local', '.env.development', '.env.production', '.env.test'];
  const texts = await Promise.all(roots.flatMap((root) => names.map((n) => files.read(`${root.replace(/[\\/]$/, '')}/${n}`))));
  return texts.filter((t): t is string => typeof t === 'string');
}

/** The loop's view of a diagnosis: a fix to apply, a claim against the test, or why there is none. */
export function fixProposalOf(result: DiagnoseResult): FixProposal {
  if (!result.ok) {
    const reason = result.reason === 'model' ? 'model' : result.reason === 'no-target' || result.reason === 'named-target' || result.reason === 'not-chosen' ? 'no-target' : 'not-sent';
    return { ok: false, error: result.error, reason, ...(result.stage === 'model' ? { modelUnavailable: true } : {}) };
  }
  const { outcome } = result;
  if (!outcome.ok) return { ok: false, error: outcome.error, ...(outcome.modelError && modelUnavailable(outcome.modelError) ? { modelUnavailable: true } : {}) };
  const tokens = outcome.tokens.input + outcome.tokens.output;
  const summary = outcome.diagnosis.summary;
  if (outcome.diagnosis.testIsWrong) return { ok: true, testIsWrong: outcome.diagnosis.testIsWrong.claim, summary, tokens };
  if (outcome.newText === undefined) {
    const next = result.alternatives[0];
    if (!outcome.fixError && next && everyBlockCorrect(outcome.diagnosis)) {
      // The model finds the function correct: the finder's next candidate is asked about next.
      const checked = { file: result.target.file, functionName: result.target.functionName };
      return { ok: false, reason: 'elsewhere', checked, error: `The model found every block of ${checked.functionName} correct; next, Ducktrace checks ${next.functionName}.`, tokens };
    }
    return { ok: false, error: outcome.fixError ? `The fix could not be applied: ${outcome.fixError}` : 'The model explained the failure but proposed no fix.', tokens };
  }
  return { ok: true, file: result.target.file, newText: outcome.newText, summary, tokens };
}

/**
 * A failure of the model itself, not of this one failure's prompt or answer: asking about another
 * failing test would fail the same way, after the same wait.
 */
function modelUnavailable(error: ModelError): boolean {
  return ['timeout', 'connection', 'auth', 'notFound', 'rateLimited', 'server', 'malformed'].includes(error.kind);
}
