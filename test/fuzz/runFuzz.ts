// `npm run fuzz`: the fuzzers at full size (the unit tests run a deterministic slice of each).
// Usage: npm run fuzz [-- --cases N --seed S]
import { fuzzProposals } from './proposalFuzz';
import { fuzzReplies, loadReplyFuzzCorpus } from './replyFuzz';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const cases = arg('cases', 10_000);
const seed = arg('seed', Date.now() % 1_000_000);

const fuzzers: [string, () => object | Promise<object>][] = [
  ['proposal bookkeeping', () => fuzzProposals(seed, cases)],
  ['reply parser and fix applier', async () => fuzzReplies(await loadReplyFuzzCorpus(), seed, cases)],
];
void (async () => {
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
