import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterClock } from '../clock.ts';
import type { KObject, Store } from '../store-types.ts';
import type { Authorizer, RequestAttributes, Verb } from './authz.ts';
import { authorizeRequest } from './authz.ts';
import type { ResourcePath } from './request-path.ts';
import { apiVersionOf, type ResourceInfo } from './resources.ts';
import type { WatchRegistry } from './watch-registry.ts';

/** What every resource request handler gets. */

/** One line of a pod's log, with the cluster time it was written. */
export interface PodLogLine {
  /** Cluster time: ms since 1970, or an RFC 3339 string. */
  time: number | string;
  text: string;
}

/** The `pods/log` query, passed through to the log source. */
export interface PodLogQuery {
  sinceTime?: string;
  sinceSeconds?: number;
  tailLines?: number;
  timestamps: boolean;
  previous: boolean;
}

/**
 * Source of container logs for `pods/log`. Returning lines (with times) lets the server apply
 * `sinceTime`, `sinceSeconds`, `tailLines` and `timestamps`; returning a string lets it apply
 * `tailLines` only (the query is passed along for the source to honour the rest). Undefined means
 * the container has not started (the API server's 400 `... is waiting to start`).
 */
export type PodLogSource = (namespace: string, pod: string, container: string | undefined, query: PodLogQuery) => string | PodLogLine[] | undefined;

/**
 * A container log that can be followed (`pods/log?follow=true`): its lines so far, and the lines
 * written from now on until the container run ends.
 */
export interface FollowableLog {
  entries(): PodLogLine[];
  follow(line: (entry: PodLogLine) => void, end: () => void): () => void;
}

/** Finds the followable log of a container; undefined when it has not started (or cannot be followed). */
export type PodLogFollowSource = (namespace: string, pod: string, container: string) => FollowableLog | undefined;

/** Per-request context. */
export interface HandlerContext {
  store: Store;
  clock: ClusterClock;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  path: ResourcePath;
  attrs: RequestAttributes;
  authorize: Authorizer | undefined;
  logs: PodLogSource | undefined;
  /** Followable logs for `follow=true` (without it, follow returns the current log). */
  followLogs?: PodLogFollowSource | undefined;
  watches: WatchRegistry;
  /** Reads the request body (once). */
  body(): Promise<string>;
}

/** A handler of one method on one kind of path. */
export type ResourceHandler = (ctx: HandlerContext) => void | Promise<void>;

/** Authorizes the request's verb for its resource and namespace (403 when denied). */
export function authorizeCtx(ctx: HandlerContext, verb: Verb): void {
  authorizeRequest(ctx.authorize, verb, ctx.path.info, ctx.path.namespace, ctx.attrs);
}

/** Built-in resources drop `apiVersion`/`kind` from list items, as the API server's typed lists do; custom resources keep them. */
export function listItem(info: ResourceInfo, o: KObject): unknown {
  if (info.custom) return o;
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

/** A `<Kind>List` body. */
export function listBody(info: ResourceInfo, items: KObject[], resourceVersion: string, extra: { continue?: string; remainingItemCount?: number } = {}): unknown {
  return {
    kind: `${info.kind}List`,
    apiVersion: apiVersionOf(info),
    metadata: { resourceVersion, ...(extra.continue ? { continue: extra.continue } : {}), ...(extra.remainingItemCount !== undefined ? { remainingItemCount: extra.remainingItemCount } : {}) },
    items: items.map((o) => listItem(info, o)),
  };
}

/** The object name of a request that must name one. */
export function nameOf(ctx: HandlerContext): string {
  return ctx.path.name as string;
}
