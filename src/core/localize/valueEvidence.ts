// Evidence from the values a traced run recorded (the tracer's Trace of a failing test, and of a
// passing one where the ranking traced one too), for the suspicion ranking. Each kind is counted per
// block and weighed separately in suspicion.ts, so that the benchmark can take each one out:
//   - boundary: a comparison of a branch's condition compared two equal values, the one place where
//     `<` and `<=` (or `>` and `>=`) decide differently; counted in failing and in passing traced
//     tests (more in failing ones is the evidence);
//   - deviation: the first block after which a variable the function returns took a value that the
//     test's expected result excludes (an element the expected list or text does not have, more
//     elements than it, or an accumulator past it that only moves away from it);
//   - origin: at the deviation, the wrong value came from another variable the deviating block read
//     (the element it added, or the amount an accumulator moved by, equals that variable's value): the
//     block that last wrote that variable before it, where the wrong value was made, not where it
//     was stored (`for i, count in enumerate(arr)` feeding `out.extend([i] * count)`). Only for a
//     write no branch decides on: after `if (p == 1) t.push(i)` the decision is as likely wrong;
//   - count: the wrong result is the expected one cut short at one end (or the other way round):
//     the elements were made right and the loop that wrote them ran too few or too many times, so
//     the header of that loop (`for (let i = 0; i < n - 1; i++)`); not when a branch decides the write;
//   - wrong exit: the failing call returned a literal (`return false`) while another return of the
//     function returns the expected one: the literal is fine, the branches that chose between those
//     exits are at fault (the guard of each, when it is a branch: after a loop no single decision chose);
//   - base case: a runaway recursion that made progress and then called itself again with the same
//     arguments on a smallest input (a sequence of at most one element): the decision that should
//     have stopped it there, not the call, is at fault;
//   - expected at hand: when the function returned, a variable (or an element of a list) held the
//     expected value, yet the return handed back something else: the return picked the wrong thing
//     (only for a distinctive expected value: not 0, 1, true, false, null or an empty one);
//   - same inputs, other outputs: a block that, given the same values of the variables it reads,
//     wrote different values in a failing and in a passing traced test: what it computes depends on
//     something the variables do not show (shared state, aliasing, a mutable default).
//   - one step off: a number the function returns was built in a loop, and the expected result is
//     the value it held one step before the end (one step too many) or the value one more step of
//     the same size would give (one step too few): the loop's bound (its header), and the branch
//     that decides the step when one does, ran it once too often or too seldom;
//   - connective: a condition joining two tests with and/or (&&/||) whose two sides disagreed (one
//     true, one false) at some evaluation of a failing traced test, the only case where `and` and
//     `or` decide differently, more than in passing ones (the what-if of the other connective,
//     read on the recorded values, nothing run again);
//   - neighbour: the failing call returned an element of a list (or text) it held, and the element
//     next to it is the expected value: the return's index is one off (`s[mid - 1]` for `s[mid]`);
//   - consistent: every step the block took in the failing traced test, from values of the
//     variables it reads that a passing traced test gave it too, wrote what it wrote there: the
//     block behaved as in a passing run, evidence against it (weighed negatively).
// Pure; values are read back from their renderings (traceValues.ts), unknown ones are skipped.

import type { Block } from '../blocks/basicBlocks';
import type { Trace, TraceCall, TraceVars } from '../trace/traceModel';
import { namesRead, namesWritten } from './blockDataFlow';
import { decidedByBranch, guards, innermostLoopHeader } from './controlFlow';
import { comparisonsIn, conditionOf, connectivesIn, evaluate, parseCondition, parsePlain, plainEqual, plainOf, truthOf, type Comparison, type Plain } from './traceValues';

/** A test traced with values, for evidence. */
export interface TracedTest {
  readonly testId: string;
  readonly outcome: 'passed' | 'failed';
  readonly trace: Trace;
  /** The expected result as the failure states it (a rendered literal), when it does. */
  readonly expected?: string;
  /** The failure's message (runaway recursion is read from it). */
  readonly message?: string;
}

export interface BlockValueEvidence {
  /** Traced failing / passing tests in which a comparison of this condition met equal values. */
  readonly boundaryFailed: number;
  readonly boundaryPassed: number;
  /** The comparison, for the reason: `weight < j`. */
  readonly boundaryText?: string;
  /** Traced failing tests in which the returned variable first left the expected result after this block. */
  readonly deviation: number;
  readonly deviationName?: string;
  /** Traced failing tests in which this block wrote the variable the deviating value came from. */
  readonly origin: number;
  /** That variable, for the reason. */
  readonly originName?: string;
  /** Traced failing tests whose result had the right elements in the wrong number, written in this loop. */
  readonly count: number;
  /** Traced failing tests in which this branch chose between a return of the wrong literal and one of the expected one. */
  readonly wrongExit: number;
  /** Traced failing tests whose runaway recursion this decision let through on a smallest input. */
  readonly baseCase: number;
  /** Traced failing tests in which this block wrote other values than in a passing one from the same inputs. */
  readonly sameInputs: number;
  /** Traced failing tests that returned from this block with the expected value in a variable. */
  readonly expectedAtHand: number;
  /** Traced failing tests whose returned number was one loop step past (or short of) the expected one, this loop or its deciding branch. */
  readonly oneStep: number;
  /** Traced failing tests in which every step of this block matched a passing test's step from the same inputs. */
  readonly consistent: number;
  /** Traced failing tests whose call returned from this block an element of a list whose neighbour is the expected value. */
  readonly neighbour: number;
  /** Traced failing / passing tests in which the two sides of an and/or of this condition disagreed. */
  readonly connectiveFailed: number;
  readonly connectivePassed: number;
  /** Traced passing tests in which both sides of this condition's and/or could be read at some evaluation. */
  readonly connectiveSeenPassing: number;
}

const emptyEvidence: BlockValueEvidence = { boundaryFailed: 0, boundaryPassed: 0, deviation: 0, origin: 0, count: 0, wrongExit: 0, baseCase: 0, sameInputs: 0, expectedAtHand: 0, oneStep: 0, consistent: 0, neighbour: 0, connectiveFailed: 0, connectivePassed: 0, connectiveSeenPassing: 0 };

/** Per block, the value evidence of the traced tests (absent blocks have none). */
export function valueEvidence(blocks: readonly Block[], tests: readonly TracedTest[]): Map<string, BlockValueEvidence> {
  const out = new Map<string, { boundaryFailed: number; boundaryPassed: number; boundaryText?: string; deviation: number; deviationName?: string; origin: number; originName?: string; count: number; wrongExit: number; baseCase: number; sameInputs: number; expectedAtHand: number; oneStep: number; consistent: number; neighbour: number; connectiveFailed: number; connectivePassed: number; connectiveSeenPassing: number }>();
  const at = (id: string) => {
    let e = out.get(id);
    if (!e) out.set(id, (e = { ...emptyEvidence }));
    return e;
  };
  const comparisons = new Map<string, Comparison[]>();
  for (const b of blocks) {
    // Branches only: every `<` loop ends at its bound, in passing tests as in failing ones (tried:
    // loop headers too, or only where the loop went on at equality; both lost on the benchmarks).
    if (b.kind !== 'branch') continue;
    const condition = conditionOf(firstLine(b.text));
    const found = condition ? comparisonsIn(condition) : [];
    if (found.length) comparisons.set(b.id, found);
  }
  const connectives = new Map<string, ReturnType<typeof connectivesIn>>();
  for (const b of blocks) {
    if (b.kind !== 'branch' && b.kind !== 'loop-header') continue;
    const condition = conditionOf(firstLine(b.text));
    const root = condition ? parseCondition(condition)?.root : undefined;
    const found = root ? connectivesIn(root) : [];
    if (found.length) connectives.set(b.id, found);
  }
  for (const t of tests) {
    const { seen, disagreed } = connectiveHits(t.trace, connectives);
    for (const id of disagreed) {
      if (t.outcome === 'failed') at(id).connectiveFailed++;
      else at(id).connectivePassed++;
    }
    if (t.outcome === 'passed') for (const id of seen) at(id).connectiveSeenPassing++;
    for (const [id, text] of boundaryHits(t.trace, comparisons)) {
      const e = at(id);
      if (t.outcome === 'failed') e.boundaryFailed++;
      else e.boundaryPassed++;
      e.boundaryText ??= text;
    }
    if (t.outcome !== 'failed') continue;
    const dev = t.expected !== undefined ? deviation(blocks, t.trace, t.expected) : undefined;
    if (dev) {
      const e = at(dev.blockId);
      e.deviation++;
      e.deviationName ??= dev.name;
      if (dev.origin) {
        const o = at(dev.origin.blockId);
        o.origin++;
        o.originName ??= dev.origin.name;
      }
    }
    const loop = t.expected !== undefined ? countingLoop(blocks, t.trace, t.expected) : undefined;
    if (loop) at(loop).count++;
    for (const id of t.expected !== undefined ? wrongExit(blocks, t.trace, t.expected) : []) at(id).wrongExit++;
    const neighbour = t.expected !== undefined ? neighbourReturned(blocks, t.trace, t.expected) : undefined;
    if (neighbour) at(neighbour).neighbour++;
    const returnedWrong = t.expected !== undefined ? expectedAtHand(blocks, t.trace, t.expected) : undefined;
    if (returnedWrong) at(returnedWrong).expectedAtHand++;
    const stuck = baseCaseOf(blocks, t);
    if (stuck) at(stuck).baseCase++;
    for (const id of t.expected !== undefined ? oneStepOff(blocks, t.trace, t.expected) : []) at(id).oneStep++;
  }
  const passing = tests.filter((t) => t.outcome === 'passed');
  if (passing.length) {
    const seen = blockIo(blocks, passing);
    for (const t of tests.filter((x) => x.outcome === 'failed')) {
      for (const id of differingOutputs(blocks, t, seen)) at(id).sameInputs++;
      for (const id of consistentBlocks(blocks, t, seen)) at(id).consistent++;
    }
  }
  return out;
}

/** Per block, the outputs it wrote for each of its inputs (rendered), in the given tests. */
function blockIo(blocks: readonly Block[], tests: readonly TracedTest[]): Map<string, Map<string, Set<string>>> {
  const io = new Map<string, Map<string, Set<string>>>();
  for (const t of tests) {
    for (const [id, input, output] of blockSteps(blocks, t.trace)) {
      const byInput = io.get(id) ?? new Map<string, Set<string>>();
      io.set(id, byInput);
      const outputs = byInput.get(input) ?? new Set<string>();
      byInput.set(input, outputs);
      outputs.add(output);
    }
  }
  return io;
}

/** Blocks of the test that wrote, from inputs a passing test gave them too, outputs it never did. */
function differingOutputs(blocks: readonly Block[], t: TracedTest, passing: Map<string, Map<string, Set<string>>>): Set<string> {
  const found = new Set<string>();
  for (const [id, input, output] of blockSteps(blocks, t.trace)) {
    const outputs = passing.get(id)?.get(input);
    if (outputs && !outputs.has(output)) found.add(id);
  }
  return found;
}

/** Blocks every step of which, in the test, wrote what a passing test's step wrote from the same inputs. */
function consistentBlocks(blocks: readonly Block[], t: TracedTest, passing: Map<string, Map<string, Set<string>>>): Set<string> {
  const matched = new Set<string>();
  const differed = new Set<string>();
  for (const [id, input, output] of blockSteps(blocks, t.trace)) {
    if (passing.get(id)?.get(input)?.has(output)) matched.add(id);
    else differed.add(id);
  }
  return new Set([...matched].filter((id) => !differed.has(id)));
}

/**
 * Each step as [block, the values of the names it reads before it, the values of the names it
 * writes after it], for blocks that read and write only recorded variables (rendered in full).
 */
function* blockSteps(blocks: readonly Block[], trace: Trace): Generator<[string, string, string]> {
  const io = new Map(blocks.map((b) => [b.id, { reads: [...namesRead(b.text)], writes: [...namesWritten(b.text)] }]));
  const full = (v: TraceVars[string] | undefined) => !!v && !v.text.includes('…');
  for (const call of trace.calls) {
    let before: TraceVars = call.args;
    for (const step of call.steps) {
      const names = io.get(step.blockId);
      // The variables it reads that existed before it (a name it declares itself is an output).
      const reads = names?.reads.filter((n) => n in before) ?? [];
      if (names?.writes.length && reads.every((n) => full(before[n])) && names.writes.every((n) => full(step.vars[n]))) {
        const input = reads.map((n) => `${n}=${before[n]!.text}`).join('\u0000');
        const output = names.writes.map((n) => `${n}=${step.vars[n]!.text}`).join('\u0000');
        yield [step.blockId, input, output];
      }
      before = step.vars;
    }
  }
}

function firstLine(text: string): string {
  // A header block is its header; Python's `else:` merged into a block starts a line earlier.
  return text.split('\n').find((l) => /\b(if|elif|while|for)\b/.test(l)) ?? text;
}

/** Blocks (with the comparison's text) whose condition met equal values somewhere in the trace. */
function boundaryHits(trace: Trace, comparisons: ReadonlyMap<string, Comparison[]>): Map<string, string> {
  const hits = new Map<string, string>();
  for (const call of trace.calls) {
    for (const step of call.steps) {
      const list = comparisons.get(step.blockId);
      if (!list || hits.has(step.blockId)) continue;
      for (const c of list) {
        const l = evaluate(c.left, step.vars);
        const r = evaluate(c.right, step.vars);
        if (typeof l === 'number' && typeof r === 'number' && l === r) {
          hits.set(step.blockId, c.text);
          break;
        }
      }
    }
  }
  return hits;
}

/**
 * Blocks whose condition's and/or could be read (both sides known) at some evaluation in the trace,
 * and those where it had one side true and the other false.
 */
function connectiveHits(trace: Trace, connectives: ReadonlyMap<string, ReturnType<typeof connectivesIn>>): { seen: Set<string>; disagreed: Set<string> } {
  const seen = new Set<string>();
  const disagreed = new Set<string>();
  for (const call of trace.calls) {
    for (const step of call.steps) {
      const list = connectives.get(step.blockId);
      if (!list || disagreed.has(step.blockId)) continue;
      for (const c of list) {
        const l = truthOf(c.l, step.vars);
        const r = truthOf(c.r, step.vars);
        if (l === undefined || r === undefined) continue;
        seen.add(step.blockId);
        if (l !== r) {
          disagreed.add(step.blockId);
          break;
        }
      }
    }
  }
  return { seen, disagreed };
}

/**
 * The call of the test whose result is not the expected one: the last top-level call that returned
 * something else, else the last one whose result was cut too short to compare (a long list).
 */
function failingCall(trace: Trace, expected: Plain): TraceCall | undefined {
  const top = trace.calls.filter((c) => c.depth === 0 && c.returned && !c.threw);
  for (let i = top.length - 1; i >= 0; i--) {
    const returned = plainOf(top[i]!.returned);
    if (returned !== undefined && !plainEqual(returned, expected)) return top[i];
  }
  const cut = top.filter((c) => plainOf(c.returned) === undefined && c.returned!.text.includes('…'));
  return cut[cut.length - 1];
}

/**
 * The loop that wrote the returned list or text when the result and the expected one differ only in
 * their number of elements (one is the other cut short at one end): the header of the one loop
 * whose body wrote the returned variable, no branch deciding those writes.
 */
function countingLoop(blocks: readonly Block[], trace: Trace, expectedText: string): string | undefined {
  const expected = parsePlain(expectedText);
  if (!Array.isArray(expected) && typeof expected !== 'string') return undefined;
  const call = failingCall(trace, expected);
  const returned = plainOf(call?.returned);
  if (!call || returned === undefined || Array.isArray(returned) !== Array.isArray(expected) || typeof returned === 'number') return undefined;
  const r = seqOf(returned);
  const e = seqOf(expected);
  if (!r || !e || r.length === e.length || !(endsOf(r, e) || endsOf(e, r))) return undefined;
  const last = call.steps[call.steps.length - 1];
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const lastBlock = last && byId.get(last.blockId);
  if (!lastBlock || lastBlock.kind !== 'return') return undefined;
  const name = [...namesRead(lastBlock.text)].find((n) => plainEqual(plainOf(last.vars[n]), returned));
  if (!name) return undefined;
  // The writers of the returned variable inside a loop; when none ran (the loop never went round),
  // the blocks that would have.
  const ran = new Set(call.steps.map((s) => s.blockId));
  const inLoop = (ids: Iterable<string>) =>
    [...ids].filter((id) => id !== lastBlock.id && namesWritten(byId.get(id)?.text ?? '').has(name) && innermostLoopHeader(blocks, id) !== undefined && innermostLoopHeader(blocks, id) !== id);
  let writers = inLoop(ran);
  if (!writers.length) writers = inLoop(byId.keys());
  const headers = new Set<string>();
  for (const id of writers) {
    // A write a branch decides on: the decision may have added or left out the elements.
    if (decidedByBranch(blocks, id)) return undefined;
    headers.add(innermostLoopHeader(blocks, id)!);
  }
  const header = headers.size === 1 ? [...headers][0]! : undefined;
  return header && ran.has(header) ? header : undefined;
}

/**
 * A returned number built in a loop that is one step off the expected one: the expected value is
 * the one it held before its last change (one step too many), or its last change once more (one
 * step too few). The header of the loop that made that change, and the branch deciding the change
 * when one does.
 */
function oneStepOff(blocks: readonly Block[], trace: Trace, expectedText: string): string[] {
  const expected = parsePlain(expectedText);
  if (typeof expected !== 'number') return [];
  const call = failingCall(trace, expected);
  const returned = plainOf(call?.returned);
  const last = call?.steps[call.steps.length - 1];
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const lastBlock = last && byId.get(last.blockId);
  if (!call || typeof returned !== 'number' || !lastBlock || lastBlock.kind !== 'return') return [];
  const name = [...namesRead(lastBlock.text)].find((n) => plainEqual(plainOf(last.vars[n]), returned));
  if (!name) return [];
  // The variable's changes, each with the block that made it.
  const changes: { value: number; blockId: string }[] = [];
  let previous = plainOf(call.args[name]);
  for (const step of call.steps) {
    const value = plainOf(step.vars[name]);
    if (typeof value === 'number' && value !== previous && namesWritten(byId.get(step.blockId)?.text ?? '').has(name)) changes.push({ value, blockId: step.blockId });
    if (value !== undefined) previous = value;
  }
  if (changes.length < 2) return [];
  const end = changes[changes.length - 1]!;
  const before = changes[changes.length - 2]!.value;
  if (end.value !== returned) return [];
  const tooMany = expected === before;
  const tooFew = expected === end.value + (end.value - before);
  if (!tooMany && !tooFew) return [];
  const header = innermostLoopHeader(blocks, end.blockId);
  if (!header || header === end.blockId) return [];
  const guard = guards(blocks).get(end.blockId);
  return [header, ...(guard && guard !== header && byId.get(guard)?.kind === 'branch' ? [guard] : [])];
}

/** The literal a return block hands back (`return false;`, `return -1`), when that is all its last line does. */
function returnedLiteral(block: Block): Plain | undefined {
  if (block.kind !== 'return') return undefined;
  const lastLine = block.text.trim().split('\n').pop()!.trim();
  const m = /^return\s+(.+?);?$/.exec(lastLine);
  return m ? parsePlain(m[1]!) : undefined;
}

/**
 * The branches that chose a return of the wrong literal when another return of the function hands
 * back the expected value: the guard of the exit taken and the guards of the right exits that the
 * call evaluated, those that are branches (a loop header is no single decision).
 */
function wrongExit(blocks: readonly Block[], trace: Trace, expectedText: string): string[] {
  const expected = parsePlain(expectedText);
  if (expected === undefined) return [];
  const call = failingCall(trace, expected);
  const last = call?.steps[call.steps.length - 1];
  const taken = last && blocks.find((b) => b.id === last.blockId);
  const literal = taken && returnedLiteral(taken);
  if (!call || !taken || literal === undefined || plainEqual(literal, expected)) return [];
  const others = blocks.filter((b) => b.id !== taken.id && plainEqual(returnedLiteral(b), expected));
  if (!others.length) return [];
  const guardOf = guards(blocks);
  const ran = new Set(call.steps.map((s) => s.blockId));
  const isBranch = (id: string | undefined): id is string => !!id && blocks.find((b) => b.id === id)?.kind === 'branch';
  // The decision that sent it here, and the ones (evaluated in this call) that would have sent it to the right exit.
  const chosen = [guardOf.get(taken.id), ...others.map((b) => guardOf.get(b.id)).filter((g) => g && ran.has(g))];
  return [...new Set(chosen.filter(isBranch))];
}

const seqOf = (v: Plain): readonly Plain[] | undefined => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : undefined);

/** `part` is a strict prefix or suffix of `whole`: iterations missing (or extra) at one end. */
function endsOf(whole: readonly Plain[], part: readonly Plain[]): boolean {
  if (part.length >= whole.length) return false;
  const same = (offset: number) => part.every((x, i) => plainEqual(x, whole[i + offset]));
  return same(0) || same(whole.length - part.length);
}

/** The return block of the failing call when, as it returned, a variable held the (distinctive) expected value. */
function expectedAtHand(blocks: readonly Block[], trace: Trace, expectedText: string): string | undefined {
  const expected = parsePlain(expectedText);
  if (expected === undefined || !distinctive(expected)) return undefined;
  const call = failingCall(trace, expected);
  const last = call?.steps[call.steps.length - 1];
  if (!last || blocks.find((b) => b.id === last.blockId)?.kind !== 'return') return undefined;
  for (const value of Object.values(last.vars)) {
    const plain = plainOf(value);
    if (plain === undefined) continue;
    if (plainEqual(plain, expected) || (Array.isArray(plain) && !Array.isArray(expected) && plain.some((x) => plainEqual(x, expected)))) return last.blockId;
  }
  return undefined;
}

/** The return block of the failing call when what it returned sits in a list or text right beside the expected value. */
function neighbourReturned(blocks: readonly Block[], trace: Trace, expectedText: string): string | undefined {
  const expected = parsePlain(expectedText);
  if (expected === undefined) return undefined;
  const call = failingCall(trace, expected);
  const returned = plainOf(call?.returned);
  const last = call?.steps[call.steps.length - 1];
  if (returned === undefined || !last || blocks.find((b) => b.id === last.blockId)?.kind !== 'return') return undefined;
  for (const value of Object.values(last.vars)) {
    const seq = ((p) => (Array.isArray(p) ? p : typeof p === 'string' && typeof expected === 'string' && expected.length === 1 ? [...p] : undefined))(plainOf(value));
    if (!seq) continue;
    for (let i = 0; i < seq.length; i++) {
      if (plainEqual(seq[i], returned) && (plainEqual(seq[i - 1], expected) || plainEqual(seq[i + 1], expected))) return last.blockId;
    }
  }
  return undefined;
}

/** A value unlikely to be held by chance: not 0, 1, -1, a boolean, null, or empty. */
function distinctive(v: Plain): boolean {
  if (v === null || typeof v === 'boolean') return false;
  if (typeof v === 'number') return Math.abs(v) > 1;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

interface Deviation {
  readonly blockId: string;
  readonly name: string;
  /** The block that wrote the variable the wrong value came from, when another block did. */
  readonly origin?: { readonly blockId: string; readonly name: string };
}

/** The first step after which a returned variable took a value the expected result excludes. */
function deviation(blocks: readonly Block[], trace: Trace, expectedText: string): Deviation | undefined {
  const expected = parsePlain(expectedText);
  if (expected === undefined) return undefined;
  const call = failingCall(trace, expected);
  const last = call?.steps[call.steps.length - 1];
  const lastBlock = last && blocks.find((b) => b.id === last.blockId);
  // What a return hands back (a generator's yields are not one value).
  if (!call || !lastBlock || lastBlock.kind !== 'return') return undefined;
  const writes = new Map(blocks.map((b) => [b.id, namesWritten(b.text)]));
  const names = [...namesRead(lastBlock.text)].filter((n) => n in last.vars);
  let best: { index: number; blockId: string; name: string } | undefined;
  for (const name of names) {
    const found = firstExcluded(call, name, expected, (blockId) => writes.get(blockId)?.has(name) ?? false);
    if (found !== undefined && (!best || found < best.index)) best = { index: found, blockId: call.steps[found]!.blockId, name };
  }
  if (!best) return undefined;
  const origin = originOf(call, best.index, best.name, blocks, writes);
  return { blockId: best.blockId, name: best.name, ...(origin ? { origin } : {}) };
}

/**
 * Where the wrong value stored at step `index` into `name` came from: what the step added (new
 * elements of a list or text, or the amount a number moved by) equals the value of one other
 * (scalar) variable the block read, and the last earlier step of the call that wrote that
 * variable, in another block, made it. Undefined when no variable or more than one holds it (no guessing).
 */
function originOf(call: TraceCall, index: number, name: string, blocks: readonly Block[], writes: ReadonlyMap<string, Set<string>>): Deviation['origin'] {
  const step = call.steps[index]!;
  const block = blocks.find((b) => b.id === step.blockId);
  // A write a branch decides on (`if (p == 1) t.push(i)`): the decision is as likely at fault as the value.
  if (!block || decidedByBranch(blocks, block.id)) return undefined;
  const before = index > 0 ? call.steps[index - 1]!.vars : call.args;
  const added = addedBy(plainOf(before[name]), plainOf(step.vars[name]));
  if (!added.length) return undefined;
  const holders = [...namesRead(block.text)].filter((n) => {
    if (n === name || !(n in step.vars)) return false;
    const value = plainOf(step.vars[n]);
    // A scalar: its last writer made all of it (a list's last writer only added to it).
    return value !== undefined && (value === null || typeof value !== 'object') && added.some((a) => plainEqual(a, value));
  });
  if (holders.length !== 1) return undefined;
  const holder = holders[0]!;
  // The last writer of the holder up to this step; none when it is the deviating block itself.
  for (let i = index; i >= 0; i--) {
    const id = call.steps[i]!.blockId;
    if (writes.get(id)?.has(holder)) return id === step.blockId ? undefined : { blockId: id, name: holder };
  }
  return undefined;
}

/** What a step added to a value: new elements of a list or text (in order), or the amount a number moved by. */
function addedBy(before: Plain | undefined, after: Plain | undefined): Plain[] {
  if (typeof after === 'number') return typeof before === 'number' && before !== after ? [after - before] : [];
  const seq = (v: Plain | undefined): readonly Plain[] | undefined => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : undefined);
  const a = seq(after);
  if (!a) return [];
  const left = [...(seq(before) ?? [])];
  const added: Plain[] = [];
  for (const x of a) {
    const i = left.findIndex((y) => plainEqual(x, y));
    if (i >= 0) left.splice(i, 1);
    else added.push(x);
  }
  // A string's added characters are also the added text as a whole (`out += word`).
  if (typeof after === 'string' && added.length > 1) added.push(added.join(''));
  return added;
}

/** Index of the first step, of a block that writes `name`, after which its value is one the expected result excludes. */
function firstExcluded(call: TraceCall, name: string, expected: Plain, writes: (blockId: string) => boolean): number | undefined {
  let previous: Plain | undefined;
  let direction = 0;
  for (let i = 0; i < call.steps.length; i++) {
    if (!writes(call.steps[i]!.blockId)) continue;
    const value = readVar(call.steps[i]!.vars, name);
    if (value === undefined) continue;
    if (typeof value === 'number' && typeof expected === 'number' && typeof previous === 'number' && value !== previous) {
      const d = Math.sign(value - previous);
      // An accumulator that has only moved one way and is now past the expected value.
      direction = direction === 0 ? d : direction === d ? d : 2;
      if (direction !== 2 && (direction > 0 ? value > expected : value < expected)) return i;
    } else if (excludes(expected, value)) return i;
    previous = value;
  }
  return undefined;
}

function readVar(vars: TraceVars, name: string): Plain | undefined {
  return plainOf(vars[name]);
}

/** The expected list or text has no room for this (partial) value: an element it lacks, or more elements. */
function excludes(expected: Plain, value: Plain): boolean {
  const seq = (v: Plain): readonly Plain[] | undefined => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : undefined);
  const e = seq(expected);
  const v = seq(value);
  if (!e || !v || Array.isArray(expected) !== Array.isArray(value)) return false;
  if (v.length > e.length) return true;
  const left = [...e];
  for (const x of v) {
    const i = left.findIndex((y) => plainEqual(x, y));
    if (i < 0) return true;
    left.splice(i, 1);
  }
  return false;
}

const runawayRecursion = /RecursionError|Maximum call stack size exceeded/;

/**
 * A runaway recursion stuck on a smallest input after making progress: the first decision (branch)
 * the stuck call took, which should have ended it there.
 */
function baseCaseOf(blocks: readonly Block[], t: TracedTest): string | undefined {
  if (!runawayRecursion.test(t.message ?? '')) return undefined;
  // Calls come in the order they started: a call's parent is the last call one level up before it.
  const open: TraceCall[] = [];
  let progressed = false;
  for (const call of t.trace.calls) {
    open.length = Math.max(0, call.depth);
    const parent = call.depth > 0 ? open[call.depth - 1] : undefined;
    open[call.depth] = call;
    if (!parent) continue;
    const keys = Object.keys(parent.args);
    const same = keys.length > 0 && keys.every((k) => plainEqual(plainOf(parent.args[k]), plainOf(call.args[k])));
    if (!same) {
      progressed = true;
      continue;
    }
    if (!progressed || !smallest(call.args)) return undefined;
    const kinds = new Map(blocks.map((x) => [x.id, x.kind]));
    return call.steps.find((s) => kinds.get(s.blockId) === 'branch')?.blockId;
  }
  return undefined;
}

/** Some sequence argument has at most one element (the smallest input a divide-and-conquer base case must stop). */
function smallest(args: TraceVars): boolean {
  return Object.values(args).some((v) => {
    const p = plainOf(v);
    return (Array.isArray(p) || typeof p === 'string') && p.length <= 1;
  });
}
