import { constants, createReadStream } from 'node:fs';
import { open, rename, rm, stat, statfs, writeFile, readFile, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import debugFactory from 'debug';
import { DropError } from './errors.js';
import { DropSender, type SenderAction } from './protocol/sender.js';
import { DropReceiver, type PartialFile, type ReceiverAction } from './protocol/receiver.js';
import { REFUSAL_ERROR_CODES, type Offer, type OfferedFile } from './protocol/messages.js';
import { checkFreeSpace, checkMaxSize, type FreeSpace, type Refusal } from './protocol/policy.js';
import { ActionQueue } from './runner.js';

const log = debugFactory('pairkit:drop');

/** Any ordered, reliable byte stream: a pairkit channel, a socket wrapper, an in-memory pair. */
export interface ByteDuplex extends AsyncIterable<Uint8Array> {
  /** Resolves when the transport can take more (backpressure). */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends our side after everything written was sent. */
  close(): Promise<void>;
  /** Drops the stream at once (used on errors and cancel); falls back to `close()`. */
  abort?(err: Error): void;
}

// Failures whose last frame told the peer why (REJECT, FILE_RESULT): close gracefully so that
// frame arrives before the stream ends, instead of resetting it.
const TOLD_PEER = new Set<string>([...REFUSAL_ERROR_CODES, 'DROP_HASH_MISMATCH']);

/** Closes after our last frame; a peer that does not let the stream close within `ms` is cut off. */
async function closeAfterTelling(duplex: ByteDuplex, failed: unknown, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    duplex.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!closed) await closeDuplex(duplex, failed);
}

async function closeDuplex(duplex: ByteDuplex, failed: unknown): Promise<void> {
  if (failed !== undefined && duplex.abort !== undefined) {
    duplex.abort(failed instanceof Error ? failed : new Error(String(failed)));
    return;
  }
  await duplex.close().catch(() => {});
}

export type TransferEvent =
  | { type: 'offer'; files: OfferedFile[] }
  | { type: 'file-start'; name: string; size: number; offset: number; resumed: boolean }
  | { type: 'progress'; name: string; bytes: number; size: number }
  | { type: 'file-done'; name: string; size: number; sha256: string; path?: string };

export interface TransferOptions {
  signal?: AbortSignal;
  /** Fail with DROP_CLOSED when the peer sends nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
  onEvent?: (event: TransferEvent) => void;
}

export interface SentFile {
  name: string;
  size: number;
  sha256: string;
}

export interface ReceivedFile extends SentFile {
  /** Where the file was saved. */
  path: string;
  /** Bytes that were already there from an earlier, interrupted transfer. */
  resumedFrom: number;
}

async function write(duplex: ByteDuplex, bytes: Uint8Array): Promise<void> {
  try {
    await duplex.write(bytes);
  } catch (cause) {
    throw new DropError('DROP_CLOSED', `connection lost: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Drives a core over a duplex until it reports done or an error. */
function drive<A extends { type: string }>(
  duplex: ByteDuplex,
  receive: (bytes: Uint8Array) => A[],
  end: (err?: unknown) => A[],
  exec: (action: A, queue: { push(actions: A[]): void }) => Promise<void>,
  first: A[],
  signal: AbortSignal | undefined,
  idleMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      queue.stop();
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    // The first error a core reports wins, even if the queue is stuck behind a failing write.
    let reported: unknown;
    const feed = (actions: A[]): void => {
      const e = actions.find((a) => a.type === 'error') as unknown as { error: DropError } | undefined;
      if (e !== undefined && reported === undefined) reported = e.error;
      queue.push(actions);
    };
    const queue: ActionQueue<A> = new ActionQueue<A>(
      async (action) => {
        if (action.type === 'done') return finish();
        if (action.type === 'error') return finish((action as unknown as { error: DropError }).error);
        await exec(action, { push: feed });
      },
      (err) => {
        // A local failure (disk, closed stream): end the core so it reports, then stop.
        const error = err instanceof DropError ? err : new DropError('DROP_IO', (err as Error)?.message ?? String(err), { cause: err });
        feed(end(error));
        finish(reported ?? error);
      },
    );
    const onAbort = (): void => {
      // Finish now: a write may be stuck on backpressure and would hold the queue.
      end(new DropError('DROP_ABORTED', 'transfer cancelled'));
      finish(new DropError('DROP_ABORTED', 'transfer cancelled'));
    };
    if (signal?.aborted === true) {
      finish(new DropError('DROP_ABORTED', 'transfer cancelled'));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // A peer that goes silent (a cut cable does not close TCP) must not hold the transfer forever.
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        const e = new DropError('DROP_CLOSED', `no data from the peer for ${Math.round(idleMs / 1000)} s`);
        end(e);
        finish(e);
      }, idleMs);
    };
    armIdle();
    feed(first);
    void (async () => {
      try {
        for await (const chunk of duplex) {
          if (settled) break;
          armIdle();
          feed(receive(chunk));
        }
        feed(end());
      } catch (err) {
        feed(end(new DropError('DROP_CLOSED', `connection lost: ${(err as Error)?.message ?? String(err)}`, { cause: err })));
      }
    })();
  });
}

/** Sends files over a stream; resolves when the receiver confirmed every file's SHA-256. */
export async function sendFiles(duplex: ByteDuplex, paths: string[], options: TransferOptions = {}): Promise<SentFile[]> {
  const handles: FileHandle[] = [];
  try {
    const files: OfferedFile[] = [];
    for (const p of paths) {
      let s;
      try {
        s = await stat(p);
      } catch (cause) {
        throw new DropError('DROP_USAGE', `cannot read ${p}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
      }
      if (!s.isFile()) throw new DropError('DROP_USAGE', `${p} is not a regular file`);
      handles.push(await open(p, 'r'));
      files.push({ name: basename(p), size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
    }
    const sender = new DropSender(files);
    const sent: SentFile[] = [];
    await drive<SenderAction>(
      duplex,
      (b) => sender.receive(b),
      (e) => sender.end(e),
      async (a, queue) => {
        switch (a.type) {
          case 'send':
            await write(duplex, a.bytes);
            return;
          case 'read': {
            const buf = Buffer.allocUnsafe(a.length);
            const { bytesRead } = await handles[a.index]!.read(buf, 0, a.length, a.offset);
            queue.push(sender.provide(buf.subarray(0, bytesRead)));
            return;
          }
          case 'file-start': {
            const f = files[a.index]!;
            log('sending %s from %d', f.name, a.offset);
            options.onEvent?.({ type: 'file-start', name: f.name, size: f.size, offset: a.offset, resumed: a.resumed });
            return;
          }
          case 'progress':
            options.onEvent?.({ type: 'progress', name: files[a.index]!.name, bytes: a.sent, size: a.size });
            return;
          case 'file-done': {
            const f = files[a.index]!;
            sent.push({ name: f.name, size: f.size, sha256: a.sha256 });
            options.onEvent?.({ type: 'file-done', name: f.name, size: f.size, sha256: a.sha256 });
            return;
          }
        }
      },
      sender.start(),
      options.signal,
      options.idleTimeoutMs ?? 60_000,
    );
    await closeDuplex(duplex, undefined);
    return sent;
  } catch (err) {
    await closeDuplex(duplex, err);
    throw err;
  } finally {
    await Promise.allSettled(handles.map((h) => h.close()));
  }
}

/** Resume bookkeeping kept beside each `.part` file. */
interface PartMeta {
  sender: string;
  name: string;
  size: number;
  mtimeMs: number;
}

export interface ReceiveOptions extends TransferOptions {
  /** Folder the files go to. */
  dir: string;
  /** Who sends (the paired device id); a partial file only resumes from the same sender. */
  sender: string;
  /**
   * Return false (or a reason string) to decline an offer: the sender gets DROP_REJECTED; or
   * a {@link Refusal} to say why (`NOT_ALLOWED`, `TOO_LARGE`, `NO_SPACE`), which the sender
   * gets as the matching code. Default: accept.
   */
  decide?: (offer: Offer) => Verdict | Promise<Verdict>;
  /** Refuse (TOO_LARGE) an offer whose total size is over this many bytes. Default: no limit. */
  maxBytes?: number;
  /**
   * Refuse (NO_SPACE) an offer that does not fit in the free space of `dir`'s file system
   * (`statfs`; a resumed file only needs its missing bytes). Default: true.
   */
  checkFreeSpace?: boolean;
}

/** A receiver's answer to an offer: accept (true), decline, or refuse with a reason. */
export type Verdict = boolean | string | Refusal;

/** The free space of the file system holding `dir`, or undefined where statfs cannot tell. */
export async function freeSpace(dir: string): Promise<FreeSpace | undefined> {
  try {
    const s = await statfs(dir);
    return { available: s.bavail * s.bsize, blockSize: s.bsize };
  } catch (err) {
    log('statfs %s failed, no free space check: %s', dir, (err as Error).message);
    return undefined;
  }
}

/** The first reason to refuse `offer` that needs no disk: the app's verdict, then the size limit. */
async function refusalFor(offer: Offer, options: ReceiveOptions): Promise<Refusal | undefined> {
  const verdict = options.decide === undefined ? true : await options.decide(offer);
  if (verdict === false) return { code: 'DECLINED', message: 'declined' };
  if (typeof verdict === 'string') return { code: 'DECLINED', message: verdict };
  if (verdict !== true) return verdict;
  return checkMaxSize(offer, options.maxBytes);
}

// Never follow a symlink planted where a partial file goes.
const WRITE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
const WRITE_EXISTING = constants.O_RDWR | constants.O_NOFOLLOW;

function partPaths(dir: string, name: string): { part: string; meta: string } {
  return { part: join(dir, `${name}.part`), meta: join(dir, `${name}.part.json`) };
}

/** What we already have of an offered file, if it is the same file from the same sender. */
async function findPartial(dir: string, sender: string, f: OfferedFile): Promise<PartialFile | undefined> {
  const { part, meta } = partPaths(dir, f.name);
  let m: PartMeta;
  try {
    m = JSON.parse(await readFile(meta, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
  if (m.sender !== sender || m.name !== f.name || m.size !== f.size || m.mtimeMs !== f.mtimeMs) return undefined;
  let size: number;
  try {
    size = (await stat(part)).size;
  } catch {
    return undefined;
  }
  if (size === 0 || size > f.size) return undefined;
  // Hash what is there; the sender compares it with its own prefix before continuing.
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { offset: size, hash };
}

async function freeName(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = join(dir, i === 0 ? name : `${stem} (${i})${ext}`);
    try {
      await stat(candidate);
    } catch {
      return candidate;
    }
  }
}

/** Receives one transfer into `dir`, keeping `.part` files so an interrupted transfer resumes. */
export async function receiveFiles(duplex: ByteDuplex, options: ReceiveOptions): Promise<ReceivedFile[]> {
  const receiver = new DropReceiver();
  const received: ReceivedFile[] = [];
  let current: { fh: FileHandle; index: number; resumedFrom: number } | undefined;
  try {
    await drive<ReceiverAction>(
      duplex,
      (b) => receiver.receive(b),
      (e) => receiver.end(e),
      async (a, queue) => {
        switch (a.type) {
          case 'send':
            await write(duplex, a.bytes);
            return;
          case 'offer': {
            options.onEvent?.({ type: 'offer', files: a.offer.files });
            // Every refusal comes before the first byte is written: no .part is ever created.
            let refusal = await refusalFor(a.offer, options);
            const partials: (PartialFile | undefined)[] = [];
            if (refusal === undefined) {
              for (const f of a.offer.files) partials.push(await findPartial(options.dir, options.sender, f));
              const space = options.checkFreeSpace === false ? undefined : await freeSpace(options.dir);
              if (space !== undefined) refusal = checkFreeSpace(a.offer, partials.map((p) => p?.offset ?? 0), space);
            }
            if (refusal !== undefined) {
              log('refusing the offer: %s', refusal.code);
              queue.push(receiver.reject(refusal.message, refusal.code));
              return;
            }
            queue.push(receiver.accept(partials));
            return;
          }
          case 'file-start': {
            const { part, meta } = partPaths(options.dir, a.file.name);
            if (a.offset === 0) {
              const m: PartMeta = { sender: options.sender, name: a.file.name, size: a.file.size, mtimeMs: a.file.mtimeMs };
              await writeFile(`${meta}.tmp`, JSON.stringify(m), { mode: 0o600 });
              await rename(`${meta}.tmp`, meta);
              current = { fh: await open(part, WRITE_NEW, 0o600), index: a.index, resumedFrom: 0 };
            } else {
              const fh = await open(part, WRITE_EXISTING);
              await fh.truncate(a.offset);
              current = { fh, index: a.index, resumedFrom: a.offset };
            }
            log('receiving %s from %d', a.file.name, a.offset);
            options.onEvent?.({ type: 'file-start', name: a.file.name, size: a.file.size, offset: a.offset, resumed: a.resumed });
            return;
          }
          case 'write': {
            let done = 0;
            while (done < a.data.length) {
              const { bytesWritten } = await current!.fh.write(a.data, done, a.data.length - done, a.offset + done);
              done += bytesWritten;
            }
            queue.push(receiver.written(a.data.length));
            return;
          }
          case 'progress':
            options.onEvent?.({ type: 'progress', name: receiver.offer!.files[a.index]!.name, bytes: a.received, size: a.size });
            return;
          case 'file-end': {
            const { part, meta } = partPaths(options.dir, a.file.name);
            const c = current!;
            current = undefined;
            if (!a.ok) {
              await c.fh.close();
              await rm(part, { force: true });
              await rm(meta, { force: true });
              return;
            }
            await c.fh.sync();
            await c.fh.close();
            const path = await freeName(options.dir, a.file.name);
            await rename(part, path);
            await rm(meta, { force: true });
            received.push({ name: a.file.name, size: a.file.size, sha256: a.sha256, path, resumedFrom: c.resumedFrom });
            options.onEvent?.({ type: 'file-done', name: a.file.name, size: a.file.size, sha256: a.sha256, path });
            return;
          }
        }
      },
      [],
      options.signal,
      options.idleTimeoutMs ?? 60_000,
    );
    await closeDuplex(duplex, undefined);
    return received;
  } catch (err) {
    if (err instanceof DropError && TOLD_PEER.has(err.code)) await closeAfterTelling(duplex, err);
    else await closeDuplex(duplex, err);
    throw err;
  } finally {
    await current?.fh.close().catch(() => {});
  }
}
