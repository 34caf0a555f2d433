// Resolving a <device> argument (id prefix, name, id or peer id) with the registry's rules.
import type { DeviceRegistry, PairedDevice } from '@pairkit/registry';

export const DEVICE_ARG_HELP = 'device id (or a unique prefix of it), name, or peer id';

export function resolveDevice(registry: DeviceRegistry, query: string): PairedDevice {
  return registry.resolve(query);
}
