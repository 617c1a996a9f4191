/** Shared setup of the store tests: a fresh store with namespace `ns`, object builders, error capture. */
import { ClusterClock } from '../../clock.ts';
import { StoreError, type KObject } from '../../store-types.ts';
import { createStore, type ClusterStore } from '../../api/store.ts';

// Live bindings: after `fresh()`, importers see the new store and clock.
export let clock: ClusterClock;
export let store: ClusterStore;

export function fresh(historyLimit?: number, timeScale = 0.001): ClusterStore {
  clock = new ClusterClock(timeScale);
  store = createStore(clock, historyLimit ? { historyLimit } : {});
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  return store;
}

/** For `afterEach`: closes the last store and cancels its clock's timers. */
export function closeStore(): void {
  store?.close();
  clock?.stopAll();
}

export function pod(name: string, extra: Partial<KObject['metadata']> = {}, spec: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { containers: [{ name: 'c', image: 'img:1' }], ...spec } };
}

export function cm(name: string, meta: Partial<KObject['metadata']> = {}, data: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data };
}

export function err(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error('expected a StoreError');
}
