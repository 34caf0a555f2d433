// BLE proximity pairing: no words to type, one confirmation of 6 digits on each device.
// Runs on ble-sim's virtual controllers here; pass `hci: 'hci0'` (or usb:/tcp:/serial:) for a radio.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimAir, SimTransport } from '@pairkit/ble-sim';
import { fromPacketPort } from '@pairkit/hci';
import { Pairkit } from 'pairkit';

const root = await mkdtemp(join(tmpdir(), 'pairkit-example-'));
const air = new SimAir(); // the shared virtual radio space
// Both devices live on this machine: loopback only, no LAN discovery.
const net = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false };
const speaker = await Pairkit.open({ home: join(root, 'speaker'), name: 'speaker', ...net });
const phone = await Pairkit.open({ home: join(root, 'phone'), name: 'phone', ...net });

try {
  // A real app shows the digits and asks the user; here both sides just agree.
  const confirm = async (digits: string) => {
    console.log(`confirm that both devices show ${digits.replace(/\d/g, '#')}`);
    return true;
  };
  const [onSpeaker] = await Promise.all([
    speaker.initiateBlePairing({ hci: fromPacketPort(new SimTransport(air.createController())), confirm }),
    phone.joinBlePairing({
      hci: fromPacketPort(new SimTransport(air.createController())),
      confirm,
      onProgress: (p) => console.log('phone:', p.stage),
    }),
  ]);
  console.log(`speaker paired with ${onSpeaker.device.name} (${onSpeaker.device.method}, bonded: ${onSpeaker.device.bond !== undefined})`);
} finally {
  await phone.close();
  await speaker.close();
  air.close();
  await rm(root, { recursive: true, force: true });
}
