// A cheap token estimate, good enough to keep prompts inside a budget without shipping a
// tokenizer. chars/4 undercounts code (every bracket and operator tends to be its own token) and
// overcounts indentation, so we count the pieces BPE tokenizers split text into instead:
// word runs (about one token per 6 letters, camelCase included), digit runs (one per 3 digits),
// each punctuation or non-ASCII character, each line break run, and each indentation run.
// It errs on the high side, which is the safe side for a budget.

const piece = /[A-Za-z]+|[0-9]+|\r?\n(?:\r?\n)*|[ \t]+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]|[^\x00-\x7f]|[\x00-\x1f\x7f]/g;

export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(piece)) {
    const s = match[0];
    const c = s.charCodeAt(0);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) tokens += Math.ceil(s.length / 6);
    else if (c >= 48 && c <= 57) tokens += Math.ceil(s.length / 3);
    else if (c === 32 || c === 9) tokens += s.length > 1 ? 1 : 0; // a single space joins the next word
    else tokens += 1;
  }
  return tokens;
}

/**
 * `text` cut at a line boundary so that it fits `budget` tokens, with a marker saying how many
 * lines were left out; the text itself when it fits.
 */
export function truncateToTokens(text: string, budget: number, marker = (omitted: number) => `… (${omitted} more lines omitted)`): { text: string; truncated: boolean } {
  if (estimateTokens(text) <= budget) return { text, truncated: false };
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = estimateTokens(line) + 1;
    // Reserve room for the marker line itself.
    if (used + cost + 12 > budget) break;
    kept.push(line);
    used += cost;
  }
  kept.push(marker(lines.length - kept.length));
  return { text: kept.join('\n'), truncated: true };
}
