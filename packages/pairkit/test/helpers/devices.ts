import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pairkit, type PairingResult } from '../../src/index.js';

export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];

/** A temp root folder, removed by `cleanup()`. */
export async function tempRoot(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'pairkit-test-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function openDevice(root: string, name: string, bootstrap: string[] = []): Promise<Pairkit> {
  return Pairkit.open({ home: join(root, name), name, listen: LOOPBACK, mdns: false, bootstrap });
}

/** Pairs two open devices over the real pairing protocol (DHT rendezvous on loopback). */
export async function pair(initiator: Pairkit, joiner: Pairkit): Promise<[PairingResult, PairingResult]> {
  const invitation = initiator.initiatePairing({ ttlMs: 60_000 });
  return Promise.all([invitation.paired, joiner.joinPairing(invitation.code, { signal: AbortSignal.timeout(60_000) })]);
}
