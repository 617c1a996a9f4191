/**
 * Pod IPs: every pod gets its own loopback address in 127.1.0.0/16, so its processes bind the
 * ports they would bind on a cluster (8000, 8001, 8080, 8081) without clashing with other pods,
 * and a client reaches `<podIP>:<port>` over real TCP. Linux routes all of 127.0.0.0/8 to the
 * loopback interface, so these addresses work without any setup.
 *
 * Addresses are handed out in order and reused only after the range wrapped, like a CNI's IPAM,
 * so a reader never mistakes a new pod for an old one.
 */

/** First and last usable host numbers within 127.1.0.0/16 (skipping .0.0 and the broadcast). */
const FIRST = 1;
const LAST = 65534;

/** Allocates pod IPs in 127.1.0.0/16. */
export class PodIpAllocator {
  private next = FIRST;
  private readonly used = new Map<string, string>();
  private readonly taken = new Set<number>();

  /** The IP of a pod UID, allocating one on first use; throws when the range is exhausted. */
  allocate(uid: string): string {
    const existing = this.used.get(uid);
    if (existing) return existing;
    for (let tries = 0; tries <= LAST - FIRST; tries++) {
      const n = this.next;
      this.next = n >= LAST ? FIRST : n + 1;
      if (this.taken.has(n)) continue;
      this.taken.add(n);
      const ip = `127.1.${n >> 8}.${n & 255}`;
      this.used.set(uid, ip);
      return ip;
    }
    throw new Error('pod IP range 127.1.0.0/16 exhausted');
  }

  /** The IP of a pod, if it has one. */
  of(uid: string): string | undefined {
    return this.used.get(uid);
  }

  /** Returns a pod's IP to the pool. */
  release(uid: string): void {
    const ip = this.used.get(uid);
    if (!ip) return;
    this.used.delete(uid);
    const [, , a, b] = ip.split('.').map(Number);
    this.taken.delete((a! << 8) | b!);
  }
}
