/**
 * The sleeper budget of the direct path (protocol section 2.4 "Sleeper budget", section 9.3 E.3;
 * `enforceSleeperBudget`): before creating a new provider, for each GPU the requester was
 * assigned, count the existing direct providers on `node + " " + index`; when the count exceeds
 * `sleeperLimit`, delete the excess, oldest first. Age runs from the controller's last
 * managed-fields write (an approximation of LRU), else from creation; ties go to the smaller
 * name. A provider deleted for one GPU is not counted again for another.
 */

/** A direct provider occupying a GPU. */
export interface GpuOccupant {
  name: string;
  /** Time (ms) of the controller's last write to it, else its creation time. */
  lastWriteMs: number;
}

/** One deletion the budget calls for. */
export interface SleeperVictim {
  name: string;
  /** The `node index` key whose budget it was deleted for. */
  gpuKey: string;
  /** Its position among the occupants of that GPU (oldest = 0) and their count, for the log line. */
  idx: number;
  total: number;
}

/** Oldest first: earlier last write first, then by name (`comparePods`). */
export function compareOccupants(a: GpuOccupant, b: GpuOccupant): number {
  if (a.lastWriteMs !== b.lastWriteMs) return a.lastWriteMs - b.lastWriteMs;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The providers to delete, in order, given the occupants of each of the requester's GPU keys
 * (`node + " " + index`, in the requester's GPU order).
 */
export function planSleeperBudget(gpuKeys: readonly string[], occupants: ReadonlyMap<string, readonly GpuOccupant[]>, sleeperLimit: number): SleeperVictim[] {
  const goners = new Set<string>();
  const victims: SleeperVictim[] = [];
  for (const key of gpuKeys) {
    const present = (occupants.get(key) ?? []).filter((o) => !goners.has(o.name));
    const toGo = present.length - sleeperLimit;
    if (toGo <= 0) continue;
    const sorted = [...present].sort(compareOccupants);
    sorted.slice(0, toGo).forEach((o, idx) => {
      goners.add(o.name);
      victims.push({ name: o.name, gpuKey: key, idx, total: sorted.length });
    });
  }
  return victims;
}
