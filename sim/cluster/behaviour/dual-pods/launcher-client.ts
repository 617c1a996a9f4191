/**
 * The controller's client of the launcher REST API on `<launcherIP>:8001` (protocol section 5;
 * `launcherclient.go`): list, create-with-ID (PUT), get and delete instances. Each call goes
 * through {@link doHttp} with its `purpose` (`list_instances`, `create_instance`,
 * `get_instance_state`, `delete_instance`).
 */
import { doHttp, HttpCallError } from './http-client.ts';
import type { VllmConfig } from './instance-id.ts';
import { LAUNCHER_PORT } from './keys.ts';
import type { KLogger } from './klog.ts';
import type { Runtime } from './runtime.ts';

/** One instance as `GET /v2/vllm/instances` reports it (section 5). */
export interface InstanceState {
  instance_id: string;
  status: string;
  options?: string;
  gpu_uuids?: string[];
  env_vars?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** `GET /v2/vllm/instances` (detail). */
export interface AllInstancesState {
  total_instances: number;
  running_instances: number;
  instances: InstanceState[];
}

/** Whether a launcher call failed because the instance does not exist (`IsInstanceNotFoundError`). */
export function isInstanceNotFound(err: unknown): boolean {
  return err instanceof HttpCallError && err.statusCode === 404;
}

/** A client bound to one launcher Pod IP. */
export class LauncherClient {
  private readonly base: string;
  constructor(
    private readonly rt: Runtime,
    private readonly logger: KLogger,
    podIP: string,
    private readonly iscName: string,
  ) {
    this.base = `http://${podIP}:${LAUNCHER_PORT}`;
  }

  /** `GET /v2/vllm/instances`. */
  async listInstances(): Promise<AllInstancesState> {
    const res = await doHttp(this.rt, this.logger, { purpose: 'list_instances', method: 'GET', url: `${this.base}/v2/vllm/instances`, iscName: this.iscName, json: true });
    const body = (res.body ?? {}) as Partial<AllInstancesState>;
    const instances = Array.isArray(body.instances) ? body.instances : [];
    return { total_instances: body.total_instances ?? instances.length, running_instances: body.running_instances ?? 0, instances };
  }

  /** `PUT /v2/vllm/instances/{id}` ("CreateNamedInstance"). */
  async createNamedInstance(id: string, cfg: VllmConfig): Promise<{ status?: string; instance_id?: string }> {
    const res = await doHttp(this.rt, this.logger, { purpose: 'create_instance', method: 'PUT', url: `${this.base}/v2/vllm/instances/${id}`, iscName: this.iscName, body: cfg, json: true });
    return (res.body ?? {}) as { status?: string; instance_id?: string };
  }

  /** `GET /v2/vllm/instances/{id}`. */
  async getInstanceState(id: string): Promise<InstanceState> {
    const res = await doHttp(this.rt, this.logger, { purpose: 'get_instance_state', method: 'GET', url: `${this.base}/v2/vllm/instances/${id}`, iscName: this.iscName, json: true });
    return res.body as InstanceState;
  }

  /** `DELETE /v2/vllm/instances/{id}`. */
  async deleteInstance(id: string): Promise<void> {
    await doHttp(this.rt, this.logger, { purpose: 'delete_instance', method: 'DELETE', url: `${this.base}/v2/vllm/instances/${id}`, iscName: this.iscName, json: true });
  }
}
