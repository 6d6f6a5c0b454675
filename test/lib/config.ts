/** A validated, resolved Config from a raw object, for tests; throws with every diagnostic when invalid. */
import { validateRaw } from '../../src/config/load.js';
import type { Config } from '../../src/config/model.js';

export function mustConfig(raw: unknown): Config {
  const { config, diagnostics } = validateRaw(raw);
  if (!config) throw new Error(`invalid test config:\n${diagnostics.map((d) => `${(d.path ?? []).join('.')}: ${d.message}`).join('\n')}`);
  return config;
}
