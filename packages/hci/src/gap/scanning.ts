import { HciError } from '../errors.js';
import type { AdvertisingData } from './ad.js';
import type { HciHost } from '../host/host.js';
import { ms625 } from './advertising.js';

export type ScanHost = Pick<HciHost, 'command' | 'addressType' | 'isClosed' | 'on' | 'off'>;

export interface AdvertisementReport {
  address: string;
  addressType: number;
  eventType: number;
  rssi: number;
  data: Buffer;
  /** Parsed AD; undefined when the data is malformed. */
  ad: AdvertisingData | undefined;
}

export interface ScanOptions {
  active?: boolean;
  /** Scan interval and window in ms (defaults 60 / 30). */
  intervalMs?: number;
  windowMs?: number;
  filterDuplicates?: boolean;
}

export async function startScanning(host: ScanHost, opts: ScanOptions = {}): Promise<void> {
  await host.command('HCI_LE_Set_Scan_Parameters', {
    leScanType: opts.active === false ? 0 : 1,
    leScanInterval: ms625(opts.intervalMs ?? 60),
    leScanWindow: ms625(opts.windowMs ?? 30),
    ownAddressType: host.addressType,
    scanningFilterPolicy: 0,
  });
  await host.command('HCI_LE_Set_Scan_Enable', { leScanEnable: 1, filterDuplicates: opts.filterDuplicates === false ? 0 : 1 });
}

export async function stopScanning(host: ScanHost): Promise<void> {
  await host.command('HCI_LE_Set_Scan_Enable', { leScanEnable: 0, filterDuplicates: 0 });
}

/** Scan and yield reports until the signal aborts or the loop breaks; stops scanning afterwards. */
export async function* scan(host: ScanHost, opts: ScanOptions & { signal?: AbortSignal } = {}): AsyncGenerator<AdvertisementReport> {
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
    await startScanning(host, opts);
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
    if (!host.isClosed) await stopScanning(host).catch(() => {});
  }
}

/** Scan until `match` accepts a report; stops scanning afterwards. */
export async function scanFor(host: ScanHost, match: (r: AdvertisementReport) => boolean, opts: ScanOptions & { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AdvertisementReport> {
  if (opts.signal?.aborted) return Promise.reject(new HciError('ABORTED', 'accept aborted', { cause: opts.signal.reason }));
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
    await startScanning(host, opts);
    return await found;
  } finally {
    host.off('advertisement', onReport);
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    if (!host.isClosed) await stopScanning(host).catch(() => {});
  }
}
