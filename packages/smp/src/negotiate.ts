// Phase 1 outcome from the Pairing Request and Response: key size, association model and the
// keys each side distributes, with the checks both sides make (Vol 3 Part H 2.3.4, 2.3.5.1, 3.6.1).
import { PairingFailedReason as R, SmpError } from './errors.js';
import { selectModel, type ModelChoice } from './model.js';
import { KeyDist, type PairingFeatures } from './pdu.js';
import type { OobOptions, Role } from './core-types.js';

export interface NegotiationPolicy {
  minKeySize: number;
  scOnly: boolean;
  mitmRequired: boolean;
  oob?: OobOptions;
}

export interface Negotiated {
  keySize: number;
  choice: ModelChoice;
  /** Keys the initiator sends in phase 3 (SC: EncKey masked; legacy: LinkKey masked). */
  initKeys: number;
  respKeys: number;
}

/** Throws SmpError with the reason the spec names for each refusal. */
export function negotiate(req: PairingFeatures, res: PairingFeatures, role: Role, policy: NegotiationPolicy): Negotiated {
  const keySize = Math.min(req.maxEncryptionKeySize, res.maxEncryptionKeySize);
  if (keySize < policy.minKeySize) throw new SmpError(R.ENCRYPTION_KEY_SIZE, `KEY_SIZE_${keySize}`);
  const choice = selectModel(req, res);
  if (!choice.secureConnections && policy.scOnly) throw new SmpError(R.AUTHENTICATION_REQUIREMENTS, 'SC_ONLY');
  if (!choice.authenticated && policy.mitmRequired) throw new SmpError(R.AUTHENTICATION_REQUIREMENTS, 'MITM_REQUIRED');
  if (choice.model === 'OOB') {
    const oob = policy.oob;
    if (!choice.secureConnections && !oob?.legacyTk) throw new SmpError(R.OOB_NOT_AVAILABLE, 'NO_LEGACY_TK');
    // SC: a side whose data the peer holds needs the key pair that data was made with; a side
    // that set its flag needs the peer's data.
    const peerHasOurs = role === 'central' ? res.oobDataFlag : req.oobDataFlag;
    const weHaveTheirs = role === 'central' ? req.oobDataFlag : res.oobDataFlag;
    if (choice.secureConnections && peerHasOurs && !oob?.local) throw new SmpError(R.OOB_NOT_AVAILABLE, 'NO_LOCAL_OOB');
    if (choice.secureConnections && weHaveTheirs && !oob?.peer) throw new SmpError(R.OOB_NOT_AVAILABLE, 'NO_PEER_OOB');
  }
  const mask = choice.secureConnections ? ~KeyDist.ENC_KEY : ~KeyDist.LINK_KEY;
  return { keySize, choice, initKeys: res.initiatorKeyDistribution & mask, respKeys: res.responderKeyDistribution & mask };
}
