import type { FieldError } from './errors.ts';

/**
 * Service ClusterIP allocation from the simulator's service range, 127.2.0.0/16: on Linux every
 * 127.0.0.0/8 address routes to loopback, so the service proxy can bind `<clusterIP>:<port>`
 * without any network setup. Addresses are picked at random, as the API server's allocator does,
 * which also keeps two simulators running side by side on one machine from colliding.
 */

/** First two octets of the service range. */
export const SERVICE_CIDR = '127.2.0.0/16';
const PREFIX = '127.2.';

/** Allocates and releases ClusterIPs; one per store. */
export class ClusterIpAllocator {
  private readonly used = new Set<string>();

  /** Whether `ip` lies in the service range (excluding the network and broadcast addresses). */
  inRange(ip: string): boolean {
    const m = /^127\.2\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
    if (!m) return false;
    const n = Number(m[1]) * 256 + Number(m[2]);
    return Number(m[1]) <= 255 && Number(m[2]) <= 255 && n > 0 && n < 65535;
  }

  /**
   * Allocates `requested` (validated) or a free random address. Returns the address or the field
   * error the API server reports.
   */
  allocate(requested: string | undefined): string | FieldError {
    if (requested) {
      if (!this.inRange(requested)) {
        return { field: 'spec.clusterIPs', type: 'Invalid value', value: [requested], detail: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}` };
      }
      if (this.used.has(requested)) {
        return { field: 'spec.clusterIPs', type: 'Invalid value', value: [requested], detail: `failed to allocate IP ${requested}: provided IP is already allocated` };
      }
      this.used.add(requested);
      return requested;
    }
    if (this.used.size >= 65534) return { field: 'spec.clusterIPs', type: 'Invalid value', value: [], detail: 'failed to allocate a serviceIP: range is full' };
    for (;;) {
      const n = 1 + Math.floor(Math.random() * 65534);
      const ip = `${PREFIX}${n >> 8}.${n & 255}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }

  /** Returns `ip` to the pool. */
  release(ip: string | undefined): void {
    if (ip) this.used.delete(ip);
  }
}
