// Verdicts out of a JSON answer that is still streaming in, so the view can show ✓/✗ per block
// before the model has finished. Only complete objects count; the final parse decides.
import type { BlockVerdict } from './diagnosis';

/** Every complete `{ "blockId": …, "correct": …, "why": … }` object in `text`, in order. */
export function streamingVerdicts(text: string): BlockVerdict[] {
  const verdicts: BlockVerdict[] = [];
  const seen = new Set<string>();
  for (const [start, end] of completeObjects(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, end + 1));
    } catch {
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const v = value as Record<string, unknown>;
    const blockId = v.blockId ?? v.block_id ?? v.block;
    if (typeof blockId !== 'string' || typeof v.correct !== 'boolean' || seen.has(blockId)) continue;
    seen.add(blockId);
    verdicts.push({ blockId, correct: v.correct, why: typeof v.why === 'string' ? v.why : '' });
  }
  return verdicts;
}

/** [start, end] index pairs of balanced `{…}` spans that contain no other object, outside strings. */
function completeObjects(text: string): [number, number][] {
  const spans: [number, number][] = [];
  const stack: { start: number; hasChild: boolean }[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (stack.length) stack[stack.length - 1]!.hasChild = true;
      stack.push({ start: i, hasChild: false });
    } else if (c === '}') {
      const open = stack.pop();
      if (open && !open.hasChild) spans.push([open.start, i]);
    }
  }
  return spans;
}
