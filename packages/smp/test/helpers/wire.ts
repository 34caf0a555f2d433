// Two SmpCore instances wired back to back in memory, with a simulated controller that starts
// encryption only when both hosts hold the same key. The test plays both users.
import { randomInt } from 'node:crypto';
import { SmpCore, type SmpAction, type SmpCoreOptions, type PairingResult, type SmpError, type Role } from '../../src/index.js';
import { constantTimeEqual } from '../../src/bytes.js';

export interface SideLog {
  core: SmpCore;
  actions: SmpAction[];
  displayed?: string;
  compared?: string;
  passkeyRequested: boolean;
  result?: PairingResult;
  error?: SmpError;
  remoteError?: boolean;
  encryptedWith?: Uint8Array;
  sent: number[];
  keypresses: number[];
  answered: boolean;
}

export interface WireOptions {
  /** Change or drop (return undefined) a PDU in transit; index counts every delivered PDU. */
  tamper?: (from: Role, pdu: Uint8Array, index: number) => Uint8Array | undefined;
  /** Who types what: default the displayed passkey, or one random value for both-input. */
  passkeyFor?: (side: Role, displayed: string | undefined) => number;
  /** Answer to numeric comparison per side (default yes). */
  confirm?: (side: Role) => boolean;
  /** Keypress notifications the typing side sends before its passkey. */
  keypresses?: number[];
  startTime?: number;
}

export interface WireResult {
  central: SideLog;
  peripheral: SideLog;
  now: number;
}

const side = (core: SmpCore): SideLog => ({ core, actions: [], passkeyRequested: false, sent: [], keypresses: [], answered: false });

export function wire(centralOptions: Omit<SmpCoreOptions, 'role'>, peripheralOptions: Omit<SmpCoreOptions, 'role'>, opts: WireOptions = {}): WireResult {
  const c = side(new SmpCore({ ...centralOptions, role: 'central' }));
  const p = side(new SmpCore({ ...peripheralOptions, role: 'peripheral' }));
  let now = opts.startTime ?? 1_000;
  let index = 0;
  const inbox: { to: SideLog; from: Role; pdu: Uint8Array }[] = [];
  let bothInputPasskey: number | undefined;
  let centralKey: Uint8Array | undefined;
  let peripheralKey: Uint8Array | undefined;

  const handle = (me: SideLog, role: Role, actions: SmpAction[]) => {
    const other = me === c ? p : c;
    for (const a of actions) {
      me.actions.push(a);
      switch (a.type) {
        case 'send': me.sent.push(a.pdu[0]); inbox.push({ to: other, from: role, pdu: a.pdu }); break;
        case 'displayPasskey': me.displayed = a.passkey; break;
        case 'passkeyRequest': me.passkeyRequested = true; break;
        case 'numericComparison': me.compared = a.value; break;
        case 'keypress': me.keypresses.push(a.notification); break;
        case 'startEncryption': centralKey = a.ltk; break;
        case 'encryptionKey': peripheralKey = a.ltk; break;
        case 'complete': me.result = a.result; break;
        case 'failed': me.error = a.error; me.remoteError = a.remote; break;
        default: break;
      }
    }
  };

  handle(c, 'central', c.core.start(now));
  for (let guard = 0; guard < 1000; guard++) {
    now += 1;
    const msg = inbox.shift();
    if (msg) {
      const pdu = opts.tamper ? opts.tamper(msg.from, msg.pdu, index) : msg.pdu;
      index += 1;
      if (pdu) handle(msg.to, msg.to === c ? 'central' : 'peripheral', msg.to.core.receive(pdu, now));
      continue;
    }
    // The air is quiet: play the users and the controller.
    let acted = false;
    for (const [me, role] of [[c, 'central'], [p, 'peripheral']] as const) {
      if (me.passkeyRequested && !me.error) {
        const other = me === c ? p : c;
        let value: number | undefined;
        if (opts.passkeyFor) value = opts.passkeyFor(role, other.displayed);
        else if (other.displayed !== undefined) value = Number(other.displayed);
        else if (other.passkeyRequested || bothInputPasskey !== undefined) value = bothInputPasskey ??= randomInt(0, 1_000_000);
        if (value !== undefined) {
          me.passkeyRequested = false;
          for (const k of opts.keypresses ?? []) handle(me, role, me.core.sendKeypress(k as 0, now));
          handle(me, role, me.core.passkeyEntered(value, now));
          acted = true;
          break;
        }
      }
      if (me.compared !== undefined && !me.error && !me.answered) {
        me.answered = true;
        handle(me, role, me.core.confirmNumericComparison(opts.confirm ? opts.confirm(role) : true, now));
        acted = true;
        break;
      }
    }
    if (acted) continue;
    if (centralKey && peripheralKey) {
      // The controllers: LTK Request answered, keys compared, Encryption Change on both.
      const same = constantTimeEqual(centralKey, peripheralKey);
      c.encryptedWith = same ? centralKey : undefined;
      p.encryptedWith = same ? peripheralKey : undefined;
      centralKey = peripheralKey = undefined;
      handle(p, 'peripheral', p.core.encryptionChanged(same, now));
      handle(c, 'central', c.core.encryptionChanged(same, now));
      continue;
    }
    break;
  }
  return { central: c, peripheral: p, now };
}
