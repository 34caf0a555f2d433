// Pairing Failed reason codes (Vol 3 Part H 3.5.5) with the spec's names, and the error class.

export const PairingFailedReason = {
  PASSKEY_ENTRY_FAILED: 0x01,
  OOB_NOT_AVAILABLE: 0x02,
  AUTHENTICATION_REQUIREMENTS: 0x03,
  CONFIRM_VALUE_FAILED: 0x04,
  PAIRING_NOT_SUPPORTED: 0x05,
  ENCRYPTION_KEY_SIZE: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  UNSPECIFIED_REASON: 0x08,
  REPEATED_ATTEMPTS: 0x09,
  INVALID_PARAMETERS: 0x0a,
  DHKEY_CHECK_FAILED: 0x0b,
  NUMERIC_COMPARISON_FAILED: 0x0c,
  BR_EDR_PAIRING_IN_PROGRESS: 0x0d,
  CROSS_TRANSPORT_KEY_DERIVATION_NOT_ALLOWED: 0x0e,
  KEY_REJECTED: 0x0f,
} as const;

export type PairingFailedReasonName = keyof typeof PairingFailedReason;

const NAMES = new Map<number, PairingFailedReasonName>(
  Object.entries(PairingFailedReason).map(([k, v]) => [v, k as PairingFailedReasonName]),
);

/** The spec name of a reason code; codes outside 0x01..0x0F are named RESERVED_0xNN. */
export function reasonName(code: number): string {
  return NAMES.get(code) ?? `RESERVED_0x${code.toString(16).padStart(2, '0')}`;
}

/** An SMP failure: `code` is the reason name (e.g. "CONFIRM_VALUE_FAILED"), `reason` its number. */
export class SmpError extends Error {
  readonly code: string;
  readonly reason: number;
  /** Finer cause on our side, e.g. PUBLIC_KEY_OFF_CURVE; never secret material. */
  readonly detail?: string;
  constructor(reason: number, detail?: string, message?: string) {
    super(message ?? `${reasonName(reason)}${detail ? ` (${detail})` : ''}`);
    this.name = 'SmpError';
    this.reason = reason;
    this.code = reasonName(reason);
    this.detail = detail;
  }
}

/** A misuse of the API (wrong state, bad argument). */
export class SmpUsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SmpUsageError';
    this.code = code;
  }
}

/** What a link's encryption lacked against our requirements. */
export type SecurityShortfall = 'mitm' | 'secureConnections' | 'keySize';

/**
 * The link's encryption did not give what we asked for: ENCRYPTION_FAILED (the controllers
 * could not encrypt: no matching key, MIC failure), INSUFFICIENT_SECURITY (encrypted with a
 * bond below our requirements; `missing` says what), ENCRYPTED_WITH_BOND (a peripheral's pair()
 * got encryption with the existing bond instead of a new pairing; see requestSecurity()).
 */
export class SmpSecurityError extends Error {
  readonly code: 'ENCRYPTION_FAILED' | 'INSUFFICIENT_SECURITY' | 'ENCRYPTED_WITH_BOND';
  /** The level the link got, when it got encrypted. */
  readonly encryption?: { securityLevel: number; keySize: number; authenticated: boolean; secureConnections: boolean; fromBond: boolean };
  readonly missing: SecurityShortfall[];
  /** HCI status or disconnect reason behind ENCRYPTION_FAILED, when there is one. */
  readonly status?: number;
  constructor(code: SmpSecurityError['code'], message: string, extra: { encryption?: SmpSecurityError['encryption']; missing?: SecurityShortfall[]; status?: number } = {}) {
    super(message);
    this.name = 'SmpSecurityError';
    this.code = code;
    this.encryption = extra.encryption;
    this.missing = extra.missing ?? [];
    this.status = extra.status;
  }
}

/** A byte string or number of the wrong size for the toolbox or the PDU codec. Still a RangeError. */
export class SmpArgumentError extends RangeError {
  readonly code = 'INVALID_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'SmpArgumentError';
  }
}
