// The CLI's subcommands, listed once. Each lives in its own module next to this one; what they
// share (the command shape, option parsing, usage errors, the endpoint) is in cliSupport.ts.
import { applyReplyCommand } from './applyReplyCommand';
import { blocksCommand } from './blocksCommand';
import type { CliCommand } from './cliSupport';
import { explainCommand } from './explainCommand';
import { failuresCommand } from './failuresCommand';
import { fixCommand } from './fixCommand';
import { localizeCommand } from './localizeCommand';
import { mcpCommand } from './mcpCommand';
import { traceCommand } from './traceCommand';

export type { CliCommand, CliOutput } from './cliSupport';

export const cliCommands: readonly CliCommand[] = [blocksCommand, traceCommand, failuresCommand, applyReplyCommand, explainCommand, localizeCommand, fixCommand, mcpCommand];
