// Verdicts out of a JSON answer that is still streaming in, so the view can show ✓/✗ per block
// before the model has finished. Only complete objects count; the final parse decides. The reader
// keeps its place between pieces, so a long stream costs time in proportion to its length, not to
// the number of pieces times the length.
import type { BlockVerdict } from './diagnosis';
import { blockRefOf, resolveVerdicts, type BlockSpan, type RawVerdict } from './verdictBlocks';

export class StreamingVerdictReader {
  private readonly raw: RawVerdict[] = [];
  private readonly stack: { start: number; hasChild: boolean }[] = [];
  private text = '';
  private at = 0;
  private inString = false;
  private escaped = false;

  /** `blocks`: the prompt's blocks, to map verdicts by number or line onto. */
  constructor(private readonly blocks?: readonly BlockSpan[]) {}

  /** Reads a new piece of the answer; returns every verdict so far, in order. */
  push(delta: string): BlockVerdict[] {
    this.text += delta;
    const text = this.text;
    for (; this.at < text.length; this.at++) {
      const c = text[this.at];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.stack.length) this.stack[this.stack.length - 1]!.hasChild = true;
        this.stack.push({ start: this.at, hasChild: false });
      } else if (c === '}') {
        const open = this.stack.pop();
        if (open && !open.hasChild) this.read(text.slice(open.start, this.at + 1));
      }
    }
    return this.verdicts();
  }

  /** The verdicts read so far. Numbered ones wait until the numbering is certain (a block 0 seen). */
  verdicts(): BlockVerdict[] {
    const zeroSeen = this.raw.some((v) => v.ref.kind === 'number' && v.ref.n === 0);
    const sure = this.raw.filter((v) => v.ref.kind !== 'number' || zeroSeen);
    return resolveVerdicts(sure, this.blocks, []);
  }

  /** One complete innermost object: a verdict when it names a block and says correct or not. */
  private read(json: string): void {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return;
    }
    if (!value || typeof value !== 'object') return;
    const v = value as Record<string, unknown>;
    const ref = blockRefOf(v.blockId ?? v.block_id ?? v.block);
    if (!ref || typeof v.correct !== 'boolean') return;
    this.raw.push({ ref, correct: v.correct, why: typeof v.why === 'string' ? v.why : '' });
  }
}

/** Every complete `{ "blockId": …, "correct": …, "why": … }` object in `text`, in order. */
export function streamingVerdicts(text: string, blocks?: readonly BlockSpan[]): BlockVerdict[] {
  return new StreamingVerdictReader(blocks).push(text);
}
