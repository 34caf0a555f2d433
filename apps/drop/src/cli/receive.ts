import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Channel } from 'pairkit';
import { receiveFiles } from '../transfer.js';
import { DROP_PROTOCOL_ID, describeError, fail, interruptSignal, openChecked, peakRss, showProgress, type CommonOptions } from './common.js';
import { ExitCode, Progress, formatBytes, makeOutput } from './output.js';

export interface ReceiveOptions extends CommonOptions {
  dir?: string;
  once?: boolean;
}

/** `drop receive [--dir DIR]`: serves paired devices until interrupted (or one transfer with --once). */
export async function receiveCommand(opts: ReceiveOptions): Promise<number> {
  const out = makeOutput(opts.json === true);
  const dir = resolve(opts.dir ?? '.');
  const interrupt = interruptSignal();
  const { signal, dispose } = interrupt;
  const device = await openChecked(out, opts, interrupt, () => mkdir(dir, { recursive: true }));
  if (typeof device === 'number') return device;
  let exit: number = ExitCode.OK;
  let finishOnce: (() => void) | undefined;
  const onceDone = new Promise<void>((r) => (finishOnce = r));
  // One transfer at a time: two senders writing the same .part would race.
  let queue: Promise<void> = Promise.resolve();

  const serve = async (channel: Channel): Promise<void> => {
    const from = channel.device;
    const progress = new Progress(out);
    const show = showProgress(out, progress);
    try {
      const files = await receiveFiles(channel, {
        dir,
        sender: from.deviceId,
        signal,
        onEvent: (e) => {
          if (e.type !== 'offer') return show(e);
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
      out.event({ event: 'failed', code: d.code, reason: d.reason, from: from.deviceId });
      if (!out.json) process.stderr.write(`drop: transfer from ${from.name} failed: ${d.reason}\n`);
      exit = d.exit;
    } finally {
      if (opts.once === true) finishOnce?.();
    }
  };

  try {
    device.on('refused', ({ peerId, protocol }) => {
      out.event({ event: 'refused', peerId, protocol }, undefined);
      out.note(`refused ${protocol} from ${peerId}: not a paired device`);
    });
    await device.handle(DROP_PROTOCOL_ID, (channel) => {
      const run = queue.then(() => serve(channel));
      queue = run.catch(() => {});
      return run;
    });
    out.event(
      { event: 'listening', deviceId: device.identity.deviceId, name: device.identity.name, addrs: device.addresses, dir },
      `receiving into ${dir} as ${device.identity.name} (${device.identity.deviceId.slice(0, 8)}); Ctrl-C to stop`,
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
