// Every Ducktrace setting, read and normalised in one place.
import * as vscode from 'vscode';
import { isFramework, type Framework } from '../core/failures/testFailure';

export type ModelProvider = 'auto' | 'languageModelApi' | 'openaiCompatible';

export interface ModelSettings {
  readonly provider: ModelProvider;
  /** A Language Model API model id, or empty for "the first one offered". */
  readonly languageModel: string;
  /** Every model request's budget (src/core/modelBudget.ts), for either kind of model. */
  readonly limits: { readonly totalMs: number; readonly maxOutputTokens: number; readonly maxReplyBytes: number };
  readonly openai: {
    readonly baseUrl: string;
    readonly model: string;
    readonly organization: string;
    readonly azureApiVersion: string;
    /** 0: the default (16,000). */
    readonly maxInputTokens: number;
  };
}

export function modelSettings(): ModelSettings {
  const c = vscode.workspace.getConfiguration('ducktrace');
  const provider = c.get<string>('model.provider', 'auto');
  return {
    provider: provider === 'languageModelApi' || provider === 'openaiCompatible' ? provider : 'auto',
    languageModel: c.get<string>('model.languageModel', '').trim(),
    limits: {
      // ducktrace.openai.timeoutSeconds is the older name of the same limit, read when the new one is not set.
      totalMs: Math.max(1, explicitlySet<number>(c, 'model.timeoutSeconds') ?? explicitlySet<number>(c, 'openai.timeoutSeconds') ?? 120) * 1000,
      maxOutputTokens: Math.max(16, Math.floor(c.get<number>('model.maxOutputTokens', 4096))),
      maxReplyBytes: Math.max(1024, Math.floor(c.get<number>('model.maxReplyBytes', 1_000_000))),
    },
    openai: {
      baseUrl: c.get<string>('openai.baseUrl', '').trim(),
      model: c.get<string>('openai.model', '').trim(),
      organization: c.get<string>('openai.organization', '').trim(),
      azureApiVersion: c.get<string>('openai.azureApiVersion', '').trim(),
      maxInputTokens: Math.max(0, Math.floor(c.get<number>('openai.maxInputTokens', 0))),
    },
  };
}

/** A setting's value where the user set one (any scope), else undefined: defaults do not count. */
function explicitlySet<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const i = c.inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

export function reviewSettings(scope?: vscode.Uri): { readonly saveAndRerun: boolean } {
  return { saveAndRerun: vscode.workspace.getConfiguration('ducktrace', scope).get<boolean>('review.saveAndRerun', true) };
}

export interface TestSettings {
  /** `auto` detects the frameworks from the project. */
  readonly framework: Framework | 'auto';
  /** An explicit interpreter for pytest; empty when not set. */
  readonly pythonPath: string;
  readonly testTimeoutMs: number;
  /** Notice test commands run in the integrated terminal. */
  readonly watchTerminal: boolean;
}

export function testSettings(scope?: vscode.Uri): TestSettings {
  const c = vscode.workspace.getConfiguration('ducktrace', scope);
  const framework = c.get<string>('tests.framework', 'auto');
  return {
    framework: isFramework(framework) ? framework : 'auto',
    pythonPath: c.get<string>('python.path', '').trim(),
    testTimeoutMs: Math.max(1, c.get<number>('tests.timeoutSeconds', 30)) * 1000,
    watchTerminal: c.get<boolean>('tests.watchTerminal', true),
  };
}

export interface LoopSettings {
  /** `review`: each fix waits for Accept/Reject inline; `auto`: fixes are applied directly. */
  readonly mode: 'review' | 'auto';
  readonly maxIterations: number;
  /** 0: no limit. */
  readonly maxTokens: number;
  /** 0: no limit. */
  readonly maxMinutes: number;
}

export function loopSettings(): LoopSettings {
  const c = vscode.workspace.getConfiguration('ducktrace');
  return {
    mode: c.get<string>('iterate.mode', 'review') === 'auto' ? 'auto' : 'review',
    maxIterations: Math.max(1, Math.floor(c.get<number>('iterate.maxIterations', 5))),
    maxTokens: Math.max(0, c.get<number>('iterate.maxTokens', 200_000)),
    maxMinutes: Math.max(0, c.get<number>('iterate.maxMinutes', 20)),
  };
}

/** Globs of files never sent to a model (the default keeps key and secret files out). */
export function neverSendPatterns(): string[] {
  return vscode.workspace.getConfiguration('ducktrace').get<string[]>('privacy.neverSend', []).filter((g) => typeof g === 'string' && g.trim() !== '');
}

/** `ducktrace.sandbox`: fence test runs after a model's change with bubblewrap (`auto`), or not (`off`). */
export function sandboxMode(): 'auto' | 'off' {
  return vscode.workspace.getConfiguration('ducktrace').get<string>('sandbox', 'auto') === 'off' ? 'off' : 'auto';
}

/** `ducktrace.suspiciousBlocks.mutantSeconds`: how long Show Suspicious Blocks may try mutants (0: not at all). */
export function mutantSeconds(scope?: vscode.ConfigurationScope): number {
  const value = vscode.workspace.getConfiguration('ducktrace', scope).get<number>('suspiciousBlocks.mutantSeconds', 60);
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
