export type * from './types.js';
export { RegistryError, isRegistryError, type RegistryErrorCode } from './errors.js';
export { resolveHome, homePath, type HomeOptions } from './home.js';
export {
  deviceIdFromPublicKey,
  peerIdFromEd25519PublicKey,
  fingerprint,
  normalizeBleAddress,
  base32,
  DEVICE_ID_LABEL,
  DEVICE_ID_BYTES,
} from './ids.js';
export { KEY_FILE_NAME, randomStaticAddress } from './identity.js';
export { APPLICATION_ID, SCHEMA_VERSION, MIGRATIONS } from './schema.js';
export {
  DeviceRegistry,
  DB_FILE_NAME,
  REGISTRY_VERSION,
  type RegistryOpenOptions,
  type StoredBond,
  type PendingRevocation,
  type BondInput,
  type RegistryEvents,
} from './registry.js';
