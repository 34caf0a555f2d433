import { AddressType, AdvertisingType, HciStatus } from '../constants.js';
import { isHciError } from '../errors.js';
import { buildAd, type AdInput } from './ad.js';
import { AdvertisingEventProperties as P, LEGACY_PDU_PROPERTIES, checkExtendedLength, dataFragments, enableEntries } from './extended.js';
import type { HciHost } from '../host/host.js';

export type GapHost = Pick<HciHost, 'command' | 'addressType' | 'address' | 'advertisingCommands' | 'maxAdvertisingDataLength'>;

export interface AdvertisingOptions {
  data?: Uint8Array | AdInput;
  scanResponse?: Uint8Array | AdInput;
  /** Advertising interval in ms (default 100). */
  intervalMs?: number;
  /** Advertising_Type (default ADV_IND: connectable, scannable). */
  type?: number;
  /**
   * PDUs on a controller driven with the extended commands. 'auto' (default): legacy PDUs when
   * data and scan response each fit in 31 bytes, so legacy scanners see us too; extended PDUs
   * otherwise. 'legacy' refuses more than 31 bytes; 'extended' always uses extended PDUs.
   * Extended connectable or non-connectable advertising has no scan response: the scan
   * response structures are appended to the advertising data (extended scannable advertising
   * carries everything in the scan response instead).
   */
  pdu?: 'auto' | 'legacy' | 'extended';
}

/** The advertising set GAP uses on extended controllers. */
export const GAP_ADVERTISING_HANDLE = 0;

/** ms -> 0.625 ms units, clamped to the legacy range 0x0020..0x4000. */
export const ms625 = (ms: number) => Math.max(0x20, Math.min(0x4000, Math.round(ms / 0.625)));

const toBytes = (d: Uint8Array | AdInput | undefined, max: number) => (d === undefined ? Buffer.alloc(0) : d instanceof Uint8Array ? Buffer.from(d) : buildAd(d, max));

/** Advertising with the legacy or the extended commands, whichever the host chose at init. */
export async function startAdvertising(host: GapHost, opts: AdvertisingOptions = {}): Promise<void> {
  if (host.advertisingCommands === 'extended') return startExtendedAdvertising(host, opts);
  const data = toBytes(opts.data, 31);
  const scan = toBytes(opts.scanResponse, 31);
  const interval = ms625(opts.intervalMs ?? 100);
  await host.command('HCI_LE_Set_Advertising_Parameters', {
    advertisingIntervalMin: interval,
    advertisingIntervalMax: interval,
    advertisingType: opts.type ?? AdvertisingType.ADV_IND,
    ownAddressType: host.addressType,
    peerAddressType: 0,
    peerAddress: '00:00:00:00:00:00',
    advertisingChannelMap: 0x07,
    advertisingFilterPolicy: 0,
  });
  await host.command('HCI_LE_Set_Advertising_Data', { advertisingData: data });
  await host.command('HCI_LE_Set_Scan_Response_Data', { scanResponseData: scan });
  await host.command('HCI_LE_Set_Advertising_Enable', { advertisingEnable: 1 });
}

/** Which properties and which bytes go where, for one advertising set. */
export function planExtendedAdvertising(opts: AdvertisingOptions, maxLength: number): { properties: number; data: Buffer; scanResponse: Buffer } {
  const data = toBytes(opts.data, maxLength);
  const scanResponse = toBytes(opts.scanResponse, maxLength);
  const type = opts.type ?? AdvertisingType.ADV_IND;
  const directed = type === AdvertisingType.ADV_DIRECT_IND_HIGH || type === AdvertisingType.ADV_DIRECT_IND_LOW;
  const fits = data.length <= 31 && scanResponse.length <= 31;
  const pdu = opts.pdu ?? 'auto';
  if (pdu === 'legacy' || (pdu === 'auto' && fits) || directed) {
    checkExtendedLength('advertising data (legacy PDUs)', data, 31);
    checkExtendedLength('scan response data (legacy PDUs)', scanResponse, 31);
    return { properties: LEGACY_PDU_PROPERTIES[type], data, scanResponse };
  }
  const all = Buffer.concat([data, scanResponse]);
  checkExtendedLength('advertising data', all, maxLength);
  if (type === AdvertisingType.ADV_SCAN_IND) return { properties: P.Scannable, data: Buffer.alloc(0), scanResponse: all };
  return { properties: type === AdvertisingType.ADV_IND ? P.Connectable : 0, data: all, scanResponse: Buffer.alloc(0) };
}

async function startExtendedAdvertising(host: GapHost, opts: AdvertisingOptions): Promise<void> {
  const plan = planExtendedAdvertising(opts, host.maxAdvertisingDataLength);
  const interval = ms625(opts.intervalMs ?? 100);
  const advertisingHandle = GAP_ADVERTISING_HANDLE;
  // A fresh set: data left from other properties could make the new parameters invalid.
  await host.command('HCI_LE_Remove_Advertising_Set', { advertisingHandle }).catch((e: unknown) => {
    if (!isHciError(e, 'COMMAND_FAILED') || e.status !== HciStatus.Unknown_Advertising_Identifier) throw e;
  });
  await host.command('HCI_LE_Set_Extended_Advertising_Parameters', {
    advertisingHandle,
    advertisingEventProperties: plan.properties,
    primaryAdvertisingIntervalMin: interval,
    primaryAdvertisingIntervalMax: interval,
    primaryAdvertisingChannelMap: 0x07,
    ownAddressType: host.addressType,
    peerAddressType: 0,
    peerAddress: '00:00:00:00:00:00',
    advertisingFilterPolicy: 0,
    advertisingTxPower: 127, // no preference
    primaryAdvertisingPhy: 1,
    secondaryAdvertisingMaxSkip: 0,
    secondaryAdvertisingPhy: 1,
    advertisingSid: 0,
    scanRequestNotificationEnable: 0,
  });
  if (host.addressType === AddressType.Random) await host.command('HCI_LE_Set_Advertising_Set_Random_Address', { advertisingHandle, randomAddress: host.address });
  if (plan.data.length > 0) {
    for (const [operation, fragment] of dataFragments(plan.data)) {
      await host.command('HCI_LE_Set_Extended_Advertising_Data', { advertisingHandle, operation, fragmentPreference: 1, advertisingData: fragment });
    }
  }
  if (plan.scanResponse.length > 0) {
    for (const [operation, fragment] of dataFragments(plan.scanResponse)) {
      await host.command('HCI_LE_Set_Extended_Scan_Response_Data', { advertisingHandle, operation, fragmentPreference: 1, scanResponseData: fragment });
    }
  }
  await host.command('HCI_LE_Set_Extended_Advertising_Enable', { enable: 1, sets: enableEntries([{ handle: advertisingHandle }]) });
}

export async function stopAdvertising(host: GapHost): Promise<void> {
  if (host.advertisingCommands === 'extended') {
    // Num_Sets 0 disables every set, and is no error when none advertises.
    await host.command('HCI_LE_Set_Extended_Advertising_Enable', { enable: 0, sets: enableEntries([]) });
    return;
  }
  await host.command('HCI_LE_Set_Advertising_Enable', { advertisingEnable: 0 });
}
