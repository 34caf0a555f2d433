// Association model selection (Vol 3 Part H 2.3.5.1, tables 2.6, 2.7 and 2.8).
import { AuthReq, IoCapability as Io, type IoCapabilityValue, type PairingFeatures } from './pdu.js';

export type AssociationModel = 'JustWorks' | 'NumericComparison' | 'PasskeyEntry' | 'OOB';

/** Who shows and who types in Passkey Entry. */
export type PasskeyRoles = 'initiatorDisplays' | 'responderDisplays' | 'bothInput';

export interface ModelChoice {
  model: AssociationModel;
  secureConnections: boolean;
  /** Set for PasskeyEntry. */
  passkey?: PasskeyRoles;
  /** True when the model gives MITM protection (everything but Just Works). */
  authenticated: boolean;
}

type Cell = 'JW' | 'NC' | 'I' | 'R' | 'B';
// Rows: initiator IO capability, columns: responder IO capability, order DisplayOnly,
// DisplayYesNo, KeyboardOnly, NoInputNoOutput, KeyboardDisplay. I = initiator displays,
// responder inputs; R = responder displays, initiator inputs; B = both input.
// The legacy and SC tables differ only where both sides can show and confirm (NC cells).
const LEGACY: Cell[][] = [
  ['JW', 'JW', 'I', 'JW', 'I'],
  ['JW', 'JW', 'I', 'JW', 'I'],
  ['R', 'R', 'B', 'JW', 'R'],
  ['JW', 'JW', 'JW', 'JW', 'JW'],
  ['R', 'R', 'I', 'JW', 'I'],
];
const SC: Cell[][] = [
  ['JW', 'JW', 'I', 'JW', 'I'],
  ['JW', 'NC', 'I', 'JW', 'NC'],
  ['R', 'R', 'B', 'JW', 'R'],
  ['JW', 'JW', 'JW', 'JW', 'JW'],
  ['R', 'NC', 'I', 'JW', 'NC'],
];

/** The model from the IO capability table alone (both sides asked for MITM or one did). */
export function ioModel(initiator: IoCapabilityValue, responder: IoCapabilityValue, secureConnections: boolean): ModelChoice {
  const cell = (secureConnections ? SC : LEGACY)[initiator][responder];
  switch (cell) {
    case 'JW': return { model: 'JustWorks', secureConnections, authenticated: false };
    case 'NC': return { model: 'NumericComparison', secureConnections, authenticated: true };
    case 'I': return { model: 'PasskeyEntry', secureConnections, passkey: 'initiatorDisplays', authenticated: true };
    case 'R': return { model: 'PasskeyEntry', secureConnections, passkey: 'responderDisplays', authenticated: true };
    case 'B': return { model: 'PasskeyEntry', secureConnections, passkey: 'bothInput', authenticated: true };
  }
}

/**
 * Picks the association model from both Pairing Request and Response. SC when both set the SC
 * bit. OOB: legacy needs both OOB flags, SC either. Otherwise, with neither MITM bit set, Just
 * Works; else the IO capability table.
 */
export function selectModel(request: PairingFeatures, response: PairingFeatures): ModelChoice {
  const secureConnections = (request.authReq & AuthReq.SC) !== 0 && (response.authReq & AuthReq.SC) !== 0;
  const oob = secureConnections ? request.oobDataFlag || response.oobDataFlag : request.oobDataFlag && response.oobDataFlag;
  if (oob) return { model: 'OOB', secureConnections, authenticated: true };
  const mitm = ((request.authReq | response.authReq) & AuthReq.MITM) !== 0;
  if (!mitm) return { model: 'JustWorks', secureConnections, authenticated: false };
  return ioModel(request.ioCapability, response.ioCapability, secureConnections);
}

export const IO_CAPABILITY_NAMES: Record<IoCapabilityValue, string> = {
  [Io.DisplayOnly]: 'DisplayOnly',
  [Io.DisplayYesNo]: 'DisplayYesNo',
  [Io.KeyboardOnly]: 'KeyboardOnly',
  [Io.NoInputNoOutput]: 'NoInputNoOutput',
  [Io.KeyboardDisplay]: 'KeyboardDisplay',
};
