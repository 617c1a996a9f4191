/**
 * The embedded vLLM-compatible simulator: an OpenAI-API server with vLLM's wire format and
 * metrics, a latency model in the style of llm-d-inference-sim, a prefix cache, fault injection
 * and a ground-truth chunk log. It shares no code with the client side of this tool.
 */
export type { ChunkLogEntry } from './chunk-log.ts';
export { DEV_MODE_ENV, devModeFromEnv, parseSimArgs, simFlagNames, simHelp, type ParsedSimArgs } from './cli-options.ts';
export { FAULT_HEADER, parseFaultHeader, type Fault, type FaultKind } from './faults.ts';
export { decodeStepMs, drawOutputLength, jitter, loadFactor, prefillMs, type LatencyParams } from './latency.ts';
export {
  applyConfigPatch,
  SIM_PROFILE_NAMES,
  SIM_PROFILES,
  SimConfigPatchSchema,
  SimFaultsSchema,
  SimOptionsBaseSchema,
  SimOptionsSchema,
  type SimConfigPatch,
  type SimFaults,
  type SimOptions,
  type SimOptionsInput,
  type SimProfile,
  type SimProfileName,
} from './options.ts';
export { PrefixCache } from './prefix-cache.ts';
export { SLEEPING_ERROR_TYPE, SLEEPING_MESSAGE } from './generate.ts';
export { SIMULATED_VLLM_VERSION } from './routes.ts';
export { startSimServer, type SimInstance, type SimRuntimeOptions, type SimServer, type SimState } from './server.ts';
export { SLEEP_TAGS, type SleepSnapshot, type SleepTag, type SleepTransition } from './sleep.ts';
export type { SimLogEntry } from './vllm-log.ts';
export { spawnSimulator, type SimProcess, type SpawnSimulatorOptions } from './spawn.ts';
