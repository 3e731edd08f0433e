/**
 * The globals tinybench needs that QuickJS 2021-03-27 lacks: `performance.now` (from the host's
 * monotonic clock, dm_native.clockMonotonicMs), `Event` and `EventTarget` (tinybench's Bench and
 * Task extend them; only addEventListener/removeEventListener/dispatchEvent are used).
 * Must be evaluated before tinybench's module (the QuickJS entry imports this module first).
 * Nothing is replaced where the runtime already has it.
 */

type Listener = (e: unknown) => void;

class ShimEvent {
  readonly type: string;
  constructor(type: string) {
    this.type = type;
  }
}

class ShimEventTarget {
  readonly #l = new Map<string, Listener[]>();
  addEventListener(type: string, fn: Listener): void {
    const a = this.#l.get(type) ?? [];
    a.push(fn);
    this.#l.set(type, a);
  }
  removeEventListener(type: string, fn: Listener): void {
    const a = this.#l.get(type);
    if (!a) return;
    const i = a.indexOf(fn);
    if (i >= 0) a.splice(i, 1);
  }
  dispatchEvent(e: { type: string }): boolean {
    for (const fn of [...(this.#l.get(e.type) ?? [])]) fn(e);
    return true;
  }
}

/** Installs the shims on `globalThis`; `now` is a monotonic millisecond clock. */
export function installShims(now: () => number): void {
  const g = globalThis as unknown as Record<string, unknown>;
  if (typeof g['Event'] !== 'function') g['Event'] = ShimEvent;
  if (typeof g['EventTarget'] !== 'function') g['EventTarget'] = ShimEventTarget;
  if (typeof g['performance'] !== 'object' || g['performance'] === null) g['performance'] = { now };
}
