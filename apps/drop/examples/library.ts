// drop as a library: send a file to a paired device over a pairkit channel.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pairkit } from 'pairkit';
import { receiveFiles, sendFiles } from '@pairkit/drop';

const root = await mkdtemp(join(tmpdir(), 'drop-example-'));
// Both devices live on this machine: loopback only, no LAN discovery.
const net = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false };
const desk = await Pairkit.open({ home: join(root, 'desk'), name: 'desk', ...net });
const laptop = await Pairkit.open({ home: join(root, 'laptop'), name: 'laptop', ...net, bootstrap: desk.addresses });

try {
  const invitation = desk.initiatePairing();
  await Promise.all([invitation.paired, laptop.joinPairing(invitation.code)]);

  // The desk receives into root/inbox; only paired devices reach this handler.
  const inbox = join(root, 'inbox');
  await writeFile(join(root, 'report.txt'), 'quarterly numbers\n');
  const received = new Promise<string>((resolve, reject) => {
    void desk.handle('/pairkit-drop/1.0.0', async (channel) => {
      await mkdir(inbox, { recursive: true });
      const files = await receiveFiles(channel, { dir: inbox, sender: channel.device.deviceId }).catch(reject);
      if (files) resolve(files[0]!.path);
    });
  });

  const channel = await laptop.openChannel(desk.identity.deviceId, '/pairkit-drop/1.0.0');
  const sent = await sendFiles(channel, [join(root, 'report.txt')], {
    onEvent: (e) => e.type === 'file-done' && console.log(`sent ${e.name}, sha256 ${e.sha256.slice(0, 12)}...`),
  });
  const path = await received;
  console.log(`desk has ${path.slice(root.length + 1)}: ${JSON.stringify(await readFile(path, 'utf8'))}, ${sent.length} file(s)`);
} finally {
  await laptop.close();
  await desk.close();
  await rm(root, { recursive: true, force: true });
}
