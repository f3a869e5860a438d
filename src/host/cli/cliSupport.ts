// What every CLI command shares: the command shape, its options declared once (node:util's
// parseArgs reads them, the help text lists them), usage errors and exit codes, the model endpoint
// from the environment, and `--target FILE:FUNCTION`. Commands import this module, never
// `commands.ts` (which lists them), so there is no import cycle.
import { parseArgs } from 'node:util';
import type { DiagnoseEvent } from '../duck/diagnoseFailure';
import { defaultNeverSend } from '../../core/duck/redaction';
import { frameworks, isFramework, type Framework } from '../../core/failures/testFailure';
import { endpointFromEnv } from '../models/endpointFromEnv';
import type { OpenAiEndpoint } from '../models/openAiCompatibleClient';
import { parseTargetSpec, type TargetSpec } from '../tracers/traceTarget';

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliCommand {
  readonly name: string;
  /** One line for the command list, e.g. `blocks FILE (--function NAME | --line N) [--json]`. */
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  run(args: string[], out: CliOutput): Promise<number>;
}

/** 0: done; 1: the work could not be done (or tests still fail); 2: usage or configuration error. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

export interface CliOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once; the values come as a list. */
  readonly multiple?: boolean;
  /** The value's name in the help and in messages: DIR, TEST, FILE:FUNCTION. */
  readonly value?: string;
  /** One line, or several separated by `\n`. */
  readonly help: string;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

export type OptionValues<T extends CliOptions> = {
  readonly [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string;
};

export interface ParsedCommandLine<T extends CliOptions> {
  readonly values: OptionValues<T>;
  readonly positionals: readonly string[];
}

/** Reads `args` against the declared options; a message in words instead when they do not fit. */
export function parseCommandLine<T extends CliOptions>(options: T, args: readonly string[], allowPositionals = false): ParsedCommandLine<T> | string {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  try {
    const parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals });
    return { values: parsed.values as OptionValues<T>, positionals: parsed.positionals };
  } catch (err) {
    return describeParseError(err, options);
  }
}

function describeParseError(err: unknown, options: CliOptions): string {
  const { code, message } = err as { code?: string; message?: string };
  const text = message ?? String(err);
  const quoted = /'([^']+)'/.exec(text)?.[1] ?? '';
  const flag = quoted.split(' ')[0] ?? quoted;
  const valueName = options[flag.replace(/^-+/, '')]?.value ?? 'a value';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${flag}'`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${flag}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(text)) return `${flag} takes no value`;
      if (/ambiguous/.test(text)) return `${flag} needs ${valueName}; to give one that starts with a dash, write ${flag}=-…`;
      return `${flag} needs ${valueName}`;
    default:
      return text;
  }
}

/** The option lines of a help text, aligned, from the same declarations parseArgs reads. */
export function optionHelp(options: CliOptions): string[] {
  const heads = Object.entries(options).map(([name, o]) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return Object.values(options).flatMap((o, i) => {
    const [first, ...rest] = o.help.split('\n');
    return [`  ${heads[i]!.padEnd(width)}${first}`, ...rest.map((l) => `  ${' '.repeat(width)}${l}`)];
  });
}

export interface CommandSpec<T extends CliOptions, A> {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /** The help's first line, when it should say more than `Usage: ducktrace <usage>`. */
  readonly usageLine?: string;
  /** What the command does, before the option list. */
  readonly description: readonly string[];
  readonly options: T;
  /** After the option list: the environment, exit codes. */
  readonly footer?: readonly string[];
  readonly positionals?: boolean;
  /** Checks and shapes the values; a message for a usage error. */
  readonly check: (parsed: ParsedCommandLine<T>, context: ParseContext) => A | string;
  readonly execute: (args: A, out: CliOutput) => Promise<number>;
}

export interface ParseContext {
  /** What relative paths are relative to. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface DefinedCommand<A> extends CliCommand {
  /** The command line as the command reads it, or a usage error message. */
  parse(args: readonly string[], context?: Partial<ParseContext>): A | string;
}

/** A command from its declaration: the help text and the argument parsing come from the same options. */
export function defineCommand<T extends CliOptions, A>(spec: CommandSpec<T, A>): DefinedCommand<A> {
  const help = [spec.usageLine ?? `Usage: ducktrace ${spec.usage}`, '', ...spec.description, '', ...optionHelp(spec.options), ...(spec.footer?.length ? ['', ...spec.footer] : [])].join('\n');
  const parse = (args: readonly string[], context: Partial<ParseContext> = {}): A | string => {
    const parsed = parseCommandLine(spec.options, args, spec.positionals);
    if (typeof parsed === 'string') return parsed;
    return spec.check(parsed, { cwd: context.cwd ?? process.cwd(), env: context.env ?? process.env });
  };
  return {
    name: spec.name,
    usage: spec.usage,
    summary: spec.summary,
    help,
    parse,
    async run(args: string[], out: CliOutput): Promise<number> {
      const parsed = parse(args);
      if (typeof parsed === 'string') return usageError(out, spec.name, spec.usage, parsed);
      return spec.execute(parsed, out);
    },
  };
}

/** `ducktrace NAME: message` and the usage line on stderr; exit code 2. */
export function usageError(out: CliOutput, name: string, usage: string, message: string): number {
  out.stderr(`ducktrace ${name}: ${message}\nUsage: ducktrace ${usage}\n`);
  return ExitCode.usage;
}

/** `ducktrace NAME: message` on stderr; the exit code given (1 unless said otherwise). */
export function failure(out: CliOutput, name: string, message: string, code: number = ExitCode.failed): number {
  out.stderr(`ducktrace ${name}: ${message}\n`);
  return code;
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// ---- shared option values ----

/** The CLI's model: an OpenAI-compatible endpoint and its limits, from DUCKTRACE_* variables. */
export { endpointFromEnv };
export type Endpoint = OpenAiEndpoint;

/** The lines every command that asks a model ends its help with. */
export const endpointHelp = [
  'The model: DUCKTRACE_BASE_URL (an OpenAI-compatible endpoint ending in /v1), DUCKTRACE_MODEL,',
  'and DUCKTRACE_API_KEY when the endpoint needs a key. Each model request gives up after',
  'DUCKTRACE_MODEL_TIMEOUT_SECONDS (default 120, retries included); answers are limited to',
  'DUCKTRACE_MAX_OUTPUT_TOKENS (4096); prompts fit DUCKTRACE_MAX_INPUT_TOKENS (16000).',
];

/** `--target FILE:FUNCTION` (or FILE:LINE), or why not. */
export function targetOption(text: string | undefined): TargetSpec | string | undefined {
  if (text === undefined) return undefined;
  return parseTargetSpec(text) ?? `--target needs FILE:FUNCTION, not '${text}'`;
}

/** What to do about a failure with no function to blame, on the command line. */
export const targetHint = ' Name the function to blame with --target FILE:FUNCTION if you know it.';

/** A whole number of at least 1, or why not. */
export function positiveInteger(flag: string, text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : `${flag} needs a positive whole number, not '${text}'`;
}

/** A number above 0, or why not. */
export function positiveNumber(flag: string, text: string | undefined, unit = 'seconds'): number | string | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : `${flag} needs a positive number of ${unit}, not '${text}'`;
}

/** `--framework auto|pytest|node|jest|vitest` (default auto), or why not. */
export function frameworkOption(text: string | undefined): { framework: Framework | 'auto' } | string {
  if (text === undefined || text === 'auto') return { framework: 'auto' };
  return isFramework(text) ? { framework: text } : `--framework must be one of auto, ${frameworks.join(', ')} (not '${text}')`;
}

/** The options of the commands that run the project's tests and ask a model (explain, fix). */
export const projectRunOptions = {
  framework: { type: 'string', value: 'NAME', help: 'auto (default), pytest, node, jest, vitest or mocha' },
  timeout: { type: 'string', value: 'SECONDS', help: 'per-test timeout (default 30)' },
  python: { type: 'string', value: 'PATH', help: 'Python for pytest and the tracer (default: $DUCKTRACE_PYTHON or python3)' },
  'never-send': { type: 'string', multiple: true, value: 'GLOB', help: `a file never sent to the model (repeatable), besides\n${defaultNeverSend.join(' ')}` },
} as const satisfies CliOptions;

export interface ProjectRunArgs {
  readonly framework: Framework | 'auto';
  readonly timeoutSeconds: number;
  readonly python: string;
  /** Globs never sent to the model, besides the default list. */
  readonly neverSend: readonly string[];
}

/** The values of `projectRunOptions`, checked, or why not. */
export function projectRunArgs(values: OptionValues<typeof projectRunOptions>, env: NodeJS.ProcessEnv): ProjectRunArgs | string {
  const framework = frameworkOption(values.framework);
  if (typeof framework !== 'object') return framework;
  const timeoutSeconds = positiveNumber('--timeout', values.timeout) ?? 30;
  if (typeof timeoutSeconds === 'string') return timeoutSeconds;
  return { framework: framework.framework, timeoutSeconds, python: values.python ?? (env.DUCKTRACE_PYTHON || 'python3'), neverSend: values['never-send'] ?? [] };
}

/**
 * A progress line for the function the pipeline chose to blame, with the other candidates when
 * the finder was unsure: the user can then name the right one with --target.
 */
export function describeChosenTarget(event: DiagnoseEvent, rel: (file: string) => string): string | undefined {
  if (event.type !== 'target') return undefined;
  const name = (t: { file: string; functionName: string }) => `${rel(t.file)}:${t.functionName}`;
  if (event.confidence === 'high' || !event.alternatives.length) return `… the function to blame: ${name(event.target)}\n`;
  const others = event.alternatives.slice(0, 4).map(name).join(', ');
  return `… the function to blame, not for sure: ${name(event.target)} (also possible: ${others}${event.alternatives.length > 4 ? ', …' : ''}); name the right one with --target FILE:FUNCTION\n`;
}
