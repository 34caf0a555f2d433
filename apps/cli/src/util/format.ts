// How devices and identities look, as JSON and as text. Secret keys never appear: only
// whether they exist and a fingerprint.
import { fingerprint, type LocalIdentity, type PairedDevice } from '@pairkit/registry';

export const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function identityJson(id: LocalIdentity, home: string) {
  return {
    deviceId: id.deviceId,
    peerId: id.peerId,
    name: id.name,
    os: id.os,
    appVersion: id.appVersion,
    bleAddress: id.bleIdentityAddress,
    publicKey: Buffer.from(id.publicKey).toString('hex'),
    fingerprint: fingerprint(id.publicKey),
    createdAt: iso(id.createdAt),
    home,
  };
}

export function deviceSummaryJson(d: PairedDevice) {
  return {
    deviceId: d.deviceId,
    peerId: d.peerId,
    name: d.name,
    os: d.os,
    appVersion: d.appVersion,
    method: d.method,
    pairedAt: iso(d.pairedAt),
    lastSeenAt: iso(d.lastSeenAt),
    addresses: d.addresses,
    hasSessionKeys: d.sessionKeys !== undefined,
    hasBond: d.bond !== undefined,
    bleAddress: d.bond?.address ?? null,
  };
}

export function deviceDetailJson(d: PairedDevice) {
  const b = d.bond;
  return {
    ...deviceSummaryJson(d),
    publicKey: Buffer.from(d.publicKey).toString('hex'),
    fingerprint: fingerprint(d.publicKey),
    sessionKeys: d.sessionKeys
      ? {
          present: true,
          createdAt: iso(d.sessionKeys.createdAt),
          fingerprint: fingerprint(Buffer.concat([d.sessionKeys.tx, d.sessionKeys.rx])),
        }
      : { present: false },
    bond: b
      ? {
          address: b.address,
          addressType: b.addressType,
          keySize: b.keySize,
          authenticated: b.authenticated,
          secureConnections: b.secureConnections,
          hasLtk: b.ltk !== undefined || b.localLtk !== undefined,
          hasIrk: b.irk !== undefined,
          hasCsrk: b.csrk !== undefined,
          hasLinkKey: b.linkKey !== undefined,
          createdAt: iso(b.createdAt),
        }
      : null,
  };
}

/** Aligned "key: value" lines. */
export function lines(rows: [string, string | number | boolean | null | undefined][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${(k + ':').padEnd(w + 2)}${v === null || v === undefined ? '-' : String(v)}`).join('\n');
}

/** A simple text table with a header row. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
