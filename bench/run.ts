// `npm run bench`: Ducktrace's figures, each measured in the same run as its baseline or target,
// printed as a table and written to bench/results/latest.json. No timed assertions live in tests;
// this is where speed is measured. Sections skip themselves (and say why) when their inputs are
// missing, e.g. ../shared/bench/quixbugs on a machine without it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentsBench } from './agentsBench';
import { blocksBench } from './blocksBench';
import { explainLatencyBench } from './explainLatencyBench';
import { fixRateBench } from './fixRateBench';
import { jsOverheadBench } from './jsOverheadBench';
import { modelBudgetBench } from './modelBudgetBench';
import { pipelineBench } from './pipelineBench';
import { promptBench } from './promptBench';
import { suspicionBench } from './suspicionBench';
import { suspicionJsBench } from './suspicionJsBench';
import { tracingOverheadBench } from './tracingOverheadBench';
import type { BenchSection, Figure } from './benchTypes';

const repoRoot = join(__dirname, '../..');
const sections: BenchSection[] = [blocksBench, suspicionBench, suspicionJsBench, tracingOverheadBench, jsOverheadBench, explainLatencyBench, pipelineBench, promptBench, fixRateBench, modelBudgetBench, agentsBench];

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const results: Record<string, unknown> = {};
  const rows: Figure[] = [];
  const started = Date.now();
  for (const section of sections) {
    if (only.length && !only.includes(section.name)) continue;
    process.stderr.write(`bench: ${section.name}…\n`);
    const t0 = Date.now();
    try {
      const figures = await section.run({ repoRoot });
      for (const f of figures) {
        rows.push({ ...f, key: `${section.name}.${f.key}` });
        setPath(results, `${section.name}.${f.key}`, f.value);
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      rows.push({ key: `${section.name}`, label: `${section.name}: failed`, value: null, note: reason });
      setPath(results, `${section.name}.error`, reason);
    }
    setPath(results, `${section.name}.elapsedMs`, Date.now() - t0);
  }
  const out = join(repoRoot, 'bench/results');
  mkdirSync(out, { recursive: true });
  const report = { when: new Date().toISOString(), node: process.version, elapsedMs: Date.now() - started, results };
  writeFileSync(join(out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  printTable(rows);
  console.log(`\nwrote bench/results/latest.json (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = obj;
  for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

function printTable(rows: Figure[]): void {
  const fmt = (v: Figure['value']) => (v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v));
  const cells = rows.map((r) => [r.label, `${fmt(r.value)}${r.unit ? ` ${r.unit}` : ''}`, r.target ?? '', r.note ?? '']);
  const head = ['figure', 'value', 'target', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
