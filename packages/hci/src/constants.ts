/** H4 (UART transport) packet indicators, Core Vol 4 Part A. */
export const H4PacketType = {
  Command: 0x01,
  ACL: 0x02,
  SCO: 0x03,
  Event: 0x04,
  ISO: 0x05,
} as const;
export type H4PacketType = (typeof H4PacketType)[keyof typeof H4PacketType];

/** Opcode Group Fields. */
export const OGF = {
  LinkControl: 0x01,
  LinkPolicy: 0x02,
  ControllerBaseband: 0x03,
  Informational: 0x04,
  StatusParameters: 0x05,
  Testing: 0x06,
  LE: 0x08,
  Vendor: 0x3f,
} as const;

export function opcode(ogf: number, ocf: number): number {
  return ((ogf & 0x3f) << 10) | (ocf & 0x3ff);
}
export function opcodeOgf(op: number): number {
  return op >> 10;
}
export function opcodeOcf(op: number): number {
  return op & 0x3ff;
}

const lc = (ocf: number) => opcode(OGF.LinkControl, ocf);
const cb = (ocf: number) => opcode(OGF.ControllerBaseband, ocf);
const inf = (ocf: number) => opcode(OGF.Informational, ocf);
const st = (ocf: number) => opcode(OGF.StatusParameters, ocf);
const le = (ocf: number) => opcode(OGF.LE, ocf);

/** HCI command opcodes (Core Vol 4 Part E §7), named as in the spec. */
export const Opcode = {
  HCI_Disconnect: lc(0x0006),
  HCI_Read_Remote_Version_Information: lc(0x001d),

  HCI_Set_Event_Mask: cb(0x0001),
  HCI_Reset: cb(0x0003),
  HCI_Read_Transmit_Power_Level: cb(0x002d),
  HCI_Set_Controller_To_Host_Flow_Control: cb(0x0031),
  HCI_Host_Buffer_Size: cb(0x0033),
  HCI_Host_Number_Of_Completed_Packets: cb(0x0035),
  HCI_Set_Event_Mask_Page_2: cb(0x0063),
  HCI_Write_LE_Host_Support: cb(0x006d),
  HCI_Write_Authenticated_Payload_Timeout: cb(0x007c),

  HCI_Read_Local_Version_Information: inf(0x0001),
  HCI_Read_Local_Supported_Commands: inf(0x0002),
  HCI_Read_Local_Supported_Features: inf(0x0003),
  HCI_Read_Buffer_Size: inf(0x0005),
  HCI_Read_BD_ADDR: inf(0x0009),

  HCI_Read_RSSI: st(0x0005),

  HCI_LE_Set_Event_Mask: le(0x0001),
  HCI_LE_Read_Buffer_Size: le(0x0002),
  HCI_LE_Read_Local_Supported_Features: le(0x0003),
  HCI_LE_Set_Random_Address: le(0x0005),
  HCI_LE_Set_Advertising_Parameters: le(0x0006),
  HCI_LE_Read_Advertising_Physical_Channel_Tx_Power: le(0x0007),
  HCI_LE_Set_Advertising_Data: le(0x0008),
  HCI_LE_Set_Scan_Response_Data: le(0x0009),
  HCI_LE_Set_Advertising_Enable: le(0x000a),
  HCI_LE_Set_Scan_Parameters: le(0x000b),
  HCI_LE_Set_Scan_Enable: le(0x000c),
  HCI_LE_Create_Connection: le(0x000d),
  HCI_LE_Create_Connection_Cancel: le(0x000e),
  HCI_LE_Read_Filter_Accept_List_Size: le(0x000f),
  HCI_LE_Clear_Filter_Accept_List: le(0x0010),
  HCI_LE_Add_Device_To_Filter_Accept_List: le(0x0011),
  HCI_LE_Remove_Device_From_Filter_Accept_List: le(0x0012),
  HCI_LE_Connection_Update: le(0x0013),
  HCI_LE_Set_Host_Channel_Classification: le(0x0014),
  HCI_LE_Read_Channel_Map: le(0x0015),
  HCI_LE_Read_Remote_Features: le(0x0016),
  HCI_LE_Encrypt: le(0x0017),
  HCI_LE_Rand: le(0x0018),
  HCI_LE_Enable_Encryption: le(0x0019),
  HCI_LE_Long_Term_Key_Request_Reply: le(0x001a),
  HCI_LE_Long_Term_Key_Request_Negative_Reply: le(0x001b),
  HCI_LE_Read_Supported_States: le(0x001c),
  HCI_LE_Remote_Connection_Parameter_Request_Reply: le(0x0020),
  HCI_LE_Remote_Connection_Parameter_Request_Negative_Reply: le(0x0021),
  HCI_LE_Set_Data_Length: le(0x0022),
  HCI_LE_Read_Suggested_Default_Data_Length: le(0x0023),
  HCI_LE_Write_Suggested_Default_Data_Length: le(0x0024),
  HCI_LE_Add_Device_To_Resolving_List: le(0x0027),
  HCI_LE_Remove_Device_From_Resolving_List: le(0x0028),
  HCI_LE_Clear_Resolving_List: le(0x0029),
  HCI_LE_Read_Resolving_List_Size: le(0x002a),
  HCI_LE_Set_Address_Resolution_Enable: le(0x002d),
  HCI_LE_Set_Resolvable_Private_Address_Timeout: le(0x002e),
  HCI_LE_Read_Maximum_Data_Length: le(0x002f),
  HCI_LE_Read_PHY: le(0x0030),
  HCI_LE_Set_Default_PHY: le(0x0031),
  HCI_LE_Set_PHY: le(0x0032),
  HCI_LE_Set_Advertising_Set_Random_Address: le(0x0035),
  HCI_LE_Set_Extended_Advertising_Parameters: le(0x0036),
  HCI_LE_Set_Extended_Advertising_Data: le(0x0037),
  HCI_LE_Set_Extended_Scan_Response_Data: le(0x0038),
  HCI_LE_Set_Extended_Advertising_Enable: le(0x0039),
  HCI_LE_Read_Maximum_Advertising_Data_Length: le(0x003a),
  HCI_LE_Read_Number_Of_Supported_Advertising_Sets: le(0x003b),
  HCI_LE_Remove_Advertising_Set: le(0x003c),
  HCI_LE_Clear_Advertising_Sets: le(0x003d),
  HCI_LE_Set_Extended_Scan_Parameters: le(0x0041),
  HCI_LE_Set_Extended_Scan_Enable: le(0x0042),
  HCI_LE_Extended_Create_Connection: le(0x0043),
  HCI_LE_Read_Transmit_Power: le(0x004b),
  HCI_LE_Set_Privacy_Mode: le(0x004e),
  HCI_LE_Read_Buffer_Size_v2: le(0x0060),
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

const opcodeNames = new Map<number, string>(Object.entries(Opcode).map(([k, v]) => [v, k]));
export function opcodeName(op: number): string {
  return opcodeNames.get(op) ?? `0x${op.toString(16).padStart(4, '0')} (OGF 0x${opcodeOgf(op).toString(16)}, OCF 0x${opcodeOcf(op).toString(16)})`;
}

/** HCI event codes (Core Vol 4 Part E §7.7). */
export const EventCode = {
  Disconnection_Complete: 0x05,
  Encryption_Change_v1: 0x08,
  Read_Remote_Version_Information_Complete: 0x0c,
  Command_Complete: 0x0e,
  Command_Status: 0x0f,
  Hardware_Error: 0x10,
  Number_Of_Completed_Packets: 0x13,
  Data_Buffer_Overflow: 0x1a,
  Encryption_Key_Refresh_Complete: 0x30,
  LE_Meta: 0x3e,
  Authenticated_Payload_Timeout_Expired: 0x57,
  Encryption_Change_v2: 0x59,
  Vendor: 0xff,
} as const;
export type EventCode = (typeof EventCode)[keyof typeof EventCode];

/** LE Meta event subevent codes (Core Vol 4 Part E §7.7.65). */
export const LeSubevent = {
  LE_Connection_Complete: 0x01,
  LE_Advertising_Report: 0x02,
  LE_Connection_Update_Complete: 0x03,
  LE_Read_Remote_Features_Complete: 0x04,
  LE_Long_Term_Key_Request: 0x05,
  LE_Remote_Connection_Parameter_Request: 0x06,
  LE_Data_Length_Change: 0x07,
  LE_Read_Local_P256_Public_Key_Complete: 0x08,
  LE_Generate_DHKey_Complete: 0x09,
  LE_Enhanced_Connection_Complete: 0x0a,
  LE_Directed_Advertising_Report: 0x0b,
  LE_PHY_Update_Complete: 0x0c,
  LE_Extended_Advertising_Report: 0x0d,
  LE_Scan_Timeout: 0x11,
  LE_Advertising_Set_Terminated: 0x12,
  LE_Scan_Request_Received: 0x13,
  LE_Channel_Selection_Algorithm: 0x14,
} as const;
export type LeSubevent = (typeof LeSubevent)[keyof typeof LeSubevent];

const eventNames = new Map<number, string>(Object.entries(EventCode).map(([k, v]) => [v, k]));
const subeventNames = new Map<number, string>(Object.entries(LeSubevent).map(([k, v]) => [v, k]));
export function eventName(code: number, subevent?: number): string {
  if (code === EventCode.LE_Meta && subevent !== undefined) {
    return subeventNames.get(subevent) ?? `LE_Meta 0x${subevent.toString(16)}`;
  }
  return eventNames.get(code) ?? `event 0x${code.toString(16)}`;
}

/** HCI status / error codes (Core Vol 1 Part F). */
export const HciStatus = {
  Success: 0x00,
  Unknown_HCI_Command: 0x01,
  Unknown_Connection_Identifier: 0x02,
  Hardware_Failure: 0x03,
  Page_Timeout: 0x04,
  Authentication_Failure: 0x05,
  PIN_or_Key_Missing: 0x06,
  Memory_Capacity_Exceeded: 0x07,
  Connection_Timeout: 0x08,
  Connection_Limit_Exceeded: 0x09,
  Synchronous_Connection_Limit_To_A_Device_Exceeded: 0x0a,
  Connection_Already_Exists: 0x0b,
  Command_Disallowed: 0x0c,
  Connection_Rejected_due_to_Limited_Resources: 0x0d,
  Connection_Rejected_Due_To_Security_Reasons: 0x0e,
  Connection_Rejected_due_to_Unacceptable_BD_ADDR: 0x0f,
  Connection_Accept_Timeout_Exceeded: 0x10,
  Unsupported_Feature_or_Parameter_Value: 0x11,
  Invalid_HCI_Command_Parameters: 0x12,
  Remote_User_Terminated_Connection: 0x13,
  Remote_Device_Terminated_Connection_due_to_Low_Resources: 0x14,
  Remote_Device_Terminated_Connection_due_to_Power_Off: 0x15,
  Connection_Terminated_By_Local_Host: 0x16,
  Repeated_Attempts: 0x17,
  Pairing_Not_Allowed: 0x18,
  Unknown_LMP_PDU: 0x19,
  Unsupported_Remote_Feature: 0x1a,
  SCO_Offset_Rejected: 0x1b,
  SCO_Interval_Rejected: 0x1c,
  SCO_Air_Mode_Rejected: 0x1d,
  Invalid_LL_Parameters: 0x1e,
  Unspecified_Error: 0x1f,
  Unsupported_LL_Parameter_Value: 0x20,
  Role_Change_Not_Allowed: 0x21,
  LL_Response_Timeout: 0x22,
  LL_Procedure_Collision: 0x23,
  LMP_PDU_Not_Allowed: 0x24,
  Encryption_Mode_Not_Acceptable: 0x25,
  Link_Key_cannot_be_Changed: 0x26,
  Requested_QoS_Not_Supported: 0x27,
  Instant_Passed: 0x28,
  Pairing_With_Unit_Key_Not_Supported: 0x29,
  Different_Transaction_Collision: 0x2a,
  QoS_Unacceptable_Parameter: 0x2c,
  QoS_Rejected: 0x2d,
  Channel_Classification_Not_Supported: 0x2e,
  Insufficient_Security: 0x2f,
  Parameter_Out_Of_Mandatory_Range: 0x30,
  Role_Switch_Pending: 0x32,
  Reserved_Slot_Violation: 0x34,
  Role_Switch_Failed: 0x35,
  Extended_Inquiry_Response_Too_Large: 0x36,
  Secure_Simple_Pairing_Not_Supported_By_Host: 0x37,
  Host_Busy_Pairing: 0x38,
  Connection_Rejected_due_to_No_Suitable_Channel_Found: 0x39,
  Controller_Busy: 0x3a,
  Unacceptable_Connection_Parameters: 0x3b,
  Advertising_Timeout: 0x3c,
  Connection_Terminated_due_to_MIC_Failure: 0x3d,
  Connection_Failed_to_be_Established: 0x3e,
  Coarse_Clock_Adjustment_Rejected: 0x40,
  Type0_Submap_Not_Defined: 0x41,
  Unknown_Advertising_Identifier: 0x42,
  Limit_Reached: 0x43,
  Operation_Cancelled_by_Host: 0x44,
  Packet_Too_Long: 0x45,
} as const;
export type HciStatus = (typeof HciStatus)[keyof typeof HciStatus];

const statusText: Record<number, string> = {};
for (const [k, v] of Object.entries(HciStatus)) statusText[v] = k.replace(/_/g, ' ');
// Names the spec spells with punctuation.
statusText[0x38] = 'Host Busy - Pairing';
statusText[0x3e] = 'Connection Failed to be Established / Synchronization Timeout';
statusText[0x40] = 'Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging';

/** The spec's name of an HCI status code, e.g. 0x3D -> "Connection Terminated due to MIC Failure". */
export function statusName(status: number): string {
  return statusText[status] ?? `Reserved (0x${status.toString(16).padStart(2, '0')})`;
}

/** Own/peer address types used in LE commands and events. */
export const AddressType = {
  Public: 0x00,
  Random: 0x01,
  PublicIdentity: 0x02,
  RandomIdentity: 0x03,
} as const;

/** Advertising_Type of HCI_LE_Set_Advertising_Parameters. */
export const AdvertisingType = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND_HIGH: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  ADV_DIRECT_IND_LOW: 0x04,
} as const;

/** Event_Type of LE Advertising Report. */
export const AdvertisingReportType = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  SCAN_RSP: 0x04,
} as const;

/** Role in LE Connection Complete. */
export const Role = { Central: 0x00, Peripheral: 0x01 } as const;

/** ACL Packet_Boundary_Flag values. */
export const PacketBoundary = {
  FirstNonFlushable: 0b00,
  Continuing: 0b01,
  FirstFlushable: 0b10,
  Complete: 0b11,
} as const;
