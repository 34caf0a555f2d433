import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DropError } from '../errors.js';
import { checkFileName } from '../protocol/messages.js';
import { sendFiles } from '../transfer.js';
import { DROP_PROTOCOL_ID, fail, interruptSignal, openChecked, peakRss, showProgress, type CommonOptions } from './common.js';
import { formatBytes } from '../bytes.js';
import { ExitCode, Progress, makeOutput } from './output.js';

export interface SendOptions extends CommonOptions {
  timeout?: string;
}

/** `drop send <device> <file...>`: returns the exit code. */
export async function sendCommand(deviceQuery: string, files: string[], opts: SendOptions): Promise<number> {
  const out = makeOutput(opts.json === true);
  const interrupt = interruptSignal();
  const { signal, dispose } = interrupt;
  const connectMs = opts.timeout === undefined ? 60_000 : Number(opts.timeout) * 1000;
  if (!Number.isFinite(connectMs) || connectMs <= 0) return fail(out, new DropError('DROP_USAGE', '--timeout takes seconds'));
  const device = await openChecked(out, opts, interrupt, () => checkFiles(files));
  if (typeof device === 'number') return device;
  try {
    const target = device.resolveDevice(deviceQuery);
    out.event({ event: 'connecting', device: { deviceId: target.deviceId, name: target.name } });
    out.note(`connecting to ${target.name} (${target.deviceId.slice(0, 8)})...`);
    const channel = await device.openChannel(target.deviceId, DROP_PROTOCOL_ID, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(connectMs)]),
    });
    const show = showProgress(out, new Progress(out));
    const started = Date.now();
    const sent = await sendFiles(channel, files, {
      signal,
      onEvent: (e) => {
        show(e);
        if (e.type === 'file-done') {
          out.event({ event: 'sent', file: e.name, size: e.size, sha256: e.sha256 }, `sent ${e.name} (${formatBytes(e.size)}, sha256 ${e.sha256.slice(0, 16)}...)`);
        }
      },
    });
    const seconds = (Date.now() - started) / 1000;
    const bytes = sent.reduce((n, f) => n + f.size, 0);
    out.event({ event: 'done', files: sent.length, bytes, seconds, peakRssBytes: peakRss() }, `done: ${sent.length} file(s) to ${target.name}`);
    return ExitCode.OK;
  } catch (err) {
    return fail(out, err);
  } finally {
    dispose();
    await device.close();
  }
}

async function checkFiles(files: string[]): Promise<void> {
  const names = new Set<string>();
  for (const f of files) {
    let s;
    try {
      s = await stat(f);
    } catch (cause) {
      throw new DropError('DROP_USAGE', `cannot read ${f}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
    }
    if (!s.isFile()) throw new DropError('DROP_USAGE', `${f} is not a regular file`);
    const name = basename(f);
    try {
      checkFileName(name);
    } catch (cause) {
      throw new DropError('DROP_USAGE', (cause as Error).message, { cause });
    }
    if (names.has(name)) throw new DropError('DROP_USAGE', `two files are named ${name}; the receiver keeps one folder`);
    names.add(name);
  }
}
