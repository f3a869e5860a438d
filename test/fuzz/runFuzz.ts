// `npm run fuzz`: the fuzzers at full size (the unit tests run a deterministic slice of each), and
// the pathological reply shapes at 100,000 characters per run. Any reply case that takes more than
// 1 second of CPU time fails, and the slowest is reported. (CPU time, not wall time: on a busy
// machine other processes would otherwise count.)
// Usage: npm run fuzz [-- --cases N --seed S]
import { applyFixInScope } from '../../src/core/duck/fixScope';
import { parseReply } from '../../src/core/duck/replyParser';
import { StreamingVerdictReader } from '../../src/core/duck/streamingVerdicts';
import { parser } from '../unit/support/fixtures';
import { pathologicalFixes, pathologicalReplies, pathologicalTarget } from './pathologicalReplies';
import { fuzzProposals } from './proposalFuzz';
import { fuzzReplies, loadReplyFuzzCorpus } from './replyFuzz';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const cases = arg('cases', 10_000);
const seed = arg('seed', Date.now() % 1_000_000);
const maxCaseMs = 1000;

/** Every pathological reply and fix, timed one by one; over `maxCaseMs` fails. */
async function pathological(): Promise<object> {
  const corpus = await loadReplyFuzzCorpus();
  const real = corpus.replies.find((r) => r.reply.length > 400)?.reply;
  let count = 0;
  let slowestMs = 0;
  let slowestCase = '';
  const time = async (name: string, run: () => unknown) => {
    const started = process.cpuUsage();
    await run();
    const used = process.cpuUsage(started);
    const ms = (used.user + used.system) / 1000;
    count++;
    if (ms > slowestMs) [slowestMs, slowestCase] = [Math.round(ms), name];
    if (ms > maxCaseMs) throw new Error(`${name} took ${Math.round(ms)} ms (over ${maxCaseMs} ms)`);
  };
  for (const { name, text } of pathologicalReplies(100_000, real)) {
    for (const language of ['python', 'javascript']) await time(`${name} (${language})`, () => parseReply(text, { functionName: 'f', language, requireFix: true, blocks: [{ id: 'b1', startLine: 1, endLine: 2 }] }));
    // As the editor reads it while it streams: the verdicts so far after every 12-character piece.
    await time(`${name} (streamed)`, () => {
      const reader = new StreamingVerdictReader([{ id: 'b1', startLine: 1, endLine: 2 }]);
      for (let i = 0; i < text.length; i += 12) reader.push(text.slice(i, i + 12));
    });
  }
  for (const { name, fix } of pathologicalFixes(100_000)) await time(`fix: ${name}`, () => applyFixInScope(parser, pathologicalTarget.text, pathologicalTarget.target, fix));
  return { cases: count, slowestMs, slowestCase };
}

const fuzzers: [string, () => object | Promise<object>][] = [
  ['proposal bookkeeping', () => fuzzProposals(seed, cases)],
  ['reply parser and fix applier', async () => fuzzReplies(await loadReplyFuzzCorpus(), seed, cases, { maxCaseMs })],
  ['pathological replies (100,000-character runs)', pathological],
];
void (async () => {
  // The grammars load once, before anything is timed.
  for (const language of ['python', 'javascript', 'typescript', 'tsx'] as const) (await parser.parse('', language)).delete();
  let failed = 0;
  for (const [name, run] of fuzzers) {
    const t0 = Date.now();
    try {
      const counts = await run();
      console.log(`ok - ${name}: ${JSON.stringify(counts)} (seed ${seed}, ${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${name}: ${err instanceof Error ? err.message : String(err)} (seed ${seed})`);
    }
  }
  console.log(`fuzz: ${fuzzers.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
