export { BenchError } from './bench-error.ts';
export { ConfigError } from './config-error.ts';
export { TargetError } from './target-error.ts';
export { BaselineError } from './baseline-error.ts';
export { HookError } from './hook-error.ts';
