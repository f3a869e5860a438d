// Where the time goes between "Explain and Fix" and the first words of the answer: finding the
// function and its blocks, the traced rerun of the test, building and sending the prompt (with the
// model's resolution), and the model's first token. Fed with the pipeline's own events, so the
// editor's log and the benchmark measure the same thing.

export interface PipelineTimes {
  /** Start to target and blocks. */
  readonly locate?: number;
  /** The traced rerun of the test. */
  readonly trace?: number;
  /** From the target (or the trace) to the prompt being sent: the model's resolution, the prompt. */
  readonly prompt?: number;
  /** From the prompt being sent to the first streamed token. */
  readonly firstToken?: number;
  /** Start to the first token. */
  readonly total?: number;
}

type Mark = 'target' | 'tracing' | 'traced' | 'prompt' | 'first';

export class PipelineTiming {
  private readonly started: number;
  private readonly marks = new Map<Mark, number>();

  constructor(private readonly now: () => number = Date.now) {
    this.started = now();
  }

  /** Give it every pipeline event; it keeps the first time of each mark. */
  onEvent(event: { readonly type: string }): void {
    const mark: Mark | undefined = event.type === 'text' || event.type === 'verdicts' ? 'first' : event.type === 'target' || event.type === 'tracing' || event.type === 'traced' || event.type === 'prompt' ? event.type : undefined;
    if (mark && !this.marks.has(mark)) this.marks.set(mark, this.now());
  }

  get times(): PipelineTimes {
    const at = (m: Mark) => this.marks.get(m);
    const span = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? Math.max(0, b - a) : undefined);
    const afterLocate = at('traced') ?? at('target');
    const out: Record<keyof PipelineTimes, number | undefined> = {
      locate: span(this.started, at('target')),
      trace: span(at('tracing'), at('traced')),
      prompt: span(afterLocate, at('prompt')),
      firstToken: span(at('prompt'), at('first')),
      total: span(this.started, at('first')),
    };
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as PipelineTimes;
  }

  /** `total 2.41 s: locate 35 ms, traced test run 2.10 s, prompt 12 ms, first token 250 ms`. */
  describe(): string {
    const t = this.times;
    const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
    const parts = [
      t.locate !== undefined ? `locate ${ms(t.locate)}` : '',
      t.trace !== undefined ? `traced test run ${ms(t.trace)}` : 'no traced run',
      t.prompt !== undefined ? `prompt ${ms(t.prompt)}` : '',
      t.firstToken !== undefined ? `first token ${ms(t.firstToken)}` : '',
    ].filter(Boolean);
    return `${t.total !== undefined ? `total ${ms(t.total)}` : 'no answer streamed'}: ${parts.join(', ')}`;
  }
}
