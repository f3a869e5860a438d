// `ducktrace apply-reply --file FILE --function NAME --reply REPLY_FILE [--json]`: reads a saved
// model reply, applies its fix to the function in memory and prints the result. Writes nothing:
// it is for checking replies by hand, in CI and in benchmarks.

import { readFile } from 'node:fs/promises';
import { BlocksError } from '../../core/blocks/blocksError';
import { blocksOfFunction } from '../../core/blocks/functionBlocks';
import { languageForFile } from '../../core/blocks/languages';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { applyFixInScope } from '../../core/duck/fixScope';
import { parseReply } from '../../core/duck/replyParser';
import { createProposal, hunkLines } from '../../core/patch/proposal';
import { TreeSitterParser } from '../treeSitter';
import { defineCommand, type CliOptions, type DefinedCommand } from './cliSupport';

const usage = 'apply-reply --file FILE --function NAME --reply REPLY_FILE [--json] [--require-fix]';

interface ApplyReplyArgs {
  readonly file: string;
  readonly functionName: string;
  readonly reply: string;
  readonly json: boolean;
  readonly requireFix: boolean;
}

const options = {
  file: { type: 'string', value: 'FILE', help: 'the Python, JavaScript, TypeScript or TSX file holding the function' },
  function: { type: 'string', short: 'f', value: 'NAME', help: 'the function the reply fixes: bisect, Cart.total, ...' },
  reply: { type: 'string', value: 'FILE', help: 'the saved reply text' },
  json: { type: 'boolean', help: 'print { ok, hunks, error, ... } instead of the patched file' },
  'require-fix': { type: 'boolean', help: 'a reply without a fix (and no claim that the test is wrong) is an error' },
} as const satisfies CliOptions;

async function readText(path: string): Promise<string | { error: string }> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}` };
  }
}

export function createApplyReplyCommand(parser: () => SourceParser = () => new TreeSitterParser()): DefinedCommand<ApplyReplyArgs> {
  return defineCommand({
    name: 'apply-reply',
    usage,
    summary: "apply a saved model reply's fix to a function and print the result (writes nothing)",
    description: ["Parses a model's reply (JSON, the plain-text format, or prose with code; whole function,", 'unified diff or SEARCH/REPLACE fix) and applies its fix to one function in memory.'],
    options,
    footer: ['Exit status: 0 when the reply was parsed (and its fix, if any, applied); 1 when not; 2 for usage errors.'],
    check: ({ values }) => {
      if (!values.file) return 'missing --file FILE';
      if (!values.function) return 'missing --function NAME';
      if (!values.reply) return 'missing --reply REPLY_FILE';
      return { file: values.file, functionName: values.function, reply: values.reply, json: values.json === true, requireFix: values['require-fix'] === true };
    },
    async execute(parsedArgs, out) {
      const { file, functionName, json } = parsedArgs;
      const report = (ok: boolean, fields: Record<string, unknown>) => out.stdout(JSON.stringify({ ok, hunks: [], error: null, ...fields }, null, 2) + '\n');
      const failWith = (message: string, code = 1) => {
        if (json) report(false, { error: message });
        out.stderr(`ducktrace apply-reply: ${message}\n`);
        return code;
      };
      const language = languageForFile(file);
      if (!language) return failWith(`${file}: not a Python, JavaScript, TypeScript or TSX file`, 2);
      const source = await readText(file);
      if (typeof source !== 'string') return failWith(source.error);
      const reply = await readText(parsedArgs.reply);
      if (typeof reply !== 'string') return failWith(reply.error);

      let range;
      let qualifiedName: string;
      let blocks;
      const sourceParser = parser();
      try {
        const found = await blocksOfFunction(source, language, sourceParser, { name: functionName });
        range = found.function.range;
        qualifiedName = found.function.name;
        // Verdicts by number or by line land on these, as they would after a prompt showing them.
        blocks = found.blocks.map((b) => ({ id: b.id, startLine: b.range.start.line, endLine: b.range.end.line }));
      } catch (error) {
        if (!(error instanceof BlocksError)) throw error;
        return failWith(`${file}: ${error.message}`);
      }

      const parsed = parseReply(reply, { functionName: qualifiedName, language, requireFix: parsedArgs.requireFix, blocks });
      if (!parsed.ok) return failWith(`${parsedArgs.reply}: ${parsed.error}`);
      const { diagnosis } = parsed;
      const summary = { summary: diagnosis.summary, verdicts: diagnosis.verdicts, testIsWrong: diagnosis.testIsWrong ?? null, format: parsed.format };
      if (diagnosis.testIsWrong) out.stderr(`ducktrace apply-reply: the reply says the test is wrong: ${diagnosis.testIsWrong.claim}\n`);
      if (!diagnosis.fix) {
        if (!diagnosis.testIsWrong) out.stderr('ducktrace apply-reply: the reply has no fix; the file is unchanged\n');
        if (json) report(true, { fix: null, diagnosis: summary, notes: parsed.notes });
        else out.stdout(source);
        return 0;
      }
      const applied = await applyFixInScope(sourceParser, source, { name: qualifiedName, range, language, file }, diagnosis.fix);
      if (!applied.ok) return failWith(`${parsedArgs.reply}: ${applied.error}`);
      for (const r of applied.outsideRanges) out.stderr(`ducktrace apply-reply: the fix also changes lines ${r.startLine}-${r.endLine}, outside ${qualifiedName}\n`);
      if (json) {
        const proposal = createProposal(file, 0, source, applied.text);
        const hunks = proposal.hunks.map((h) => {
          const lines = hunkLines(source, h);
          return { start: h.start, end: h.end, startLine: lines.startLine + 1, oldLineCount: lines.oldLineCount, newLineCount: lines.newLineCount, oldText: h.oldText, newText: h.newText };
        });
        report(true, {
          hunks,
          fix: diagnosis.fix.kind,
          outsideTarget: applied.outsideTarget,
          outsideRanges: applied.outsideRanges,
          notes: [...parsed.notes, ...applied.notes],
          diagnosis: summary,
        });
      } else {
        out.stdout(applied.text);
      }
      return 0;
    },
  });
}

export const applyReplyCommand = createApplyReplyCommand();

/** Reads the command line; returns an error message instead when it does not make sense. */
export const parseApplyReplyArgs = (args: readonly string[]): ApplyReplyArgs | string => applyReplyCommand.parse(args);
