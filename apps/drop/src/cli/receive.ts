import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Channel, Device, Pairkit } from 'pairkit';
import { formatBytes, parseSize } from '../bytes.js';
import type { DropErrorCode } from '../errors.js';
import { REFUSAL_ERROR_CODES } from '../protocol/messages.js';
import { receiveFiles } from '../transfer.js';
import { DROP_PROTOCOL_ID, describeError, fail, interruptSignal, openChecked, peakRss, showProgress, type CommonOptions } from './common.js';
import { ExitCode, Progress, makeOutput } from './output.js';

export interface ReceiveOptions extends CommonOptions {
  dir?: string;
  once?: boolean;
  /** Only these devices may send (name, id or unique id prefix; repeatable). */
  from?: string[];
  /** Refuse offers larger than this in total (500M, 2G, bytes). */
  maxSize?: string;
}

/** A --from value that names no single paired device; keeps the code of the lookup (NOT_PAIRED, AMBIGUOUS...). */
export class FromOptionError extends Error {
  readonly code: string;
  readonly hint: string;
  constructor(query: string, cause: unknown) {
    const e = cause as { code?: unknown; message?: unknown; hint?: unknown };
    super(`--from ${query}: ${String(e?.message ?? cause)}`, { cause });
    this.name = 'FromOptionError';
    this.code = typeof e?.code === 'string' ? e.code : 'NOT_PAIRED';
    this.hint = typeof e?.hint === 'string' ? e.hint : 'see the paired devices with: pair list';
  }
}

/** The devices --from names, resolved as `drop send <device>` resolves its device. */
function resolveFrom(device: Pairkit, queries: string[]): Device[] {
  const found = new Map<string, Device>();
  for (const q of queries) {
    try {
      const d = device.resolveDevice(q);
      found.set(d.deviceId, d);
    } catch (err) {
      throw new FromOptionError(q, err);
    }
  }
  return [...found.values()];
}

/** `drop receive [--dir DIR]`: serves paired devices until interrupted (or one transfer with --once). */
export async function receiveCommand(opts: ReceiveOptions): Promise<number> {
  const out = makeOutput(opts.json === true);
  const dir = resolve(opts.dir ?? '.');
  const interrupt = interruptSignal();
  const { signal, dispose } = interrupt;
  let maxBytes: number | undefined;
  const device = await openChecked(out, opts, interrupt, async () => {
    if (opts.maxSize !== undefined) maxBytes = parseSize(opts.maxSize);
    await mkdir(dir, { recursive: true });
  });
  if (typeof device === 'number') return device;
  // Resolved first thing in the try below, before any channel is served.
  let allowed: Device[] | undefined;
  let exit: number = ExitCode.OK;
  let finishOnce: (() => void) | undefined;
  const onceDone = new Promise<void>((r) => (finishOnce = r));
  // One transfer at a time: two senders writing the same .part would race.
  let queue: Promise<void> = Promise.resolve();

  const serve = async (channel: Channel): Promise<void> => {
    const from = channel.device;
    const progress = new Progress(out);
    const show = showProgress(out, progress);
    const isAllowed = allowed === undefined || allowed.some((d) => d.deviceId === from.deviceId);
    try {
      const files = await receiveFiles(channel, {
        dir,
        sender: from.deviceId,
        signal,
        maxBytes,
        // Told before anything is written; which devices we wait for stays private.
        decide: isAllowed ? undefined : () => ({ code: 'NOT_ALLOWED', message: 'this receiver only accepts files from selected devices' }),
        onEvent: (e) => {
          if (e.type !== 'offer') return show(e);
          if (!isAllowed) return;
          out.event(
            { event: 'offer', from: { deviceId: from.deviceId, name: from.name }, files: e.files.map((f) => ({ name: f.name, size: f.size })) },
            `${from.name} sends ${e.files.length} file(s): ${e.files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(', ')}`,
          );
        },
      });
      for (const f of files) {
        out.event(
          { event: 'received', file: f.name, path: f.path, size: f.size, sha256: f.sha256, resumedFrom: f.resumedFrom, from: from.deviceId },
          `received ${f.name} -> ${f.path} (${formatBytes(f.size)}, sha256 verified)`,
        );
      }
      out.event({ event: 'done', files: files.length, peakRssBytes: peakRss() });
      exit = ExitCode.OK;
    } catch (err) {
      progress.done();
      const d = describeError(err);
      // Refusals the sender is told about; the transfer never started.
      if (REFUSAL_ERROR_CODES.includes(d.code as DropErrorCode)) {
        out.event({ event: 'refused', code: d.code, reason: d.reason, from: { deviceId: from.deviceId, name: from.name } });
        out.note(`drop: refused ${from.name} (${from.deviceId.slice(0, 8)}): ${d.reason}`);
      } else {
        out.event({ event: 'failed', code: d.code, reason: d.reason, from: from.deviceId });
        if (!out.json) process.stderr.write(`drop: transfer from ${from.name} failed: ${d.reason}\n`);
      }
      if (isAllowed) exit = d.exit;
    } finally {
      // A device --from leaves out does not use up --once: we keep waiting for the right one.
      if (opts.once === true && isAllowed) finishOnce?.();
    }
  };

  try {
    if (opts.from !== undefined) allowed = resolveFrom(device, opts.from);
    device.on('refused', ({ peerId, protocol }) => {
      out.event({ event: 'refused', peerId, protocol }, undefined);
      out.note(`refused ${protocol} from ${peerId}: not a paired device`);
    });
    await device.handle(DROP_PROTOCOL_ID, (channel) => {
      const run = queue.then(() => serve(channel));
      queue = run.catch(() => {});
      return run;
    });
    const limits = [
      ...(allowed === undefined ? [] : [`only from ${allowed.map((d) => `${d.name} (${d.deviceId.slice(0, 8)})`).join(', ')}`]),
      ...(maxBytes === undefined ? [] : [`up to ${formatBytes(maxBytes)} per transfer`]),
    ];
    out.event(
      {
        event: 'listening',
        deviceId: device.identity.deviceId,
        name: device.identity.name,
        addrs: device.addresses,
        dir,
        ...(allowed === undefined ? {} : { from: allowed.map((d) => ({ deviceId: d.deviceId, name: d.name })) }),
        ...(maxBytes === undefined ? {} : { maxBytes }),
      },
      `receiving into ${dir} as ${device.identity.name} (${device.identity.deviceId.slice(0, 8)})${limits.map((l) => `; ${l}`).join('')}; Ctrl-C to stop`,
    );
    out.note(`listening on ${device.addresses.join(' ')}`);
    const interrupted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([interrupted, ...(opts.once === true ? [onceDone] : [])]);
    if (signal.aborted && opts.once !== true) return ExitCode.OK;
    if (signal.aborted) return ExitCode.INTERRUPTED;
    return exit;
  } catch (err) {
    return fail(out, err);
  } finally {
    dispose();
    await device.close();
  }
}
