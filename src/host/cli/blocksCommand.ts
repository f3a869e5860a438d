// `ducktrace blocks FILE (--function NAME | --line N) [--json]`: a function's basic blocks.

import { readFile } from 'node:fs/promises';
import { BlocksError } from '../../core/blocks/blocksError';
import { blocksOfFunction, type FunctionBlocks } from '../../core/blocks/functionBlocks';
import type { FunctionSelector } from '../../core/blocks/functionFinder';
import { languageForFile } from '../../core/blocks/languages';
import type { SourceRange } from '../../core/blocks/positions';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { TreeSitterParser } from '../treeSitter';
import type { CliCommand, CliOutput } from './commands';

const usage = 'blocks FILE (--function NAME | --line N) [--json]';

interface BlocksArgs {
  readonly file: string;
  readonly selector: FunctionSelector;
  readonly json: boolean;
}

/** Reads the command line; returns an error message instead when it does not make sense. */
export function parseBlocksArgs(args: readonly string[]): BlocksArgs | string {
  let file: string | undefined;
  let name: string | undefined;
  let line: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--json') json = true;
    else if (flag === '--function' || flag === '-f') name = value();
    else if (flag === '--line' || flag === '-l') line = value();
    else if (flag.startsWith('-')) return `unknown option '${flag}'`;
    else if (file === undefined) file = arg;
    else return `unexpected argument '${arg}' (one FILE only)`;
  }
  if (!file) return 'missing FILE';
  if ((name === undefined) === (line === undefined)) return 'give exactly one of --function NAME and --line N';
  if (name !== undefined) return name ? { file, selector: { name }, json } : '--function needs a NAME';
  const lineNumber = Number(line);
  if (!Number.isInteger(lineNumber) || lineNumber < 1) return `--line needs a positive whole number, not '${line ?? ''}'`;
  return { file, selector: { line: lineNumber }, json };
}

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

export function createBlocksCommand(parser: () => SourceParser = () => new TreeSitterParser()): CliCommand {
  return {
    name: 'blocks',
    usage,
    summary: "print a function's basic blocks and the edges between them",
    help: [
      `Usage: ducktrace ${usage}`,
      '',
      'Splits one function into basic blocks, as Ducktrace traces and explains it.',
      '',
      '  FILE             a Python, JavaScript, TypeScript or TSX file',
      '  --function NAME  the function by name: area, Shape.area, outer.inner, default',
      '  --line N         the function containing line N (the innermost named one)',
      '  --json           print { language, function, blocks } as JSON; lines are 1-based,',
      '                   characters 0-based UTF-16 columns',
    ].join('\n'),
    async run(args: string[], out: CliOutput): Promise<number> {
      const parsed = parseBlocksArgs(args);
      if (typeof parsed === 'string') {
        out.stderr(`ducktrace blocks: ${parsed}\nUsage: ducktrace ${usage}\n`);
        return 2;
      }
      const language = languageForFile(parsed.file);
      if (!language) {
        out.stderr(`ducktrace blocks: ${parsed.file}: not a Python, JavaScript, TypeScript or TSX file\n`);
        return 2;
      }
      let source: string;
      try {
        source = await readFile(parsed.file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
        out.stderr(`ducktrace blocks: ${parsed.file}: ${reason}\n`);
        return 1;
      }
      try {
        const result = await blocksOfFunction(source, language, parser(), parsed.selector);
        out.stdout(parsed.json ? JSON.stringify(result, null, 2) + '\n' : formatBlocks(result, parsed.file));
        return 0;
      } catch (error) {
        if (!(error instanceof BlocksError)) throw error;
        out.stderr(`ducktrace blocks: ${parsed.file}: ${error.message}\n`);
        return 1;
      }
    },
  };
}

export const blocksCommand = createBlocksCommand();
