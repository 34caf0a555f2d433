/** LE fixed channel identifiers (Core Vol 3 Part A §2.1). */
export const FixedCid = {
  ATT: 0x0004,
  LE_Signaling: 0x0005,
  SMP: 0x0006,
} as const;

/** First and last dynamically allocated LE CIDs. */
export const LE_DYNAMIC_CID_FIRST = 0x0040;
export const LE_DYNAMIC_CID_LAST = 0x007f;

/** LE signaling command codes (Core Vol 3 Part A §4). */
export const SignalingCode = {
  L2CAP_COMMAND_REJECT_RSP: 0x01,
  L2CAP_DISCONNECTION_REQ: 0x06,
  L2CAP_DISCONNECTION_RSP: 0x07,
  L2CAP_CONNECTION_PARAMETER_UPDATE_REQ: 0x12,
  L2CAP_CONNECTION_PARAMETER_UPDATE_RSP: 0x13,
  L2CAP_LE_CREDIT_BASED_CONNECTION_REQ: 0x14,
  L2CAP_LE_CREDIT_BASED_CONNECTION_RSP: 0x15,
  L2CAP_FLOW_CONTROL_CREDIT_IND: 0x16,
} as const;

/** Reason of L2CAP_COMMAND_REJECT_RSP. */
export const CommandRejectReason = {
  Command_Not_Understood: 0x0000,
  Signaling_MTU_Exceeded: 0x0001,
  Invalid_CID_In_Request: 0x0002,
} as const;

/** Result of L2CAP_LE_CREDIT_BASED_CONNECTION_RSP. */
export const LeCreditConnectionResult = {
  Connection_Successful: 0x0000,
  SPSM_Not_Supported: 0x0002,
  No_Resources_Available: 0x0004,
  Insufficient_Authentication: 0x0005,
  Insufficient_Authorization: 0x0006,
  Encryption_Key_Size_Too_Short: 0x0007,
  Insufficient_Encryption: 0x0008,
  Invalid_Source_CID: 0x0009,
  Source_CID_Already_Allocated: 0x000a,
  Unacceptable_Parameters: 0x000b,
} as const;

export function leCreditResultName(result: number): string {
  for (const [k, v] of Object.entries(LeCreditConnectionResult)) if (v === result) return k.replace(/_/g, ' ');
  return `Reserved (0x${result.toString(16).padStart(4, '0')})`;
}

/** Result of L2CAP_CONNECTION_PARAMETER_UPDATE_RSP. */
export const ConnectionParameterUpdateResult = { Accepted: 0x0000, Rejected: 0x0001 } as const;

/** Minimum LE MTU / MPS (Core Vol 3 Part A §4.22). */
export const LE_MIN_MTU = 23;
export const LE_MIN_MPS = 23;
export const LE_MAX_MPS = 65533;
export const LE_MAX_CREDITS = 65535;
