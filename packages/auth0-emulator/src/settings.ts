import { z } from 'zod';
import type { SearchIndex } from './searchIndex';
import type { EmulatorSettings } from './types';

// Behaviour that tests change while the emulator runs, in-process or over the control API.

export const settingsPatchSchema = z.strictObject({
  searchIndexDelayMs: z.number().int().nonnegative().optional(),
});

export interface SettingsHandle {
  get(): EmulatorSettings;
  /** Validates like the control API; throws on an invalid patch. */
  update(patch: Partial<EmulatorSettings>): EmulatorSettings;
}

export function settingsHandle(searchIndex: SearchIndex): SettingsHandle {
  const get = (): EmulatorSettings => ({ searchIndexDelayMs: searchIndex.delayMs });
  return {
    get,
    update(patch) {
      const { searchIndexDelayMs } = settingsPatchSchema.parse(patch);
      if (searchIndexDelayMs !== undefined) searchIndex.delayMs = searchIndexDelayMs;
      return get();
    },
  };
}
