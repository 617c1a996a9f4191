/** The settings registry: every environment variable the tool reads, declared and read in one place. */
export { settings, settingOf, SETTINGS, type SettingName, type SettingResult, type SettingsReader, type SettingValue } from './registry.ts';
export type { Env, Setting, SettingArea } from './setting.ts';
