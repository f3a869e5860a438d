// The saved model replies of test/fixtures/replies/ and what each should give, for the reply
// parser's table-driven test and the CLI's.

import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath } from './fixtures';

export interface ReplyExpectation {
  readonly target: string;
  readonly function: string;
  readonly requireFix?: boolean;
  readonly parse:
    | { ok: true; format?: string; fixKind?: string | null; summaryIncludes?: string; testIsWrong?: string; verdicts?: [string, boolean][] }
    | { ok: false; error: string };
  readonly apply?: { ok: true; patched: string; outsideTarget?: boolean; outsideRanges?: [number, number][]; notesInclude?: string } | { ok: false; error: string } | null;
}

export const repliesDir = fixturePath('replies');

export function replyFixtures(): { name: string; reply: string; expected: ReplyExpectation }[] {
  return readdirSync(repliesDir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.txt'.length);
      return {
        name,
        reply: readFileSync(fixturePath('replies', f), 'utf8'),
        expected: JSON.parse(readFileSync(fixturePath('replies', `${name}.expected.json`), 'utf8')) as ReplyExpectation,
      };
    });
}

