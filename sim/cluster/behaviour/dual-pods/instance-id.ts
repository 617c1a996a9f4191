/**
 * The identity and configuration of a launcher-based vLLM instance (protocol section 2.4,
 * "Launcher-based provider", `configInferenceServer`).
 *
 * Instance ID = `"I" + base64url(SHA-256(yaml(ISC.spec.modelServerConfig) ∥ ";gpus=" ∥ uuids)) + "i"`
 * (URL-safe, unpadded: it goes into launcher URLs; the `I`/`i` wrapping makes it a valid label
 * value). The YAML is `sigs.k8s.io/yaml.Marshal` of the Go struct: JSON field names, empty
 * `omitempty` fields left out, map keys sorted, YAML 1.1 quoting. Long `options` strings are
 * written on one line here, where go-yaml may fold them: IDs are stable and unique within the
 * simulator but not byte-identical to Go's for options longer than ~80 characters.
 */
import { stringify as stringifyYaml } from 'yaml';
import { base64RawUrl, sha256 } from './canonical-json.ts';
import { VLLM_INFERENCE_PORT_ANNOTATION, VLLM_ISC_NAME_ANNOTATION } from './keys.ts';

/** `InferenceServerConfig.spec.modelServerConfig` (section 5, "CRDs"). */
export interface ModelServerConfig {
  port: number;
  options?: string;
  env_vars?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The body the controller PUTs to the launcher (`VllmConfig`, `launcherclient.go`). */
export interface VllmConfig {
  options: string;
  gpu_uuids?: string[];
  env_vars?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The YAML the instance ID hashes: Go's struct field order, `omitempty` applied, then keys sorted. */
export function modelServerConfigYaml(cfg: ModelServerConfig): string {
  const doc: Record<string, unknown> = { port: cfg.port };
  if (cfg.options) doc.options = cfg.options;
  if (cfg.env_vars && Object.keys(cfg.env_vars).length > 0) doc.env_vars = cfg.env_vars;
  if (cfg.labels && Object.keys(cfg.labels).length > 0) doc.labels = cfg.labels;
  if (cfg.annotations && Object.keys(cfg.annotations).length > 0) doc.annotations = cfg.annotations;
  return stringifyYaml(doc, { version: '1.1', sortMapEntries: true, lineWidth: 0, indent: 2 });
}

/** The instance ID of an ISC on a set of GPUs (section 2.4). */
export function instanceId(cfg: ModelServerConfig, gpuUUIDs: readonly string[]): string {
  return `I${base64RawUrl(sha256(modelServerConfigYaml(cfg), ';gpus=', gpuUUIDs.join(',')))}i`;
}

/**
 * The VllmConfig sent to the launcher (section 2.4): ISC options plus `--port <port>`, the GPU
 * UUIDs, the ISC env vars, and annotations `isc-name` and `inference-port`.
 */
export function vllmConfig(iscName: string, cfg: ModelServerConfig, gpuUUIDs: readonly string[]): VllmConfig {
  const port = String(cfg.port);
  const out: VllmConfig = { options: `${cfg.options ?? ''} --port ${port}` };
  if (gpuUUIDs.length > 0) out.gpu_uuids = [...gpuUUIDs];
  if (cfg.env_vars && Object.keys(cfg.env_vars).length > 0) out.env_vars = { ...cfg.env_vars };
  out.annotations = { [VLLM_ISC_NAME_ANNOTATION]: iscName, [VLLM_INFERENCE_PORT_ANNOTATION]: port };
  return out;
}

/**
 * The inference port of an instance as the launcher reports it: its `inference-port`
 * annotation (`getVLLMInstancePort`). Undefined when missing or not a number (such an instance
 * is deleted by the selection, section 2.4).
 */
export function instancePort(annotations: Record<string, string> | undefined): number | undefined {
  const v = annotations?.[VLLM_INFERENCE_PORT_ANNOTATION];
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}
