// Two devices on one machine: pair them, open a channel, seal a message with the session keys.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pairkit } from 'pairkit';

const root = await mkdtemp(join(tmpdir(), 'pairkit-example-'));
// Both devices live on this machine: loopback only, no LAN discovery.
const net = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false };
const laptop = await Pairkit.open({ home: join(root, 'laptop'), name: 'laptop', ...net });
const phone = await Pairkit.open({ home: join(root, 'phone'), name: 'phone', ...net, bootstrap: laptop.addresses });

try {
  // The laptop shows 12 words; the phone's user types them.
  const invitation = laptop.initiatePairing({ ttlMs: 60_000 });
  invitation.on('progress', (p) => console.log('laptop:', p.stage));
  const [onLaptop, onPhone] = await Promise.all([
    invitation.paired,
    phone.joinPairing(invitation.code, { signal: AbortSignal.timeout(30_000) }),
  ]);
  console.log(`paired ${onLaptop.device.name} <-> ${onPhone.device.name}, both show ${onLaptop.verification}`);

  // The laptop serves a protocol; only paired devices get through.
  await laptop.handle('/example/upper/1.0.0', async (channel) => {
    for await (const bytes of channel) {
      await channel.write(new TextEncoder().encode(new TextDecoder().decode(bytes).toUpperCase()));
      break;
    }
  });
  const channel = await phone.openChannel(onPhone.device.deviceId, '/example/upper/1.0.0');
  await channel.write(new TextEncoder().encode('hello over libp2p'));
  for await (const reply of channel) {
    console.log('reply:', new TextDecoder().decode(reply));
    break;
  }
  await channel.close();

  // Seal data with the per-direction session keys (e.g. to store or relay it).
  const sealer = phone.sessionCipher(onPhone.device.deviceId).sealer();
  const box = sealer.seal(new TextEncoder().encode('secret note'), { final: true });
  const opener = laptop.sessionCipher(onLaptop.device.deviceId).opener(sealer.header);
  console.log('opened:', new TextDecoder().decode(opener.open(box)));
} finally {
  await phone.close();
  await laptop.close();
  await rm(root, { recursive: true, force: true });
}
