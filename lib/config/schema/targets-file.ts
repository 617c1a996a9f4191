/**
 * `targets.yaml`: the endpoints a user benchmarks, and which one is used when `BENCH_TARGET`
 * is not set. See `examples/targets.yaml`.
 */
import { z } from 'zod';
import { didYouMean } from '../closest-name.ts';
import { SIMULATOR_TARGET, TargetSchema } from './target.ts';

/** A targets file: a list of uniquely named targets and an optional default. */
export const TargetsFileSchema = z
  .strictObject({
    default: z
      .string()
      .optional()
      .describe(
        'Name of the target used when BENCH_TARGET is not set ("simulator" is always allowed). ' +
          'When unset and the file has exactly one target, that one is used.',
      ),
    targets: z
      .array(TargetSchema)
      .min(1)
      .describe('The targets, each with a unique name. Select one with BENCH_TARGET=<name>.'),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.targets.forEach((target, index) => {
      const first = seen.get(target.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', index, 'name'],
          message: `duplicate target name "${target.name}" (also targets[${first}])`,
        });
      } else seen.set(target.name, index);
    });
    if (file.default !== undefined && file.default !== SIMULATOR_TARGET && !seen.has(file.default)) {
      const names = [...seen.keys(), SIMULATOR_TARGET];
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `no target named "${file.default}"${didYouMean(file.default, names)}; targets: ${names.join(', ')}`,
      });
    }
  })
  .describe('A targets file (targets.yaml).');

/** A validated targets file. */
export type TargetsFile = z.output<typeof TargetsFileSchema>;
