import { AdvertisingType } from '../constants.js';
import { buildAd, type AdInput } from './ad.js';
import type { HciHost } from '../host/host.js';

export type GapHost = Pick<HciHost, 'command' | 'addressType'>;

export interface AdvertisingOptions {
  data?: Uint8Array | AdInput;
  scanResponse?: Uint8Array | AdInput;
  /** Advertising interval in ms (default 100). */
  intervalMs?: number;
  /** Advertising_Type (default ADV_IND: connectable, scannable). */
  type?: number;
}

/** ms -> 0.625 ms units, clamped to the legacy range 0x0020..0x4000. */
export const ms625 = (ms: number) => Math.max(0x20, Math.min(0x4000, Math.round(ms / 0.625)));

/** Legacy advertising: parameters, data, scan response, enable. */
export async function startAdvertising(host: GapHost, opts: AdvertisingOptions = {}): Promise<void> {
  const toBytes = (d: Uint8Array | AdInput | undefined) => (d === undefined ? Buffer.alloc(0) : d instanceof Uint8Array ? Buffer.from(d) : buildAd(d));
  const data = toBytes(opts.data);
  const scan = toBytes(opts.scanResponse);
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

export async function stopAdvertising(host: GapHost): Promise<void> {
  await host.command('HCI_LE_Set_Advertising_Enable', { advertisingEnable: 0 });
}
