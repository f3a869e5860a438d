// Basic blocks: grammar load per language, segmentation per QuixBugs function and for a generated
// 5,000-line file (targets: ≤ 5 ms per typical function, ≤ 50 ms for the big file, grammar loaded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { blocksOfFunction } from '../src/core/blocks/functionBlocks';
import { sourceLanguages } from '../src/core/blocks/languages';
import { TreeSitterParser, defaultTreeSitterPaths, loadGrammar, loadTreeSitterRuntime } from '../src/host/treeSitter';
import type { BenchSection, Figure } from './benchTypes';
import { bugLines, quixbugsDir } from './quixbugs';

export const blocksBench: BenchSection = {
  name: 'blocks',
  async run({ repoRoot }) {
    const figures: Figure[] = [];
    const paths = defaultTreeSitterPaths(join(repoRoot, 'out'));
    let t = performance.now();
    await loadTreeSitterRuntime(paths.runtimeWasm);
    figures.push({ key: 'runtimeLoadMs', label: 'tree-sitter runtime load', value: round(performance.now() - t), unit: 'ms' });
    for (const language of sourceLanguages) {
      t = performance.now();
      await loadGrammar(paths, language);
      figures.push({ key: `grammarLoadMs.${language}`, label: `grammar load: ${language}`, value: round(performance.now() - t), unit: 'ms' });
    }
    const parser = new TreeSitterParser(paths);

    const dir = quixbugsDir(repoRoot);
    if (dir) {
      const times: number[] = [];
      for (const [program, lines] of Object.entries(bugLines(dir))) {
        const source = readFileSync(join(dir, 'python_programs', `${program}.py`), 'utf8');
        await blocksOfFunction(source, 'python', parser, { line: lines[0]! }); // warm-up
        const runs = 5;
        t = performance.now();
        for (let i = 0; i < runs; i++) await blocksOfFunction(source, 'python', parser, { line: lines[0]! });
        times.push((performance.now() - t) / runs);
      }
      times.sort((a, b) => a - b);
      figures.push({ key: 'segmentMs.quixbugsMedian', label: 'segment one QuixBugs function (median of 40)', value: round(times[Math.floor(times.length / 2)]!), unit: 'ms', target: '≤ 5 ms' });
      figures.push({ key: 'segmentMs.quixbugsMax', label: 'segment one QuixBugs function (slowest)', value: round(times[times.length - 1]!), unit: 'ms', target: '≤ 5 ms' });
    } else {
      figures.push({ key: 'segmentMs.quixbugsMedian', label: 'segment QuixBugs functions', value: null, note: 'skipped: ../shared/bench/quixbugs not found' });
    }

    const big = generatedPythonFile(5000);
    const lastLine = big.split('\n').length - 3;
    await blocksOfFunction(big, 'python', parser, { line: lastLine });
    const runs = 5;
    t = performance.now();
    for (let i = 0; i < runs; i++) await blocksOfFunction(big, 'python', parser, { line: lastLine });
    const parseOnly = (performance.now() - t) / runs;
    t = performance.now();
    for (let i = 0; i < runs; i++) (await parser.parse(big, 'python')).delete();
    const parseMs = (performance.now() - t) / runs;
    figures.push({ key: 'parseMs.file5000Lines', label: 'parse 5,000-line file alone (tree-sitter)', value: round(parseMs), unit: 'ms' });
    figures.push({ key: 'segmentMs.file5000Lines', label: 'parse 5,000-line file + segment a function', value: round(parseOnly), unit: 'ms', target: '≤ 50 ms' });
    return figures;
  },
};

/** A realistic-looking Python module of about `lines` lines: many small functions with branches and loops. */
function generatedPythonFile(lines: number): string {
  const out: string[] = ['"""Generated for the benchmark."""', ''];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `def function_${i}(items, limit=${i % 7}):`,
      `    """Sum the items above the limit, skipping negatives."""`,
      '    total = 0',
      '    for index, item in enumerate(items):',
      '        if item < 0:',
      '            continue',
      '        elif item > limit:',
      '            total += item * index',
      '        else:',
      '            total -= 1',
      '    while total > 1000:',
      '        total //= 2',
      '    try:',
      '        ratio = total / len(items)',
      '    except ZeroDivisionError:',
      '        ratio = 0',
      '    return ratio',
      '',
    );
  }
  return out.join('\n');
}

const round = (x: number) => Math.round(x * 100) / 100;
