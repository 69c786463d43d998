import type { ResolvedConfig } from '../config/types.js';
import type { DeliveryChoice } from '../vendors/types.js';
import { VENDORS } from '../vendors/registry.js';
import { csvUploadTarget } from './csv-upload/target.js';
import type { Target } from './types.js';

/** Each kind of delivery: a new kind is a folder of src/targets and one line here. */
const TARGETS: { readonly [kind in DeliveryChoice['kind']]: (config: ResolvedConfig) => Target } = {
  'csv-upload': csvUploadTarget,
};

/**
 * The target a config's vendor profile is delivered through.
 * @param config the resolved config
 */
export function targetOf(config: ResolvedConfig): Target {
  return TARGETS[VENDORS[config.target.profile].delivery.kind](config);
}
