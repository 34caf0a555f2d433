import { Pairkit } from 'pairkit';

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];

/** Pairs two homes with the public pairkit API (real pairing protocol over loopback); returns their device ids. */
export async function pairHomes(homeA: string, nameA: string, homeB: string, nameB: string): Promise<{ a: string; b: string }> {
  const a = await Pairkit.open({ home: homeA, name: nameA, listen: LOOPBACK, mdns: false });
  try {
    const b = await Pairkit.open({ home: homeB, name: nameB, listen: LOOPBACK, mdns: false, bootstrap: a.addresses });
    try {
      const invitation = a.initiatePairing({ ttlMs: 60_000 });
      await Promise.all([invitation.paired, b.joinPairing(invitation.code, { signal: AbortSignal.timeout(60_000) })]);
      return { a: a.identity.deviceId, b: b.identity.deviceId };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

/** Removes `deviceName` from `home` without telling it (it is offline). */
export async function removeFrom(home: string, deviceName: string): Promise<void> {
  const d = await Pairkit.open({ home, listen: LOOPBACK, mdns: false });
  try {
    await d.removeDevice(deviceName, { notify: false });
  } finally {
    await d.close();
  }
}
