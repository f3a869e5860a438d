// The prompt corpus: for one failing test of each runner and language, the full prompt as the real
// pipeline sends it (the runner finds the failure, the tracer records the values, a scripted model
// on a local OpenAI-compatible server captures the request), compared with the checked-in
// test/fixtures/prompts/NAME.md, so every change to what the model sees shows up as a diff in
// review. `DUCKTRACE_UPDATE_PROMPTS=1` rewrites the files. Paths are made machine-independent.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createFsLoopPorts } from '../../src/host/loop/fsLoopPorts';
import { OpenAiCompatibleClient } from '../../src/host/models/openAiCompatibleClient';
import { fixtureProject } from '../support/fixtureDeps';
import { fixturePath, repoRoot } from './support/fixtures';

const update = process.env.DUCKTRACE_UPDATE_PROMPTS === '1';
const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly what: string;
  /** Needs its runner from the npm registry (through the fixture cache). */
  readonly deps: boolean;
  /** The target function's file and its first and last lines, to check it is in the prompt verbatim. */
  readonly target: { readonly file: string; readonly from: number; readonly to: number };
  /** Lines of the failing test that must be in the prompt as written. */
  readonly testLines: readonly string[];
}

const cases: readonly Case[] = [
  { name: 'pytest', what: 'pytest, a method of a test class using a conftest.py fixture', deps: false, target: { file: 'inventory/restock.py', from: 15, to: 30 }, testLines: ['    def test_lifts_stock_above_the_reorder_level(self, shelf):', '        assert orders["plum"] == 9'] },
  { name: 'node-cjs', what: "node:test, CommonJS, the issue's split()", deps: false, target: { file: 'src/money.js', from: 7, to: 17 }, testLines: ["  test('the first shares get the extra cents', () => {", '    assert.deepEqual(shares, [4, 3, 3]);'] },
  { name: 'node-esm', what: 'node:test, ES modules', deps: false, target: { file: 'lib/slug.mjs', from: 7, to: 16 }, testLines: ["test('keeps a slug of exactly max characters', () => {", "  assert.equal(slugify('Ducks debug code', 16), 'ducks-debug-code');"] },
  { name: 'jest-ts', what: 'jest with ts-jest, a class method', deps: true, target: { file: 'src/cart.ts', from: 27, to: 37 }, testLines: ["    test('applies the coupon from its minimum on', () => {", '      expect(cart.total()).toBe(4500);'] },
  { name: 'vitest-ts', what: 'vitest with TypeScript, an it.each case', deps: true, target: { file: 'src/stats.ts', from: 2, to: 12 }, testLines: ['  it.each([', "  ])('of %j is %d', (values, expected) => {"] },
  { name: 'tsx', what: "vitest, a TSX component's helper", deps: true, target: { file: 'src/PriceTag.tsx', from: 8, to: 14 }, testLines: ["  test('pads cents below ten', () => {", "    expect(formatPrice(1205)).toBe('€12.05');"] },
];

const reply = JSON.stringify({ summary: 'scripted', verdicts: [], fix: null, test_is_wrong: null });

/** The prompt as a reviewer reads it: every message, fenced so code inside stays code. */
function corpusText(c: Case, messages: readonly { role: string; content: string }[]): string {
  const body = messages.map((m) => `## ${m.role}\n\n\`\`\`\`text\n${m.content}\n\`\`\`\``).join('\n\n');
  return [
    `# Prompt corpus: ${c.name} (${c.what})`,
    '',
    `The prompt sent for the one failing test of \`test/fixtures/prompts/projects/${c.name}\`, produced by the real pipeline`,
    '(runner, tracer, scripted model capturing the request) in `test/unit/promptCorpus.test.ts`.',
    '`DUCKTRACE_UPDATE_PROMPTS=1 node --test out/test/unit/promptCorpus.test.js` rewrites it.',
    '',
    body,
    '',
  ].join('\n');
}

/** Machine-specific bits out: the temporary project folder, the fixture cache. */
function normalise(text: string, dir: string): string {
  const real = realpathSync(dir);
  return text.split(real).join('<project>').split(dir).join('<project>').replace(/\/[^\s'"`]*?\/node_modules\//g, '<node_modules>/');
}

for (const c of cases) {
  test(`prompt corpus: ${c.name} (${c.what})`, async () => {
    const source = fixturePath('prompts', 'projects', c.name);
    let dir: string;
    if (c.deps) dir = fixtureProject(source);
    else {
      dir = mkdtempSync(join(tmpdir(), 'ducktrace-prompt-'));
      cpSync(source, dir, { recursive: true, filter: (p) => !/(__pycache__|\.pytest_cache)/.test(p) });
    }
    made.push(dir);
    const { startScriptedModelServer } = await import(pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href);
    const server = await startScriptedModelServer({ steps: [{ reply }] });
    const ports = createFsLoopPorts({ cwd: dir, framework: 'auto', testTimeoutMs: 60_000, write: false, model: async () => new OpenAiCompatibleClient({ baseUrl: server.baseURL, model: 'scripted' }) });
    try {
      const signal = new AbortController().signal;
      const run = await ports.runTests(signal);
      assert.equal(run.failures.length, 1, `exactly one failing test in ${c.name}: ${run.failures.map((f) => f.testId).join(', ')}`);
      await ports.propose(run.failures[0], [], signal);
      assert.ok(server.requests.length >= 1, 'the model was asked');
      const messages = server.requests[0].body.messages as { role: string; content: string }[];
      const text = normalise(corpusText(c, messages), dir);
      const user = messages.map((m) => m.content).join('\n');

      // What the issue asks of every prompt, checked here as well as by reading the corpus.
      const fileLines = readFileSync(join(source, c.target.file), 'utf8').split('\n').slice(c.target.from - 1, c.target.to);
      assertLinesInOrder(user, fileLines, 'the target function, every line as written');
      assertLinesInOrder(user, c.testLines, "the failing test's source");
      assert.match(user, /^- call 1: /m, 'the tracer recorded the call');
      assert.match(user, /↳ b\d+( #\d+)?: (?!did not run)/, 'values recorded after the blocks');
      assert.doesNotMatch(user, /# (SKIP|Subtest)|^ok \d|^not ok \d|node:internal|node_modules/m, 'no runner chatter');
      assert.doesNotMatch(user, /"[^"]+":\s*"\d+"/, 'numbers are not rendered as strings');

      const file = fixturePath('prompts', `${c.name}.md`);
      if (update || !existsSync(file)) {
        writeFileSync(file, text);
        if (!update) assert.fail(`${file} did not exist; it was written: read it, then commit it`);
      } else assert.equal(text, readFileSync(file, 'utf8'), `the prompt for ${c.name} changed; DUCKTRACE_UPDATE_PROMPTS=1 rewrites test/fixtures/prompts/${c.name}.md`);
    } finally {
      await server.close();
      await ports.dispose();
    }
  });
}

/** Each line occurs in `text` as a whole line, after the previous one. */
function assertLinesInOrder(text: string, lines: readonly string[], what: string): void {
  const all = text.split('\n');
  let at = 0;
  for (const line of lines) {
    const found = all.indexOf(line, at);
    assert.ok(found >= 0, `${what}: missing or out of order: ${JSON.stringify(line)}`);
    at = found + 1;
  }
}
