// The CLI's subcommands. Each lives in its own module next to this one and is listed here once.

import { applyReplyCommand } from './applyReplyCommand';
import { blocksCommand } from './blocksCommand';
import { failuresCommand } from './failuresCommand';
import { fixCommand } from './fixCommand';
import { explainCommand } from './explainCommand';
import { localizeCommand } from './localizeCommand';
import { mcpCommand } from './mcpCommand';
import { traceCommand } from './traceCommand';

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

export const cliCommands: CliCommand[] = [blocksCommand, traceCommand, failuresCommand, applyReplyCommand, explainCommand, localizeCommand, fixCommand, mcpCommand];
