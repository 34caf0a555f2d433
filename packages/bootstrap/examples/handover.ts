// The BLE handover: the initiator seals the network pairing code and its addresses to one BLE link
// (that link's LTK, both addresses, the PSM). The joiner on that link opens it; nobody else can.
import { randomBytes } from 'node:crypto';
import { BootstrapError, HANDOVER_PSM, openHandover, sealHandover, type HandoverContext } from '@pairkit/bootstrap';
import { PairingCode } from '@pairkit/pairing';

// What both devices know after LE Secure Connections pairing (the LTK comes from SMP).
const link: HandoverContext = {
  ltk: new Uint8Array(randomBytes(16)),
  initiator: { type: 'random', address: 'C4:12:34:56:78:9A' },
  joiner: { type: 'random', address: 'D2:9A:78:56:34:12' },
  psm: HANDOVER_PSM,
};

const code = PairingCode.generate(); // the network pairing's code: handed over, never shown
const sealed = sealHandover(link, {
  codeSecret: code.entropy,
  peerId: '12D3KooWRawPbxPtP1eZaJpumGnyWX2DcUyd3RQnydr3eAto4Az7',
  multiaddrs: ['/ip4/127.0.0.1/tcp/4001'],
  expiresAt: Date.now() + 5 * 60_000,
});
console.log(`initiator sends ${sealed.length} sealed octets on PSM 0x${link.psm.toString(16)}`);

const opened = openHandover(link, sealed, { now: Date.now() });
const same = PairingCode.fromEntropy(opened.codeSecret).equals(code);
console.log(`joiner dials ${opened.peerId} at ${opened.multiaddrs[0]}, same code: ${same}`);

// Another link (another LTK) cannot open it, and it does not outlive the code.
const tryOpen = (ctx: HandoverContext, now: number): string => {
  try {
    openHandover(ctx, sealed, { now });
    return 'opened';
  } catch (e) {
    if (e instanceof BootstrapError) return e.code;
    throw e;
  }
};
console.log(`on another link: ${tryOpen({ ...link, ltk: new Uint8Array(randomBytes(16)) }, Date.now())}`);
console.log(`ten minutes later: ${tryOpen(link, Date.now() + 10 * 60_000)}`);
