import type { PeerInfo } from '@libp2p/interface';
import createDebug from 'debug';
import { NetError } from './errors.js';
import type { PairkitLibp2p } from './node.js';
import { findSessionProviders, rendezvousCid } from './rendezvous.js';

const log = createDebug('pairkit:net:discovery');

export type CandidateSource = 'mdns' | 'dht' | 'direct';

export interface Candidate {
  peer: PeerInfo;
  source: CandidateSource;
}

/** Sends a fresh mDNS query now (the service queries on start), if mDNS is enabled. */
export async function queryMdnsNow(node: PairkitLibp2p): Promise<boolean> {
  const m = node.services.mdns;
  if (m == null) return false;
  await m.stop();
  await m.start();
  return true;
}

/**
 * Races LAN and DHT rendezvous: yields candidate peers as mDNS and the DHT find them, each
 * peer once, until the signal aborts. mDNS peers are every pairkit node on the LAN (only the
 * protocol tells the initiator apart); DHT peers provide the session's CID.
 */
export async function* discoverCandidates(
  node: PairkitLibp2p,
  sessionId: Uint8Array,
  opts: { signal: AbortSignal; dht?: boolean; mdns?: boolean }
): AsyncGenerator<Candidate> {
  const queue: Candidate[] = [];
  let wake: (() => void) | undefined;
  const seen = new Set<string>([node.peerId.toString()]);
  const push = (c: Candidate): void => {
    const id = c.peer.id.toString();
    if (seen.has(id)) return;
    seen.add(id);
    log('candidate %s via %s', id, c.source);
    queue.push(c);
    wake?.();
  };

  const m = opts.mdns === false ? undefined : node.services.mdns;
  const onMdns = (e: CustomEvent<PeerInfo>): void => push({ peer: e.detail, source: 'mdns' });
  if (m != null) {
    m.addEventListener('peer', onMdns);
    queryMdnsNow(node).catch((err: Error) => log('mDNS query failed: %s', err.message));
  }
  const onAbort = (): void => wake?.();
  opts.signal.addEventListener('abort', onAbort);

  let dhtTask: Promise<void> | undefined;
  if (opts.dht !== false) {
    dhtTask = (async () => {
      const cid = await rendezvousCid(sessionId);
      for await (const p of findSessionProviders(node, cid, { signal: opts.signal })) {
        push({ peer: p, source: 'dht' });
      }
    })().catch((err: Error) => log('DHT discovery ended: %s', err.message));
  }

  try {
    while (!opts.signal.aborted) {
      const next = queue.shift();
      if (next != null) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    m?.removeEventListener('peer', onMdns);
    opts.signal.removeEventListener('abort', onAbort);
    void dhtTask;
  }
}

/** Turns LAN discovery (answering and sending mDNS queries) on or off at runtime. */
export async function setMdnsEnabled(node: PairkitLibp2p, enabled: boolean): Promise<void> {
  const m = node.services.mdns;
  if (m == null) {
    if (enabled) throw new NetError('NOT_STARTED', 'this node was created without mDNS');
    return;
  }
  const running = (m as { isStarted?: () => boolean }).isStarted?.() ?? true;
  if (enabled && !running) await m.start();
  if (!enabled && running) await m.stop();
}
