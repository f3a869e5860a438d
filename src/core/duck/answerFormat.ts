// What the duck asks for: the answer's JSON schema (structured output or a tool's parameters),
// the instructions that go with it, and the plain-text fallback format `parseReply` also reads.

import type { Fix } from './diagnosis';

/**
 * The answer's JSON schema, usable as OpenAI `response_format: { type: 'json_schema', strict: true }`
 * or as a tool's parameters: every property required, optional ones nullable, no extra keys.
 */
export const diagnosisJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'verdicts', 'fix', 'test_is_wrong'],
  properties: {
    summary: { type: 'string', description: 'What is wrong, in plain words, for the programmer.' },
    verdicts: {
      type: 'array',
      description: 'One entry per block shown, in order.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['block', 'correct', 'why'],
        properties: {
          block: { type: 'string', description: 'Block id, e.g. "b3".' },
          correct: { type: 'boolean', description: 'Does this block do what the intent needs, given the values seen?' },
          why: { type: 'string' },
        },
      },
    },
    fix: {
      description: 'The fix, or null when no code change is needed (for example when the test is wrong).',
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'code', 'diff', 'edits'],
          properties: {
            kind: { type: 'string', enum: ['function', 'diff', 'search_replace'] },
            code: { type: ['string', 'null'], description: 'kind "function": the whole corrected function, same name and signature.' },
            diff: { type: ['string', 'null'], description: 'kind "diff": a unified diff of the file.' },
            edits: {
              type: ['array', 'null'],
              description: 'kind "search_replace": exact snippets of the current code and their replacements.',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['search', 'replace'],
                properties: { search: { type: 'string' }, replace: { type: 'string' } },
              },
            },
          },
        },
      ],
    },
    test_is_wrong: {
      description: 'Only when the test itself contradicts the documented intent: the claim, else null.',
      anyOf: [
        { type: 'null' },
        { type: 'object', additionalProperties: false, required: ['claim'], properties: { claim: { type: 'string' } } },
      ],
    },
  },
} as const;

/** The name to give the schema as a tool or a `json_schema` response format. */
export const diagnosisToolName = 'report_diagnosis';

export const systemIntro = [
  'You are a careful rubber-duck debugger. A test fails. You are shown the failing test as written,',
  'how it fails, and the function under test exactly as written in its file, cut into basic blocks:',
  'a `# [b3]` (or `// [b3]`) comment line marks where block b3 starts and, when values were recorded,',
  '`↳` comment lines right after a block show the values after it ran. Marker and value lines are',
  'not in the file.',
  '',
  'Work like a careful colleague:',
  '1. State the intent: what must this function do for the test to pass? Use the test, the',
  '   assertion, expected vs actual, and the function\'s documentation.',
  '2. Check every block in order against that intent and against the recorded values. A block is',
  '   correct when its code does what the intent needs at that point and the values after it are the',
  '   ones it should produce. Say why in one or two sentences; cite values.',
  '3. Suspect the implementation before the test. Claim the test is wrong only when the test',
  '   contradicts the documented intent, and then propose no fix.',
  '4. Fix the first wrong block with the smallest change. Keep the function name, signature and',
  '   style; do not touch other functions or the tests. Write the code as it is in the file, without',
  '   the marker and value lines.',
];

export const jsonFormat = [
  'Answer with one JSON object and nothing else:',
  '{"summary": "...", "verdicts": [{"block": "b1", "correct": true, "why": "..."}],',
  ' "fix": {"kind": "function", "code": "<the whole corrected function>", "diff": null, "edits": null} or null,',
  ' "test_is_wrong": {"claim": "..."} or null}',
  'Prefer kind "function" with the whole corrected function. Alternatively kind "search_replace" with',
  '"edits": [{"search": "<exact lines of the current code>", "replace": "<new lines>"}], or kind "diff" with a unified diff.',
];

/**
 * The plain-text fallback, for models without structured output. `parseReply` reads it (and the
 * JSON form) back:
 *
 *     SUMMARY: <what is wrong, in plain words>
 *     VERDICT b1: correct | <why>
 *     VERDICT b2: wrong | <why>
 *     TEST IS WRONG: <claim>            (only when the test itself is wrong; then no FIX)
 *     FIX:
 *     ```<language>
 *     <the whole corrected function>
 *     ```
 */
export const textFormatInstructions = [
  'Answer in exactly this format:',
  'SUMMARY: <what is wrong, in plain words>',
  'VERDICT b1: correct | <why>',
  'VERDICT b2: wrong | <why>',
  '(one VERDICT line per block, in order)',
  'TEST IS WRONG: <claim>   (only when the test itself is wrong; then leave out FIX)',
  'FIX:',
  '```<language>',
  '<the whole corrected function, same name and signature>',
  '```',
];

/**
 * The prompt's own marker and value lines (`# [b3] lines 8-11`, `// ↳ b5 #2: …`) a model may copy
 * back into its code although told not to: they are not the user's code, so they never reach the
 * file. Only lines of exactly these shapes are dropped.
 */
const listingLine = /^[ \t]*(?:#|\/\/) (?:\[b\d+\] lines? \d+|↳ (?:call \d+, )?b\d+(?: #\d+)?:)/;
const diffListingLine = /^[ +-][ \t]*(?:#|\/\/) (?:\[b\d+\] lines? \d+|↳ (?:call \d+, )?b\d+(?: #\d+)?:)/;

export function withoutListingLines(fix: Fix): Fix {
  const strip = (text: string, pattern: RegExp) =>
    text
      .split('\n')
      .filter((l) => !pattern.test(l))
      .join('\n');
  switch (fix.kind) {
    case 'function':
      return { kind: 'function', code: strip(fix.code, listingLine) };
    case 'search-replace':
      return { kind: 'search-replace', edits: fix.edits.map((e) => ({ search: strip(e.search, listingLine), replace: strip(e.replace, listingLine) })) };
    case 'diff':
      return { kind: 'diff', diff: strip(fix.diff, diffListingLine) };
  }
}
