// The probes the rewritten function calls (see src/core/trace/jsInstrument.ts) and the recorder
// behind them: the JavaScript twin of ducktrace_tracer.py's Recorder. It writes the same RawTrace
// (src/core/trace/traceBudget.ts): when the process exits, when the step budget runs out (an
// endless loop: the trace is written and the process ends with exit code 124), when the host tells
// it to stop (its time limit: jsRegister.ts turns the SIGTERM into `stop('signal')`), and, while the
// test runs, as checkpoints from the probes themselves (marked `partial`): a test stuck in a loop
// outside the function blocks the event loop, so no signal handler or timer would ever run there.
// Every probe is guarded: an error in here must never change what the user's code does.

import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { types } from 'node:util';
import { threadId } from 'node:worker_threads';
import type { Probe } from '../../../core/trace/jsInstrument';
import type { RawCall, RawStep, RawTrace } from '../../../core/trace/traceBudget';
import type { TraceValue } from '../../../core/trace/traceModel';
import { Renderer } from './jsRender';
import type { JsTracePlan } from './jsPlan';

const TDZ = Symbol('ducktrace.unset');

class Ring<T> {
  private items: T[] = [];
  private start = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.size;
    }
  }
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}

class CallRecord {
  readonly steps: RawStep[] = [];
  readonly notable: RawStep[] = [];
  readonly ring: Ring<RawStep>;
  executed = 0;
  readonly visits = new Map<string, number>();
  readonly typesSeen = new Set<string>();
  readonly firstSeen = new Set<string>();
  returned?: TraceValue;
  threw?: TraceValue;
  hasThrown = false;
  done = false;
  /** The probe of the block running now (set by the block's start mark), -1 between blocks. */
  b = -1;
  lastVars: Record<string, TraceValue> | undefined;
  /** The variables' names and types at the last step (typeSignature). */
  lastSignature: string | undefined;
  constructor(
    readonly seq: number,
    readonly depth: number,
    readonly args: Record<string, TraceValue>,
    ringSize: number,
  ) {
    this.ring = new Ring(ringSize);
  }
  toJson(unfinished: boolean): RawCall {
    const steps = [...this.steps, ...this.notable, ...this.ring.toArray()].sort((a, b) => a.index - b.index);
    return {
      args: this.args,
      depth: this.depth,
      steps,
      executedSteps: this.executed,
      ...(this.threw ? { threw: this.threw } : this.returned ? { returned: this.returned } : {}),
      ...(unfinished ? { unfinished: true } : {}),
    };
  }
}

/** The variables' names and types, in name order: a step with new ones is kept (notable). */
function typeSignature(vars: Record<string, TraceValue>): string {
  return Object.keys(vars)
    .sort()
    .map((k) => `${k}:${vars[k].type}`)
    .join(',');
}

/** The same names in the same order with the same types: the same signature, without building it. */
function sameTypes(a: Record<string, TraceValue>, b: Record<string, TraceValue> | undefined): boolean {
  if (!b) return false;
  const keys = Object.keys(a);
  const other = Object.keys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== other[i] || a[keys[i]].type !== b[keys[i]].type) return false;
  return true;
}

/** A call too deep to record: probes ignore it, exit still counts it. */
const dropped = { dropped: true } as const;
type Call = CallRecord | typeof dropped;

export class Recorder {
  private readonly renderer: Renderer;
  private readonly maxCalls: number;
  private readonly keepFull: number;
  private readonly ringSize: number;
  private readonly started = Date.now();
  private readonly headCalls: CallRecord[] = [];
  private readonly tailCalls: Ring<CallRecord>;
  private tailCount = 0;
  private readonly active = new Set<CallRecord>();
  private droppedCalls = 0;
  private droppedDeep = 0;
  private stackDepth = 0;
  private seq = 0;
  private executedTotal = 0;
  private written = false;
  private stopped: RawTrace['stoppedBy'];
  /** Something was recorded since the last checkpoint. */
  private dirty = false;
  private lastCheckpoint = 0;
  /** Between checkpoints: 20 ms, or 50 times what the last one took (at most a second), so they cost at most ~2%. */
  private checkpointEvery = 20;
  private readonly notes: string[] = [];
  private warned = false;
  entered = false;

  constructor(
    private readonly plan: JsTracePlan,
    private readonly onStop: (reason: 'steps' | 'signal') => void = () => {},
  ) {
    const b = plan.budget;
    this.renderer = new Renderer(b.maxValueChars);
    this.maxCalls = Math.max(2, b.maxCalls);
    this.keepFull = Math.max(2 * b.maxSteps, 200);
    this.ringSize = Math.max(Math.floor(b.maxSteps / 2), 50);
    this.tailCalls = new Ring(this.maxCalls);
  }

  // -- probes (the instrumented code calls these through globalThis.__ducktrace)

  enter(self: unknown, values: readonly unknown[]): Call {
    try {
      this.entered = true;
      if (this.stackDepth >= this.plan.budget.maxDepth) {
        this.droppedDeep++;
        this.stackDepth++;
        return dropped;
      }
      const args: Record<string, TraceValue> = {};
      if (this.plan.thisArg) args.this = this.renderer.render(self);
      this.plan.params.forEach((name, i) => (args[name] = this.renderer.render(values[i])));
      const call = new CallRecord(++this.seq, this.stackDepth, args, this.ringSize);
      this.stackDepth++;
      this.active.add(call);
      this.dirty = true;
      this.maybeCheckpoint();
      return call;
    } catch (e) {
      this.guardFailed(e);
      return dropped;
    }
  }

  s(call: Call, probe: number, values: readonly unknown[]): void {
    if (call instanceof CallRecord && !this.stopped) this.step(call, probe, values);
  }

  /** A header (condition, switch value): the value passes through. */
  h<T>(call: Call, probe: number, value: T, values: readonly unknown[]): T {
    if (call instanceof CallRecord && !this.stopped) this.step(call, probe, values);
    return value;
  }

  ret<T>(call: Call, probe: number, value: T, values: readonly unknown[]): T {
    if (call instanceof CallRecord && !this.stopped) {
      this.step(call, probe, values, true);
      try {
        call.returned = this.renderer.render(value);
      } catch (e) {
        this.guardFailed(e);
      }
    }
    return value;
  }

  thr<T>(call: Call, probe: number, value: T, values: readonly unknown[]): T {
    if (call instanceof CallRecord && !this.stopped) this.step(call, probe, values, true);
    return value;
  }

  /** A handler or finally block starts: the block an exception interrupted is recorded first. */
  m(call: Call, probe: number): void {
    if (!(call instanceof CallRecord)) return;
    if (call.b >= 0 && !this.stopped) this.partial(call);
    call.b = probe;
  }

  /** Reads a variable that may still be in its temporal dead zone. */
  safe(read: () => unknown): unknown {
    try {
      return read();
    } catch {
      return TDZ;
    }
  }

  threw(call: Call, error: unknown): void {
    if (!(call instanceof CallRecord)) return;
    try {
      if (call.b >= 0 && !this.stopped) this.partial(call);
      call.hasThrown = true;
      call.threw = this.renderer.render(error);
    } catch (e) {
      this.guardFailed(e);
    }
  }

  exit(call: Call): void {
    this.stackDepth = Math.max(0, this.stackDepth - 1);
    if (!(call instanceof CallRecord) || call.done) return;
    try {
      call.done = true;
      this.active.delete(call);
      if (!call.hasThrown) {
        call.threw = undefined;
        if (!call.returned) call.returned = this.renderer.render(undefined);
      }
      this.store(call);
      this.dirty = true;
      // The first calls are written as they end, whatever the interval: a test that calls the
      // function a few times and then gets stuck loses none of them.
      this.maybeCheckpoint(this.seq <= this.maxCalls);
    } catch (e) {
      this.guardFailed(e);
    }
  }

  // -- recording

  /** A block an exception cut short: its variables as the last probe saw them. */
  private partial(call: CallRecord): void {
    const probe = call.b;
    call.b = -1;
    this.step(call, probe, undefined, true);
  }

  private step(call: CallRecord, probeIndex: number, values: readonly unknown[] | undefined, final = false): void {
    try {
      call.b = -1;
      const probe = this.plan.probes[probeIndex];
      if (!probe) return;
      const block = probe.blockId;
      const iteration = (call.visits.get(block) ?? 0) + 1;
      call.visits.set(block, iteration);
      const vars = values ? this.vars(probe, values) : (call.lastVars ?? call.args);
      const previous = call.lastVars;
      call.lastVars = vars;
      const step: RawStep = { index: call.executed, blockId: block, iteration, vars };
      call.executed++;
      this.executedTotal++;
      // Every step until the call has many; then first visits and new variable types, and a ring
      // of the latest steps (the budget in TypeScript picks from these), as the Python tracer does.
      const signature = call.lastSignature !== undefined && sameTypes(vars, previous) ? call.lastSignature : typeSignature(vars);
      call.lastSignature = signature;
      if (call.steps.length < this.keepFull) call.steps.push(step);
      else if ((!call.firstSeen.has(block) || !call.typesSeen.has(signature)) && call.notable.length < this.keepFull) call.notable.push(step);
      else call.ring.push(step);
      call.typesSeen.add(signature);
      call.firstSeen.add(block);
      this.dirty = true;
    } catch (e) {
      this.guardFailed(e);
      return;
    }
    if (final) return;
    if (this.executedTotal >= this.plan.budget.maxExecutedSteps) this.stop('steps');
    else this.maybeCheckpoint();
  }

  /** Writes what was recorded so far when it changed and the last checkpoint is old enough. */
  private maybeCheckpoint(now_ = false): void {
    if (!this.dirty || this.written || this.stopped) return;
    const now = Date.now();
    if (!now_ && now - this.lastCheckpoint < this.checkpointEvery) return;
    try {
      this.dirty = false;
      this.writeFile(this.snapshot(undefined, true));
      const after = Date.now();
      this.lastCheckpoint = after;
      this.checkpointEvery = Math.min(1000, Math.max(20, 50 * (after - now)));
    } catch (e) {
      // A folder gone or full: stop trying, the final write says what it can.
      this.checkpointEvery = Infinity;
      this.guardFailed(e);
    }
  }

  private vars(probe: Probe, values: readonly unknown[]): Record<string, TraceValue> {
    const out: Record<string, TraceValue> = {};
    probe.slots.forEach((slot, i) => {
      const value = values[i];
      if (value === TDZ) return;
      if (slot.kind === 'this') {
        if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
        for (const field of this.plan.selfFields) {
          const d = this.ownData(value as object, field);
          if (d) out[`this.${field}`] = this.renderer.render(d.value);
        }
      } else out[slot.name] = this.renderer.render(value);
    });
    return out;
  }

  private ownData(obj: object, key: string): { value: unknown } | undefined {
    // A Proxy's traps are user code: leave it alone.
    if (types.isProxy(obj)) return undefined;
    const d = Reflect.getOwnPropertyDescriptor(obj, key);
    return d && 'value' in d ? { value: d.value } : undefined;
  }

  private store(call: CallRecord): void {
    if (this.headCalls.length < this.maxCalls) this.headCalls.push(call);
    else {
      if (this.tailCount >= this.maxCalls) this.droppedCalls++;
      this.tailCount++;
      this.tailCalls.push(call);
    }
  }

  private guardFailed(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.notes.push(`a tracer error left some values out: ${String(e)}`);
    try {
      process.stderr.write(`ducktrace tracer: tracing error (the test continues): ${String(e)}\n`);
    } catch {
      // nowhere to say it
    }
  }

  // -- output

  /** `partial`: a checkpoint, written while the test still runs. */
  snapshot(stopped?: RawTrace['stoppedBy'], partial = false, exitCode?: number): RawTrace {
    const calls = [...this.headCalls.map((c) => [c, false] as const), ...this.tailCalls.toArray().map((c) => [c, false] as const), ...[...this.active].map((c) => [c, true] as const)].sort(
      (a, b) => a[0].seq - b[0].seq,
    );
    return {
      calls: calls.map(([c, unfinished]) => c.toJson(unfinished)),
      droppedCalls: this.droppedCalls,
      droppedDeepCalls: this.droppedDeep,
      executedSteps: this.executedTotal,
      elapsedMs: Date.now() - this.started,
      ...(stopped ? { stoppedBy: stopped } : {}),
      ...(stopped === 'exit' && exitCode !== undefined ? { exitCode } : {}),
      ...(partial ? { partial: true } : {}),
      ...(this.notes.length ? { notes: [...this.notes] } : {}),
    };
  }

  /** Writes the trace once, when the target ran in this process. */
  write(stopped = this.stopped): void {
    if (this.written || !this.entered) return;
    this.written = true;
    this.writeFile(this.snapshot(stopped));
  }

  /**
   * The process is exiting. With the function still running (its call never returned), the
   * program ended itself in the middle of the test (process.exit): the trace says so.
   */
  writeAtExit(code: number | undefined): void {
    if (this.written || !this.entered) return;
    this.written = true;
    const early = !this.stopped && this.active.size > 0;
    this.writeFile(this.snapshot(early ? 'exit' : this.stopped, false, code));
  }

  private writeFile(trace: RawTrace): void {
    const file = join(this.plan.outDir, `trace-${process.pid}-${threadId}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(trace));
    renameSync(`${file}.tmp`, file);
  }

  /**
   * Ends the program: the trace so far is the result (an endless loop at the step budget, or the
   * host's time limit, told by a signal).
   */
  stop(reason: 'steps' | 'signal'): void {
    if (this.stopped) return;
    this.stopped = reason;
    try {
      this.write(reason);
    } catch (e) {
      process.stderr.write(`ducktrace tracer: could not write the trace: ${String(e)}\n`);
    }
    this.onStop(reason);
  }
}
