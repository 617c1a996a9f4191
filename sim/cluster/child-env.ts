/** Environment variable carrying a child cluster simulator's options as JSON. */
export const CLUSTER_SIM_OPTIONS_ENV = 'VITEST_LLM_D_CLUSTER_SIM_OPTIONS';

/** Set to `1` in a spawned child: it exits when its stdin closes (its parent is gone). */
export const CLUSTER_SIM_WATCH_STDIN_ENV = 'VITEST_LLM_D_CLUSTER_SIM_WATCH_STDIN';
