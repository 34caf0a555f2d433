import { HciError } from '../errors.js';
import type { AdvertisingData } from './ad.js';
import type { HciHost } from '../host/host.js';
import { ms625 } from './advertising.js';
import { scanPhyParameters } from './extended.js';

export type ScanHost = Pick<HciHost, 'command' | 'addressType' | 'isClosed' | 'on' | 'off' | 'advertisingCommands'>;
/** What scan() and scanFor() drive: the host's own start/stop (which also reset its report reassembly). */
export type ScanDriver = ScanHost & Pick<HciHost, 'startScanning' | 'stopScanning'>;

/**
 * One advertisement (or scan response) as the scanner saw it, from an LE Advertising Report or
 * a (reassembled) LE Extended Advertising Report: the same shape either way.
 */
export interface AdvertisementReport {
  address: string;
  addressType: number;
  /**
   * The legacy Event_Type this PDU amounts to: 0 ADV_IND (connectable), 1 ADV_DIRECT_IND,
   * 2 ADV_SCAN_IND (scannable), 3 ADV_NONCONN_IND, 4 SCAN_RSP. Extended PDUs map by their
   * properties; the booleans below say the same more plainly.
   */
  eventType: number;
  rssi: number;
  data: Buffer;
  /** Parsed AD; undefined when the data is malformed. */
  ad: AdvertisingData | undefined;
  /** A legacy PDU (ADV_IND, ADV_SCAN_IND, ...): what a 4.x scanner sees too. False for extended PDUs. */
  legacy: boolean;
  connectable: boolean;
  scannable: boolean;
  directed: boolean;
  scanResponse: boolean;
  /** Primary and secondary PHY (1 LE 1M, 2 LE 2M, 3 LE Coded) where the controller says (extended reports). */
  primaryPhy?: number;
  secondaryPhy?: number;
  /** Advertising SID of extended PDUs. */
  sid?: number;
  /** Advertised TX power in dBm, when the advertiser included it. */
  txPower?: number;
  /** The controller delivered only part of the data (extended reports). */
  truncated?: boolean;
}

export interface ScanOptions {
  active?: boolean;
  /** Scan interval and window in ms (defaults 60 / 30). */
  intervalMs?: number;
  windowMs?: number;
  filterDuplicates?: boolean;
}

export async function startScanning(host: ScanHost, opts: ScanOptions = {}): Promise<void> {
  const filterDuplicates = opts.filterDuplicates === false ? 0 : 1;
  if (host.advertisingCommands === 'extended') {
    await host.command('HCI_LE_Set_Extended_Scan_Parameters', {
      ownAddressType: host.addressType,
      scanningFilterPolicy: 0,
      scanningPhys: 0x01, // LE 1M
      phyParameters: scanPhyParameters(opts.active !== false, ms625(opts.intervalMs ?? 60), ms625(opts.windowMs ?? 30)),
    });
    await host.command('HCI_LE_Set_Extended_Scan_Enable', { enable: 1, filterDuplicates, duration: 0, period: 0 });
    return;
  }
  await host.command('HCI_LE_Set_Scan_Parameters', {
    leScanType: opts.active === false ? 0 : 1,
    leScanInterval: ms625(opts.intervalMs ?? 60),
    leScanWindow: ms625(opts.windowMs ?? 30),
    ownAddressType: host.addressType,
    scanningFilterPolicy: 0,
  });
  await host.command('HCI_LE_Set_Scan_Enable', { leScanEnable: 1, filterDuplicates });
}

export async function stopScanning(host: ScanHost): Promise<void> {
  if (host.advertisingCommands === 'extended') {
    await host.command('HCI_LE_Set_Extended_Scan_Enable', { enable: 0, filterDuplicates: 0, duration: 0, period: 0 });
    return;
  }
  await host.command('HCI_LE_Set_Scan_Enable', { leScanEnable: 0, filterDuplicates: 0 });
}

/** Scan and yield reports until the signal aborts or the loop breaks; stops scanning afterwards. */
export async function* scan(host: ScanDriver, opts: ScanOptions & { signal?: AbortSignal } = {}): AsyncGenerator<AdvertisementReport> {
  const queue: AdvertisementReport[] = [];
  let wake: (() => void) | undefined;
  const onReport = (r: AdvertisementReport) => {
    if (queue.length < 1024) queue.push(r); // a slow consumer loses reports, not memory
    wake?.();
  };
  const onStop = () => wake?.();
  host.on('advertisement', onReport);
  host.on('close', onStop);
  opts.signal?.addEventListener('abort', onStop);
  try {
    await host.startScanning(opts);
    for (;;) {
      if (opts.signal?.aborted || host.isClosed) return;
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    host.off('advertisement', onReport);
    host.off('close', onStop);
    opts.signal?.removeEventListener('abort', onStop);
    if (!host.isClosed) await host.stopScanning().catch(() => {});
  }
}

/** Scan until `match` accepts a report; stops scanning afterwards. */
export async function scanFor(host: ScanDriver, match: (r: AdvertisementReport) => boolean, opts: ScanOptions & { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AdvertisementReport> {
  if (opts.signal?.aborted) return Promise.reject(new HciError('ABORTED', 'scan aborted', { cause: opts.signal.reason }));
  let onReport!: (r: AdvertisementReport) => void;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const found = new Promise<AdvertisementReport>((resolve, reject) => {
    onReport = (r) => {
      if (match(r)) resolve(r);
    };
    onAbort = () => reject(new HciError('ABORTED', 'scan aborted', { cause: opts.signal!.reason }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => reject(new HciError('COMMAND_TIMEOUT', `nothing found within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  });
  host.on('advertisement', onReport);
  try {
    await host.startScanning(opts);
    return await found;
  } finally {
    host.off('advertisement', onReport);
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    if (!host.isClosed) await host.stopScanning().catch(() => {});
  }
}
