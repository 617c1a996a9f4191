/**
 * A container the simulator knows nothing about: it is running as soon as it starts, and every
 * TCP port it declares (`ports[].containerPort`) answers any HTTP request with `200 OK`, so its
 * probes pass and a Service in front of it answers. A probe on an undeclared port is refused, as
 * it would be on a cluster when nothing listens there. Ports that cannot be bound (below 1024
 * without privileges, already taken on that address) are logged and left closed.
 */
import { send, serve, type BoundServer } from './http-serve.ts';
import type { ContainerBehaviour, ContainerProcess } from './runtime.ts';

/** Starts a generic container process. */
export const startGeneric: ContainerBehaviour = (ctx): ContainerProcess => {
  const ports = [...new Set((ctx.container.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP' && p.containerPort).map((p) => p.containerPort!))];
  const image = ctx.container.image ?? '(no image)';
  ctx.log.write(`simulated container ${ctx.container.name} (${image}) started; serving HTTP 200 on ${ports.length ? ports.map((p) => `${ctx.podIP}:${p}`).join(', ') : 'no ports'}`);
  const answer = (_req: unknown, res: import('node:http').ServerResponse): void => send(res, 200, 'OK\n', 'text/plain; charset=utf-8');
  const servers: Array<Promise<BoundServer | undefined>> = ports.map((port) =>
    serve(ctx.podIP, port, {}, answer).catch((err: NodeJS.ErrnoException) => {
      ctx.log.write(`cannot listen on ${ctx.podIP}:${port}: ${err.code ?? err.message}`);
      return undefined;
    }),
  );
  return {
    async stop() {
      for (const s of await Promise.all(servers)) await s?.close();
    },
  };
};
