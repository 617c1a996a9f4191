import type { ClusterClock } from '../clock.ts';
import type { KObject, WatchEvent } from '../store-types.ts';
import { expired, badRequest } from './errors.ts';
import { matchesFields, type FieldRequirement } from './field-selector.ts';
import { matchesLabels, type LabelRequirement } from './label-selector.ts';

/**
 * The watch side of the store: a bounded history of every change (so a watch resumes from any
 * retained resourceVersion, and answers 410 Expired for older ones) and the subscribers.
 *
 * Delivery is synchronous and in global resourceVersion order for every subscriber, also when a
 * subscriber changes the store from inside its callback: changes made during a delivery are
 * queued and delivered after the current event reached everyone. Like the API server's watch
 * cache, a MODIFIED event becomes ADDED for a watcher whose selector the object starts matching
 * and DELETED (with the previous content) for one it stops matching.
 */

/** One retained change. */
export interface HistoryEntry {
  rv: number;
  resource: string;
  namespace: string | undefined;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (as last stored, for DELETED). Never mutated. */
  object: KObject;
  /** The object before a MODIFIED change. Never mutated. */
  prev?: KObject;
}

/** What a subscriber selects. */
export interface WatchFilter {
  resource: string;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

interface Watcher {
  filter: WatchFilter;
  onEvent: (event: WatchEvent) => void;
  /** Highest resourceVersion this watcher has seen (or skipped); later events only. */
  lastRv: number;
  closed: boolean;
  cancelBookmark?: () => void;
}

/** Cluster milliseconds between BOOKMARK events, as the API server sends them (about a minute). */
export const BOOKMARK_INTERVAL_MS = 60_000;

function matches(f: WatchFilter, o: KObject): boolean {
  if (f.namespace !== undefined && o.metadata.namespace !== f.namespace) return false;
  return matchesLabels(f.labels, o.metadata.labels) && matchesFields(f.fields, o);
}

/** Reports an exception thrown by a subscriber without breaking delivery to the others. */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** Change history and subscribers of one store. */
export class WatchHub {
  private readonly ring: HistoryEntry[] = [];
  private start = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly queue: HistoryEntry[] = [];
  private draining = false;

  constructor(
    private readonly clock: ClusterClock,
    /** Retained history entries (the oldest are dropped first). */
    readonly capacity: number,
    private readonly currentRv: () => number,
  ) {}

  /** Oldest resourceVersion a watch can still resume from (events newer than it are all retained). */
  oldestResumable(): number {
    const first = this.ring[this.start];
    return first ? first.rv - 1 : this.currentRv();
  }

  /** Records a change and delivers it (now, or after the delivery in progress). */
  publish(entry: HistoryEntry): void {
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
    this.queue.push(entry);
    if (!this.draining) this.drain();
  }

  /** Number of open subscriptions. */
  size(): number {
    return this.watchers.size;
  }

  private *history(): Generator<HistoryEntry> {
    for (let i = 0; i < this.ring.length; i++) yield this.ring[(this.start + i) % this.ring.length] as HistoryEntry;
  }

  private drain(): void {
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        for (const w of [...this.watchers]) this.deliver(w, e);
      }
    } finally {
      this.draining = false;
    }
  }

  private deliver(w: Watcher, e: HistoryEntry): void {
    if (w.closed || e.rv <= w.lastRv) return;
    w.lastRv = e.rv;
    const event = translate(w.filter, e);
    if (!event) return;
    try {
      w.onEvent(event);
    } catch (err) {
      rethrowLater(err);
    }
  }

  /**
   * Subscribes. `snapshot` lists the current objects (for a start without resourceVersion);
   * `resourceVersion` resumes after that version from the history. Initial events are delivered
   * before this returns.
   */
  subscribe(filter: WatchFilter, resourceVersion: string | undefined, bookmarks: boolean, snapshot: () => KObject[], onEvent: (event: WatchEvent) => void): () => void {
    const initial: WatchEvent[] = [];
    let now = this.currentRv();
    if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') {
      for (const o of snapshot()) if (matches(filter, o)) initial.push({ type: 'ADDED', object: structuredClone(o) });
    } else {
      if (!/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resource version "${resourceVersion}": expected a number`);
      const from = Number(resourceVersion);
      const oldest = this.oldestResumable();
      if (from < oldest) throw expired(resourceVersion, oldest + 1);
      // A version from the future (another store's): nothing up to it is delivered.
      now = Math.max(now, from);
      for (const e of this.history()) {
        if (e.rv <= from) continue;
        const ev = translate(filter, e);
        if (ev) initial.push(ev);
      }
    }
    const w: Watcher = { filter, onEvent, lastRv: now, closed: false };
    this.watchers.add(w);
    const wasDraining = this.draining;
    this.draining = true;
    try {
      for (const ev of initial) {
        if (w.closed) break;
        try {
          onEvent(ev);
        } catch (err) {
          rethrowLater(err);
        }
      }
    } finally {
      this.draining = wasDraining;
    }
    if (!wasDraining && this.queue.length) this.drain();
    if (bookmarks && !w.closed) this.scheduleBookmark(w);
    return () => {
      w.closed = true;
      w.cancelBookmark?.();
      this.watchers.delete(w);
    };
  }

  private scheduleBookmark(w: Watcher): void {
    w.cancelBookmark = this.clock.after(BOOKMARK_INTERVAL_MS, () => {
      if (w.closed) return;
      w.lastRv = Math.max(w.lastRv, this.currentRv());
      this.scheduleBookmark(w);
      try {
        w.onEvent({ type: 'BOOKMARK', object: { apiVersion: '', kind: '', metadata: { resourceVersion: String(w.lastRv) } } });
      } catch (err) {
        rethrowLater(err);
      }
    });
  }

  /** Ends every subscription (their callbacks get nothing more). */
  closeAll(): void {
    for (const w of this.watchers) {
      w.closed = true;
      w.cancelBookmark?.();
    }
    this.watchers.clear();
  }
}

/** The event one watcher sees for a change, or undefined when the change is not visible to it. */
function translate(f: WatchFilter, e: HistoryEntry): WatchEvent | undefined {
  if (e.resource !== f.resource) return undefined;
  if (f.namespace !== undefined && e.namespace !== f.namespace) return undefined;
  const now = matches(f, e.object);
  if (e.type !== 'MODIFIED') return now ? { type: e.type, object: structuredClone(e.object) } : undefined;
  const before = e.prev ? matches(f, e.prev) : false;
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: structuredClone(e.object) };
  if (!before || !e.prev) return undefined;
  const gone = structuredClone(e.prev);
  gone.metadata.resourceVersion = String(e.rv);
  return { type: 'DELETED', object: gone };
}
