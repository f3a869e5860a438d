// `ducktrace blocks FILE (--function NAME | --line N) [--json]`: a function's basic blocks.

import { readFile } from 'node:fs/promises';
import { BlocksError } from '../../core/blocks/blocksError';
import { blocksOfFunction, type FunctionBlocks } from '../../core/blocks/functionBlocks';
import type { FunctionSelector } from '../../core/blocks/functionFinder';
import { languageForFile } from '../../core/blocks/languages';
import type { SourceRange } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { TreeSitterParser } from '../treeSitter';
import { defineCommand, ExitCode, failure, positiveInteger, type CliOptions, type DefinedCommand } from './cliSupport';

const usage = 'blocks FILE (--function NAME | --line N) [--json]';

interface BlocksArgs {
  readonly file: string;
  readonly selector: FunctionSelector;
  readonly json: boolean;
}

const options = {
  function: { type: 'string', short: 'f', value: 'NAME', help: 'the function by name: area, Shape.area, outer.inner, default' },
  line: { type: 'string', short: 'l', value: 'N', help: 'the function containing line N (the innermost named one)' },
  json: { type: 'boolean', help: 'print { language, function, blocks } as JSON; lines are 1-based,\ncharacters 0-based UTF-16 columns' },
} as const satisfies CliOptions;

function formatRange(range: SourceRange): string {
  return `${range.start.line}:${range.start.character + 1}-${range.end.line}:${range.end.character + 1}`;
}

function dedent(line: string, width: number): string {
  let i = 0;
  while (i < width && (line[i] === ' ' || line[i] === '\t')) i++;
  return line.slice(i);
}

/** The listing people read: one header line per block, then its code, indented. */
export function formatBlocks(result: FunctionBlocks, file: string): string {
  const { function: fn, blocks } = result;
  const lines = [
    `${file}: ${fn.name} (${result.language}, lines ${fn.range.start.line}-${fn.range.end.line}), ${blocks.length} block${blocks.length === 1 ? '' : 's'}`,
  ];
  const idWidth = Math.max(...blocks.map((b) => b.id.length));
  const kindWidth = Math.max(...blocks.map((b) => b.kind.length));
  for (const block of blocks) {
    const next = block.successors.length ? `-> ${block.successors.join(', ')}` : '-> exit';
    lines.push('', `${block.id.padEnd(idWidth)}  ${block.kind.padEnd(kindWidth)}  ${formatRange(block.range)}  ${next}`);
    // Later lines keep their file indentation; drop what the first line lost by starting mid-line.
    const [first, ...rest] = block.text.split(/\r?\n/);
    lines.push(`    ${first}`, ...rest.map((l) => `    ${dedent(l, block.range.start.character)}`.trimEnd()));
  }
  return lines.join('\n') + '\n';
}

export function createBlocksCommand(parser: () => SourceParser = () => new TreeSitterParser()): DefinedCommand<BlocksArgs> {
  return defineCommand({
    name: 'blocks',
    usage,
    summary: "print a function's basic blocks and the edges between them",
    description: ['Splits one function into basic blocks, as Ducktrace traces and explains it.', '', '  FILE  a Python, JavaScript, TypeScript or TSX file'],
    options,
    positionals: true,
    check: ({ values, positionals }) => {
      const [file, extra] = positionals;
      if (!file) return 'missing FILE';
      if (extra !== undefined) return `unexpected argument '${extra}' (one FILE only)`;
      const { function: name, line } = values;
      const json = values.json === true;
      if ((name === undefined) === (line === undefined)) return 'give exactly one of --function NAME and --line N';
      if (name !== undefined) return name ? { file, selector: { name }, json } : '--function needs a NAME';
      const lineNumber = positiveInteger('--line', line);
      return typeof lineNumber === 'number' ? { file, selector: { line: lineNumber }, json } : (lineNumber ?? '--line needs N');
    },
    async execute(parsed, out) {
      const language = languageForFile(parsed.file);
      if (!language) return failure(out, 'blocks', `${parsed.file}: not a Python, JavaScript, TypeScript or TSX file`, ExitCode.usage);
      let source: string;
      try {
        source = await readFile(parsed.file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
        return failure(out, 'blocks', `${parsed.file}: ${reason}`);
      }
      try {
        const result = await blocksOfFunction(source, language, parser(), parsed.selector);
        out.stdout(parsed.json ? JSON.stringify(result, null, 2) + '\n' : formatBlocks(result, parsed.file));
        return ExitCode.ok;
      } catch (error) {
        if (!(error instanceof BlocksError)) throw error;
        return failure(out, 'blocks', `${parsed.file}: ${error.message}`);
      }
    },
  });
}

export const blocksCommand = createBlocksCommand();

/** Reads the command line; returns an error message instead when it does not make sense. */
export const parseBlocksArgs = (args: readonly string[]): BlocksArgs | string => blocksCommand.parse(args);
