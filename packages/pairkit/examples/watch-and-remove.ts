// Watch the paired devices change, then remove one: the peer is told and drops us too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pairkit, PairkitError } from 'pairkit';

const root = await mkdtemp(join(tmpdir(), 'pairkit-example-'));
// Both devices live on this machine: loopback only, no LAN discovery.
const net = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false };
const a = await Pairkit.open({ home: join(root, 'a'), name: 'desktop', ...net });
const b = await Pairkit.open({ home: join(root, 'b'), name: 'tablet', ...net, bootstrap: a.addresses });
const stop = new AbortController();

try {
  const watching = (async () => {
    for await (const change of b.watchDevices({ signal: stop.signal })) {
      if (change.type !== 'updated') console.log('tablet sees:', change.type);
    }
  })();
  b.on('removed-by-peer', (d) => console.log(`tablet: ${d.name} removed us`));

  const invitation = a.initiatePairing();
  const [paired] = await Promise.all([invitation.paired, b.joinPairing(invitation.code)]);
  console.log('desktop devices:', a.devices().map((d) => d.name));

  const { notified } = await a.removeDevice(paired.device.deviceId);
  console.log('removed, peer told:', notified);
  try {
    await a.openChannel(paired.device.deviceId, '/example/any/1.0.0');
  } catch (err) {
    if (err instanceof PairkitError) console.log('open refused:', err.code);
  }
  stop.abort();
  await watching;
} finally {
  await b.close();
  await a.close();
  await rm(root, { recursive: true, force: true });
}
