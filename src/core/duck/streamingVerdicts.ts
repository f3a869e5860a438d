// Verdicts out of a JSON answer that is still streaming in, so the view can show ✓/✗ per block
// before the model has finished. Only complete objects count; the final parse decides. The reader
// keeps its place between pieces and holds only the innermost open object, so a long stream costs
// time in proportion to its length, not to the number of pieces times the length.
import type { BlockVerdict } from './diagnosis';
import { blockRefOf, resolveVerdicts, type BlockSpan, type RawVerdict } from './verdictBlocks';

/** Longer innermost objects are not read as verdicts while streaming (the final parse reads everything). */
const MAX_VERDICT_CHARS = 64 * 1024;

export class StreamingVerdictReader {
  private readonly raw: RawVerdict[] = [];
  private readonly stack: { hasChild: boolean }[] = [];
  /**
   * The text of the innermost open object while it has no child object: the only text a verdict can
   * be read from. Appended piece by piece and read once when the object closes; the answer as a
   * whole is never kept or indexed (indexing a string grown by `+=` flattens it, which made a long
   * stream cost its length times its number of pieces).
   */
  private open = '';
  private capturing = false;
  private inString = false;
  private escaped = false;
  private resolved: BlockVerdict[] = [];
  private resolvedFrom = 0;

  /** `blocks`: the prompt's blocks, to map verdicts by number or line onto. */
  constructor(private readonly blocks?: readonly BlockSpan[]) {}

  /** Reads a new piece of the answer; returns every verdict so far, in order. */
  push(delta: string): BlockVerdict[] {
    let from = 0; // where the captured part of this piece starts
    for (let i = 0; i < delta.length; i++) {
      const c = delta[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.stack.length) this.stack[this.stack.length - 1]!.hasChild = true;
        this.stack.push({ hasChild: false });
        this.open = '';
        this.capturing = true;
        from = i;
      } else if (c === '}') {
        const closed = this.stack.pop();
        if (closed && !closed.hasChild && this.capturing) this.read(this.open + delta.slice(from, i + 1));
        // The enclosing object has a child now, so it can no longer be a verdict: nothing to keep.
        this.open = '';
        this.capturing = false;
      }
    }
    if (this.capturing) this.open += delta.slice(from);
    // A verdict is a few lines; an object this long is a summary or a fix, read by the final parse.
    if (this.open.length > MAX_VERDICT_CHARS) {
      this.open = '';
      this.capturing = false;
    }
    return this.verdicts();
  }

  /** Characters held for the object being read: at most the innermost open object, never the answer. */
  get heldLength(): number {
    return this.open.length;
  }

  /** The verdicts read so far. Numbered ones wait until the numbering is certain (a block 0 seen). */
  verdicts(): BlockVerdict[] {
    if (this.resolvedFrom === this.raw.length) return this.resolved;
    const zeroSeen = this.raw.some((v) => v.ref.kind === 'number' && v.ref.n === 0);
    const sure = this.raw.filter((v) => v.ref.kind !== 'number' || zeroSeen);
    this.resolved = resolveVerdicts(sure, this.blocks, []);
    this.resolvedFrom = this.raw.length;
    return this.resolved;
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
