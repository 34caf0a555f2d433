import type { Stream } from '@libp2p/interface';
import type { Uint8ArrayList } from 'uint8arraylist';
import { NetError } from './errors.js';
import { Wake } from './wake.js';

/** Above this many unread bytes the stream is paused; at or below LOW_WATER it resumes. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/**
 * The bytes of a stream as they arrive, ending when the remote finishes. Unlike the stream's
 * own iterator it also ends when the remote finished before reading started (it checks
 * `readableEnded`). A reset or abort fails with STREAM_CLOSED. The stream is paused while
 * more than 1 MiB is unread, so a slow reader does not fill memory. Listens only while iterated.
 */
export async function* streamChunks(stream: Stream, opts: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
  const { signal } = opts;
  const queue: Uint8Array[] = [];
  let queued = 0;
  const waiter = new Wake();
  let failure: Error | undefined;
  const onMessage = (evt: { data: Uint8Array | Uint8ArrayList }): void => {
    const bytes = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
    queue.push(bytes);
    queued += bytes.length;
    if (queued > HIGH_WATER && stream.readStatus === 'readable') stream.pause();
    waiter.wake();
  };
  const onClose = (evt: { error?: Error }): void => {
    if (evt.error != null) failure = evt.error;
    waiter.wake();
  };
  const onEvent = waiter.wake;
  stream.addEventListener('message', onMessage);
  stream.addEventListener('end', onEvent);
  stream.addEventListener('close', onClose);
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk != null) {
        queued -= chunk.length;
        if (queued <= LOW_WATER && stream.readStatus === 'paused') stream.resume();
        yield chunk;
        continue;
      }
      if (failure != null) throw new NetError('STREAM_CLOSED', `stream failed: ${failure.message}`, { cause: failure });
      // Bytes still in the stream's buffer come with the microtask our listener queued.
      if (stream.readBufferLength === 0) {
        if (stream.status === 'aborted' || stream.status === 'reset') throw new NetError('STREAM_CLOSED', `stream ${stream.status}`);
        if (stream.readableEnded) return;
      }
      await waiter.wait(signal);
    }
  } finally {
    waiter.clear();
    stream.removeEventListener('message', onMessage);
    stream.removeEventListener('end', onEvent);
    stream.removeEventListener('close', onClose);
    if (stream.readStatus === 'paused') stream.resume();
  }
}
