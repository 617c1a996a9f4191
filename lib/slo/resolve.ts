import { ConfigError } from '../errors/config-error.ts';
import { limitKeyError, parseLimitKey, type SloProfileDef, type SloSpec } from '../config/schema/slo.ts';
import { DEFAULT_FLOORS, SLO_PRESETS, type SloFloors, type SloLimit, type SloProfile } from './profile.ts';

/** How a test names the SLO it asserts: a profile name, or limits (`{ ttft_p95_ms: 500 }`, camelCase accepted). */
export type AssertSpec = string | Record<string, number>;

/** Profile used when a scenario configures no SLO. */
export const DEFAULT_PROFILE = 'mlperf-standard';

/** Limits from `<metric>_<stat>_<unit>` keys (camelCase like `ttftP95Ms` accepted). */
export function limitsFromKeys(limits: Record<string, number>, where: string): SloLimit[] {
  return Object.entries(limits).map(([raw, max]) => {
    const key = snake(raw);
    const parsed = parseLimitKey(key);
    if (!parsed) throw new ConfigError(where, raw, limitKeyError(key));
    return { metric: parsed.metric, stat: parsed.stat, unit: parsed.unit, max };
  });
}

/** A profile by name: a preset, or one of the scenario file's `slo_profiles`. */
export function profileByName(name: string, fileProfiles: Record<string, SloProfileDef>, where: string): SloProfile {
  const def = fileProfiles[name];
  if (def) {
    return {
      name,
      description: def.description ?? `custom profile ${name}`,
      source: `${where} slo_profiles.${name}`,
      limits: limitsFromKeys(def.limits as Record<string, number>, `${where} slo_profiles.${name}`),
    };
  }
  const preset = SLO_PRESETS[name];
  if (!preset) {
    const known = [...Object.keys(fileProfiles), ...Object.keys(SLO_PRESETS)].join(', ');
    throw new ConfigError(where, 'slo.profile', `unknown SLO profile "${name}" (known: ${known})`);
  }
  return preset;
}

/** Inline limits merged onto a profile: the same metric and stat replace the profile's limit. */
function withLimits(base: SloProfile | null, extra: SloLimit[], label: string): SloProfile {
  const limits = (base?.limits ?? []).filter((l) => !extra.some((x) => x.metric === l.metric && x.stat === l.stat));
  return {
    name: base ? `${base.name}+${label}` : label,
    description: [base?.description, `${label}: ${extra.map((l) => `${l.metric} ${l.stat} <= ${l.max} ${l.unit}`).join(', ')}`]
      .filter(Boolean)
      .join('; '),
    source: base ? `${base.source}; ${label}` : label,
    limits: [...limits, ...extra],
  };
}

/** The scenario's configured SLO: its profile (default `mlperf-standard`) with inline limits, and floors. */
export function resolveScenarioSlo(
  spec: SloSpec | undefined,
  fileProfiles: Record<string, SloProfileDef>,
  where: string,
): { profiles: SloProfile[]; floors: SloFloors } {
  const floors: SloFloors = spec
    ? {
        minSuccessRate: spec.min_success_rate,
        maxScheduleLagP99Ms: spec.max_schedule_lag_p99_ms,
        ...(spec.max_stalled_share !== undefined ? { maxStalledShare: spec.max_stalled_share } : {}),
      }
    : DEFAULT_FLOORS;
  const base = spec?.profile || !spec?.limits ? profileByName(spec?.profile ?? DEFAULT_PROFILE, fileProfiles, where) : null;
  const extra = spec?.limits ? limitsFromKeys(spec.limits as Record<string, number>, `${where} slo.limits`) : [];
  return { profiles: [extra.length ? withLimits(base, extra, 'limits') : base!], floors };
}

/**
 * What a test asserts with `toMeetSLO(spec)`: nothing → the scenario's configured SLO; a name → that
 * profile with the scenario's floors; an object → its limits (plus optional `min_success_rate` /
 * `max_schedule_lag_p99_ms` / `max_stalled_share` floors, camelCase accepted).
 */
export function resolveAssertedSlo(
  spec: AssertSpec | undefined,
  configured: { profiles: SloProfile[]; floors: SloFloors },
  fileProfiles: Record<string, SloProfileDef>,
  where: string,
): { profiles: SloProfile[]; floors: SloFloors } {
  if (spec === undefined) return configured;
  if (typeof spec === 'string') return { profiles: [profileByName(spec, fileProfiles, where)], floors: configured.floors };
  const floors = { ...configured.floors };
  const limits: Record<string, number> = {};
  for (const [k, v] of Object.entries(spec)) {
    const key = snake(k);
    if (key === 'min_success_rate') floors.minSuccessRate = v;
    else if (key === 'max_schedule_lag_p99_ms') floors.maxScheduleLagP99Ms = v;
    else if (key === 'max_stalled_share') floors.maxStalledShare = v;
    else limits[key] = v;
  }
  const extra = limitsFromKeys(limits, 'toMeetSLO');
  return { profiles: [withLimits(null, extra, 'asserted limits')], floors };
}

/** `ttftP99_9Ms` → `ttft_p99_9_ms`; snake_case passes through. */
function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
