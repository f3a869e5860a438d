// Control-flow facts the suspicion score uses, from the blocks' successor edges alone: which blocks
// dominate which (every path from the entry to B passes through A), and for each block its guard —
// the nearest dominating predicate (a branch test or loop header), i.e. the nearest decision that
// every path into the block passes through. Pure; blocks no path reaches are dominated by themselves only.

import type { Block, BlockKind } from '../blocks/basicBlocks';

const predicateKinds: ReadonlySet<BlockKind> = new Set<BlockKind>(['branch', 'loop-header']);

export function isPredicate(block: Block): boolean {
  return predicateKinds.has(block.kind);
}

/** Block id -> ids of the blocks that dominate it (itself included); the first block is the entry. */
export function dominators(blocks: readonly Block[]): Map<string, Set<string>> {
  const ids = blocks.map((b) => b.id);
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const b of blocks) for (const s of b.successors) preds.get(s)?.push(b.id);
  const reachable = new Set<string>();
  const stack = ids.length ? [ids[0]!] : [];
  const byId = new Map(blocks.map((b) => [b.id, b]));
  while (stack.length) {
    const id = stack.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const s of byId.get(id)?.successors ?? []) if (byId.has(s)) stack.push(s);
  }
  const dom = new Map<string, Set<string>>();
  for (const id of ids) dom.set(id, id === ids[0] || !reachable.has(id) ? new Set([id]) : new Set(reachable));
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of ids.slice(1)) {
      if (!reachable.has(id)) continue;
      let next: Set<string> | undefined;
      for (const p of preds.get(id)!) {
        if (!reachable.has(p)) continue;
        const dp = dom.get(p)!;
        next = next ? new Set([...next].filter((x) => dp.has(x))) : new Set(dp);
      }
      next = next ?? new Set<string>();
      next.add(id);
      if (next.size !== dom.get(id)!.size) {
        dom.set(id, next);
        changed = true;
      }
    }
  }
  return dom;
}

/** Block id -> its nearest strictly dominating predicate block, when it has one. */
export function guards(blocks: readonly Block[]): Map<string, string> {
  const dom = dominators(blocks);
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const out = new Map<string, string>();
  for (const b of blocks) {
    const strict = [...dom.get(b.id)!].filter((id) => id !== b.id);
    // The dominators of a block form a chain: the nearest one has the most dominators of its own.
    strict.sort((x, y) => dom.get(y)!.size - dom.get(x)!.size);
    const g = strict.find((id) => isPredicate(byId.get(id)!));
    if (g) out.set(b.id, g);
  }
  return out;
}

/**
 * The header of the innermost loop holding a block (itself when it is a loop header): a loop header
 * that dominates the block and that the block leads back to.
 */
export function innermostLoopHeader(blocks: readonly Block[], blockId: string | undefined): string | undefined {
  if (!blockId) return undefined;
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const block = byId.get(blockId);
  if (!block) return undefined;
  if (block.kind === 'loop-header') return block.id;
  const dom = dominators(blocks);
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [...(byId.get(from)?.successors ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === to) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.successors ?? []));
    }
    return false;
  };
  const headers = [...dom.get(blockId)!].filter((id) => id !== blockId && byId.get(id)?.kind === 'loop-header' && reaches(blockId, id));
  // The innermost: the one with the most dominators of its own.
  headers.sort((x, y) => dom.get(y)!.size - dom.get(x)!.size);
  return headers[0];
}

/** Block id -> ids of the blocks that post-dominate it (every path from it to an exit passes through them; itself included). */
export function postDominators(blocks: readonly Block[]): Map<string, Set<string>> {
  const ids = blocks.map((b) => b.id);
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const all = new Set(ids);
  const succ = (id: string) => (byId.get(id)?.successors ?? []).filter((s) => all.has(s));
  const pdom = new Map<string, Set<string>>(ids.map((id) => [id, succ(id).length ? new Set(all) : new Set([id])]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...ids].reverse()) {
      const next_ = succ(id);
      if (!next_.length) continue;
      let next: Set<string> | undefined;
      for (const s of next_) {
        const ps = pdom.get(s)!;
        next = next ? new Set([...next].filter((x) => ps.has(x))) : new Set(ps);
      }
      next!.add(id);
      if (next!.size !== pdom.get(id)!.size) {
        pdom.set(id, next!);
        changed = true;
      }
    }
  }
  return pdom;
}

/**
 * Whether a branch (not a loop header) decides if the block runs: from one of the branch's
 * successors every path to an exit passes through the block, and not from the branch itself.
 */
export function decidedByBranch(blocks: readonly Block[], blockId: string): boolean {
  const pdom = postDominators(blocks);
  return blocks.some((p) => p.kind === 'branch' && p.id !== blockId && !pdom.get(p.id)!.has(blockId) && p.successors.some((s) => pdom.get(s)?.has(blockId)));
}
