import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import type { PeerId, PeerInfo } from '@libp2p/interface';
import createDebug from 'debug';
import type { PairkitLibp2p } from './node.js';

const log = createDebug('pairkit:net:rendezvous');

/** Domain separation: the CID is a hash of this label and the session id, never the id itself. */
export const RENDEZVOUS_LABEL = 'pairkit rendezvous v1';

/** The DHT key for a pairing session: CIDv1, raw codec, sha256(label || 0x00 || sessionId). */
export async function rendezvousCid(sessionId: Uint8Array): Promise<CID> {
  const label = new TextEncoder().encode(RENDEZVOUS_LABEL);
  const input = new Uint8Array(label.length + 1 + sessionId.length);
  input.set(label, 0);
  input.set(sessionId, label.length + 1);
  return CID.createV1(raw.code, await sha256.digest(input));
}

/**
 * Announces a provider record for the session until the signal aborts, re-providing every
 * `intervalMs` (provider records expire, and peers that join the DHT later must also see it).
 */
export async function announceSession(
  node: PairkitLibp2p,
  cid: CID,
  opts: { signal: AbortSignal; intervalMs?: number; queryTimeoutMs?: number }
): Promise<void> {
  const interval = opts.intervalMs ?? 30_000;
  let stored = 0;
  while (!opts.signal.aborted) {
    const s = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.queryTimeoutMs ?? 20_000)]);
    try {
      let n = 0;
      for await (const ev of node.services.dht.provide(cid, { signal: s })) {
        if (ev.name === 'PEER_RESPONSE') n++;
      }
      log('provided %s (%d responses)', cid.toString(), n);
      stored = n;
    } catch (err) {
      if (opts.signal.aborted) break;
      log('provide failed: %s', (err as Error).message);
      stored = 0;
    }
    // Nobody stored the record yet (routing table still filling): try again soon.
    await sleep(stored > 0 ? interval : 1_000, opts.signal);
  }
  await node.services.dht.cancelReprovide(cid).catch(() => {});
}

/**
 * Finds providers of the session CID in the DHT, yielding each new provider once, with
 * addresses completed by peer routing when the provider record carried none. Repeats the
 * query until the signal aborts (the initiator may announce after we start looking).
 */
export async function* findSessionProviders(
  node: PairkitLibp2p,
  cid: CID,
  opts: { signal: AbortSignal; retryMs?: number; queryTimeoutMs?: number }
): AsyncGenerator<PeerInfo> {
  const seen = new Set<string>();
  const self = node.peerId.toString();
  while (!opts.signal.aborted) {
    const s = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.queryTimeoutMs ?? 15_000)]);
    try {
      for await (const ev of node.services.dht.findProviders(cid, { signal: s })) {
        if (ev.name !== 'PROVIDER') continue;
        for (const p of ev.providers) {
          const id = p.id.toString();
          if (id === self || seen.has(id)) continue;
          seen.add(id);
          const info = p.multiaddrs.length > 0 ? p : await findAddresses(node, p.id, opts.signal);
          if (info != null) yield info;
        }
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      log('findProviders failed: %s', (err as Error).message);
    }
    await sleep(opts.retryMs ?? 1_000, opts.signal);
  }
}

/** Peer routing: the peer store first, then the DHT. */
export async function findAddresses(node: PairkitLibp2p, id: PeerId, signal: AbortSignal): Promise<PeerInfo | undefined> {
  try {
    const known = await node.peerStore.get(id);
    if (known.addresses.length > 0) return { id, multiaddrs: known.addresses.map((a) => a.multiaddr) };
  } catch {
    // not in the peer store
  }
  try {
    const s = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
    return await node.peerRouting.findPeer(id, { signal: s });
  } catch (err) {
    log('peer routing for %s failed: %s', id.toString(), (err as Error).message);
    return undefined;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
