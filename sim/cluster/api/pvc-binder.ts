import type { Store } from '../store-types.ts';

/**
 * The PersistentVolume binder, reduced to what a pod needs: every Pending claim is bound at once
 * to a dynamically provisioned volume `pvc-<uid>` of the requested size (a default StorageClass
 * with Immediate binding). The data lives in `<pvRoot>/<namespace>/<claim>` on the machine.
 */
export class PvcBinder {
  private unwatch: (() => void) | undefined;

  constructor(private readonly store: Store) {}

  start(): void {
    this.unwatch = this.store.watch('persistentvolumeclaims', undefined, {}, (e) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      if ((e.object.status as { phase?: string } | undefined)?.phase !== 'Pending' || e.object.metadata.deletionTimestamp) return;
      const { namespace, name } = e.object.metadata;
      queueMicrotask(() => {
        try {
          this.store.mutate('persistentvolumeclaims', namespace, name as string, (o) => {
            const spec = (o.spec ?? {}) as { accessModes?: string[]; resources?: { requests?: { storage?: string } }; volumeName?: string };
            spec.volumeName ||= `pvc-${o.metadata.uid}`;
            o.spec = spec;
            o.metadata.annotations = { ...o.metadata.annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
            o.status = { phase: 'Bound', accessModes: spec.accessModes ?? [], capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' } };
          });
        } catch {
          // Deleted meanwhile.
        }
      });
    });
  }

  stop(): void {
    this.unwatch?.();
  }
}
