export interface Figure {
  /** Dotted key under the section in latest.json, e.g. `segmentMs.median`. */
  readonly key: string;
  readonly label: string;
  readonly value: number | string | null;
  readonly unit?: string;
  /** The goal, in words, e.g. "≤ 5 ms". */
  readonly target?: string;
  readonly note?: string;
}

export interface BenchContext {
  readonly repoRoot: string;
}

export interface BenchSection {
  readonly name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}
