// Two SmpCores pair back to back in memory with LE Secure Connections Numeric Comparison.
import { IoCapability, SmpCore, constantTimeEqual, type SmpAction } from '@pairkit/smp';

const phone = { type: 'random', address: 'C1:22:33:44:55:66' } as const;
const watch = { type: 'public', address: '00:1B:DC:07:31:88' } as const;
const io = IoCapability.DisplayYesNo; // both have a screen and a yes button
const central = new SmpCore({ role: 'central', localAddress: phone, peerAddress: watch, ioCapability: io, mitm: true });
const peripheral = new SmpCore({ role: 'peripheral', localAddress: watch, peerAddress: phone, ioCapability: io, mitm: true });
const keys = new Map<SmpCore, Uint8Array>(); // the key each host hands its controller

function run(core: SmpCore, actions: SmpAction[]): void {
  const name = core === central ? 'phone' : 'watch';
  const peer = core === central ? peripheral : central;
  for (const a of actions) {
    if (a.type === 'send') run(peer, peer.receive(a.pdu, Date.now()));
    else if (a.type === 'numericComparison') {
      console.log(`${name} shows ${a.value}`); // the user sees the same number on both and says yes
      run(core, core.confirmNumericComparison(true, Date.now()));
    } else if (a.type === 'startEncryption' || a.type === 'encryptionKey') {
      keys.set(core, a.ltk);
      if (keys.size === 2) {
        // The controllers: the link encrypts only if both hosts hold the same key.
        const same = constantTimeEqual(keys.get(central)!, keys.get(peripheral)!);
        run(peripheral, peripheral.encryptionChanged(same, Date.now()));
        run(central, central.encryptionChanged(same, Date.now()));
      }
    } else if (a.type === 'complete') console.log(`${name} paired: security level ${a.result.securityLevel}, model ${a.result.model}`);
    else if (a.type === 'failed') console.log(`${name} failed: ${a.error.code}`);
  }
}

run(central, central.start(Date.now()));
