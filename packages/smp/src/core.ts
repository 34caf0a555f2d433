// The Security Manager protocol for one LE link, sans-IO: PDUs, user input and encryption
// results go in, actions come out, time is passed in as a number (ms). Both roles, LE Secure
// Connections and legacy pairing, Vol 3 Part H 2.3-2.4 and 3.
import { randomBytes, randomInt } from 'node:crypto';
import { address56 } from './address.js';
import { constantTimeEqual, isAllZero, uint128 } from './bytes.js';
import { PairingFailedReason as R, SmpError, SmpUsageError } from './errors.js';
import type { ModelChoice } from './model.js';
import { negotiate } from './negotiate.js';
import { P256KeyPair, PublicKeyError, validatePeerPublicKey, type PublicKey } from './p256.js';
import {
  AuthReq, decodePdu, encodePdu, ioCapOf, KeyDist, SmpCode as C,
  type KeypressTypeValue, type PairingFeatures, type SmpPdu,
} from './pdu.js';
import { c1, f4, f5, f6, g2, linkKeyFromLtk, numericComparisonValue, s1 } from './toolbox.js';
import { maskKey, type DistributedKeys, type PairingResult, type Role, type SmpAction, type SmpCoreOptions, type SmpState } from './core-types.js';

export * from './core-types.js';

const AUTH_FAILURES: ReadonlySet<number> = new Set([
  R.PASSKEY_ENTRY_FAILED, R.CONFIRM_VALUE_FAILED, R.DHKEY_CHECK_FAILED, R.NUMERIC_COMPARISON_FAILED,
]);
const ZERO16 = new Uint8Array(16);
const ZERO8 = new Uint8Array(8);

const rand16 = () => new Uint8Array(randomBytes(16));

export class SmpCore {
  readonly role: Role;
  readonly #o: Required<Pick<SmpCoreOptions, 'bonding' | 'mitm' | 'mitmRequired' | 'secureConnections' | 'scOnly'
    | 'keypress' | 'ct2' | 'linkKey' | 'maxKeySize' | 'minKeySize' | 'allowDebugKeys' | 'useDebugKey' | 'manualAccept' | 'timeoutMs'>>
    & SmpCoreOptions;
  #state: SmpState = 'idle';
  #deadline: number | undefined;
  #out: SmpAction[] = [];
  /** Peripheral: our Security Request is out and the central has not answered it yet. */
  #securityRequested = false;

  // Per-pairing material; reset by #begin().
  #preq?: Uint8Array;
  #pres?: Uint8Array;
  #req?: PairingFeatures;
  #res?: PairingFeatures;
  #choice?: ModelChoice;
  #keySize = 16;
  #keyPair?: P256KeyPair;
  #peerKey?: PublicKey;
  #dhKey?: Uint8Array;
  #localNonce?: Uint8Array;
  #peerNonce?: Uint8Array;
  #localConfirm?: Uint8Array;
  #peerConfirm?: Uint8Array;
  #passkey?: number;
  #round = 0;
  #tk?: Uint8Array;
  #userConfirmed = false;
  #pendingPeerConfirm?: Uint8Array;
  #pendingCheck?: Uint8Array;
  #macKey?: Uint8Array;
  #ltk?: Uint8Array;
  #stageOneDone = false;
  #expect: number[] = [];
  #initKeys = 0;
  #respKeys = 0;
  #peerKeys: DistributedKeys = {};
  #localKeys: DistributedKeys = {};
  #buffered: Uint8Array[] = [];
  readonly #local56: Uint8Array;
  readonly #peer56: Uint8Array;

  constructor(options: SmpCoreOptions) {
    this.role = options.role;
    const maxKeySize = options.maxKeySize ?? 16;
    const minKeySize = options.minKeySize ?? 7;
    if (!(maxKeySize >= 7 && maxKeySize <= 16 && minKeySize >= 7 && minKeySize <= maxKeySize)) {
      throw new SmpUsageError('INVALID_KEY_SIZE', 'key sizes must satisfy 7 <= minKeySize <= maxKeySize <= 16');
    }
    if (options.scOnly && options.secureConnections === false) throw new SmpUsageError('INVALID_OPTIONS', 'scOnly needs secureConnections');
    for (const k of [options.localKeys?.irk, options.localKeys?.csrk]) {
      if (k && (k.length !== 16 || isAllZero(k))) throw new SmpUsageError('INVALID_KEY', 'distributed IRK/CSRK must be 16 non-zero octets');
    }
    const fp = options.fixedPasskey;
    if (fp !== undefined && !(Number.isInteger(fp) && fp >= 0 && fp <= 999_999)) throw new SmpUsageError('INVALID_PASSKEY', 'a passkey is an integer 0..999999');
    // Parsed once (this also validates them): f5/f6/c1 need them on every pairing.
    this.#local56 = address56(options.localAddress);
    this.#peer56 = address56(options.peerAddress);
    this.#o = {
      bonding: true, mitm: false, mitmRequired: false, secureConnections: true, scOnly: false, keypress: false,
      ct2: true, linkKey: false, allowDebugKeys: false, useDebugKey: false, manualAccept: false, timeoutMs: 30_000,
      // An option given as undefined keeps its default (the required ones are never undefined).
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as SmpCoreOptions),
      maxKeySize, minKeySize,
    };
  }

  get state(): SmpState {
    return this.#state;
  }

  /** When tick() must be called next (the SMP timeout), or undefined when no timer runs. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** The negotiated encryption key size of the current or last pairing. */
  get keySize(): number {
    return this.#keySize;
  }

  get model(): ModelChoice | undefined {
    return this.#choice;
  }

  get pairing(): boolean {
    return !['idle', 'complete', 'failed', 'timedOut'].includes(this.#state);
  }

  /** Peripheral: a Security Request is waiting for the central's answer (pairing or encryption). */
  get securityRequested(): boolean {
    return this.#securityRequested;
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** Central: send a Pairing Request. Peripheral: send a Security Request. */
  start(now: number): SmpAction[] {
    this.#assertUsable();
    if (this.pairing) throw new SmpUsageError('PAIRING_IN_PROGRESS', 'a pairing is already running on this link');
    if (this.role === 'peripheral') {
      // A Security Request is an SMP command: it starts the SMP timer too (3.4), which stops
      // when the central answers with a Pairing Request or by encrypting the link.
      this.#securityRequested = true;
      this.#sendRaw(encodePdu({ code: C.SECURITY_REQUEST, authReq: this.#authReq() }), now);
      return this.#flush();
    }
    const peer = this.#o.peerAddress.address;
    if (this.#o.attempts && !this.#o.attempts.allowed(peer, now)) {
      this.#out.push({ type: 'failed', error: new SmpError(R.REPEATED_ATTEMPTS, 'LOCAL_BACKOFF'), remote: false });
      return this.#flush();
    }
    this.#begin();
    this.#state = 'featureExchange';
    const offer = this.#offeredKeys();
    const want = this.#wantedKeys();
    this.#req = {
      ioCapability: this.#o.ioCapability, oobDataFlag: this.#hasOobFlag(), authReq: this.#authReq(),
      maxEncryptionKeySize: this.#o.maxKeySize,
      initiatorKeyDistribution: this.#o.bonding ? offer : 0,
      responderKeyDistribution: this.#o.bonding ? want : 0,
    };
    this.#preq = encodePdu({ code: C.PAIRING_REQUEST, ...this.#req });
    this.#expect = [C.PAIRING_RESPONSE];
    this.#sendRaw(this.#preq, now);
    return this.#flush();
  }

  /** One SMP PDU from the peer (the payload of L2CAP CID 0x0006). */
  receive(bytes: Uint8Array, now: number): SmpAction[] {
    if (this.#state === 'timedOut') return [];
    let pdu: SmpPdu;
    try {
      pdu = decodePdu(bytes);
    } catch (err) {
      if (err instanceof SmpError) {
        // A malformed Pairing Failed still ends the pairing; answering it would only ping-pong.
        if (bytes[0] === C.PAIRING_FAILED) this.#fail(new SmpError(R.UNSPECIFIED_REASON, 'MALFORMED_PAIRING_FAILED'), now, false, true);
        else this.#fail(err, now);
        return this.#flush();
      }
      throw err;
    }
    try {
      this.#dispatch(pdu, bytes, now);
    } catch (err) {
      if (err instanceof SmpError) this.#fail(err, now);
      else throw err;
    }
    return this.#flush();
  }

  /** Peripheral with manualAccept: answer the pending Pairing Request. */
  acceptPairingRequest(now: number): SmpAction[] {
    if (this.#state !== 'awaitingAccept') throw new SmpUsageError('NO_PAIRING_REQUEST', 'no Pairing Request is waiting');
    return this.#guard(now, () => this.#respond(now));
  }

  /** Refuse a pairing (e.g. the user said no): sends Pairing Failed with the reason. */
  cancel(reason: number, now: number): SmpAction[] {
    if (this.pairing) this.#fail(new SmpError(reason, 'LOCAL_CANCEL'), now);
    else if (this.#securityRequested) this.#answered(); // nothing to tell the central: stop waiting
    return this.#flush();
  }

  /** The passkey the user typed (0..999999). */
  passkeyEntered(passkey: number, now: number): SmpAction[] {
    if (!Number.isInteger(passkey) || passkey < 0 || passkey > 999_999) {
      throw new SmpUsageError('INVALID_PASSKEY', 'a passkey is an integer 0..999999');
    }
    if (!this.#awaitingPasskeyInput()) throw new SmpUsageError('NO_PASSKEY_REQUEST', 'no passkey is being asked for');
    return this.#guard(now, () => this.#setPasskey(passkey, now));
  }

  /** The user's answer to a numeric comparison. */
  confirmNumericComparison(accepted: boolean, now: number): SmpAction[] {
    if (this.#choice?.model !== 'NumericComparison' || !this.pairing || this.#userConfirmed) {
      throw new SmpUsageError('NO_COMPARISON', 'no numeric comparison is waiting');
    }
    return this.#guard(now, () => {
      if (!accepted) throw new SmpError(R.NUMERIC_COMPARISON_FAILED, 'USER_REJECTED');
      this.#userConfirmed = true;
      this.#afterUserConfirm(now);
    });
  }

  /** Send a keypress notification (passkey entry on the typing side, both set the keypress bit). */
  sendKeypress(notification: KeypressTypeValue, now: number): SmpAction[] {
    if (!this.#keypressNegotiated()) throw new SmpUsageError('KEYPRESS_NOT_NEGOTIATED', 'keypress notifications were not agreed');
    this.#send({ code: C.PAIRING_KEYPRESS_NOTIFICATION, notification }, now);
    return this.#flush();
  }

  /** The link's encryption changed (Encryption Change / Key Refresh Complete events). */
  encryptionChanged(encrypted: boolean, now: number): SmpAction[] {
    // Outside a pairing, an encryption attempt (with a bond) is the central's answer to our
    // Security Request (2.4.6), whether it worked or not.
    if (this.#state !== 'encrypting') {
      if (this.#securityRequested) this.#answered();
      return [];
    }
    return this.#guard(now, () => {
      if (!encrypted) {
        this.#fail(new SmpError(R.UNSPECIFIED_REASON, 'ENCRYPTION_FAILED'), now, false);
        return;
      }
      this.#startKeyDistribution(now);
      const held = this.#buffered;
      this.#buffered = [];
      for (const b of held) {
        if (this.#state !== 'keyDistribution') break;
        const pdu = decodePdu(b);
        this.#dispatch(pdu, b, now);
      }
    });
  }

  /** Advance time; fires the SMP timeout. */
  tick(now: number): SmpAction[] {
    if (this.#deadline !== undefined && now >= this.#deadline && (this.pairing || this.#securityRequested)) {
      this.#securityRequested = false;
      this.#state = 'timedOut';
      this.#deadline = undefined;
      this.#wipe();
      this.#out.push({ type: 'timeout' });
    }
    return this.#flush();
  }

  // ---- dispatch ------------------------------------------------------------------------------

  #dispatch(pdu: SmpPdu, raw: Uint8Array, now: number): void {
    if (pdu.code === C.PAIRING_FAILED) {
      // A central may also turn down our Security Request with Pairing Failed.
      if (this.pairing || this.#securityRequested) {
        this.#answered();
        this.#fail(new SmpError(pdu.reason, 'REMOTE'), now, false, true);
      }
      return;
    }
    if (pdu.code === C.SECURITY_REQUEST) {
      if (this.role === 'peripheral') throw new SmpError(R.COMMAND_NOT_SUPPORTED, 'SECURITY_REQUEST_TO_PERIPHERAL');
      // A central ignores a Security Request while it is pairing (3.6.7).
      if (!this.pairing) this.#out.push({ type: 'securityRequest', authReq: pdu.authReq });
      return;
    }
    if (pdu.code === C.PAIRING_REQUEST) {
      if (this.role === 'central') throw new SmpError(R.COMMAND_NOT_SUPPORTED, 'PAIRING_REQUEST_TO_CENTRAL');
      if (this.pairing) throw new SmpError(R.UNSPECIFIED_REASON, 'UNEXPECTED_PAIRING_REQUEST');
      this.#onPairingRequest(pdu, raw, now);
      return;
    }
    if (pdu.code === C.PAIRING_KEYPRESS_NOTIFICATION && this.#keypressNegotiated() && (this.#state === 'authentication' || this.#state === 'publicKeyExchange')) {
      this.#out.push({ type: 'keypress', notification: pdu.notification });
      return;
    }
    if (this.#state === 'encrypting' && pdu.code >= C.ENCRYPTION_INFORMATION && pdu.code <= C.SIGNING_INFORMATION) {
      // Key distribution may overtake our own Encryption Change event: keep it for a moment.
      if (this.#buffered.length >= 5) throw new SmpError(R.UNSPECIFIED_REASON, 'TOO_MANY_EARLY_KEYS');
      this.#buffered.push(Uint8Array.from(raw));
      return;
    }
    if (!this.pairing) {
      // Outside a pairing: late PDUs after a failure are dropped; otherwise tell the peer, but
      // nothing of ours (a finished pairing, an idle link) changes.
      if (this.#state !== 'failed') this.#sendRaw(encodePdu({ code: C.PAIRING_FAILED, reason: R.UNSPECIFIED_REASON }), now, false);
      return;
    }
    if (!this.#expect.includes(pdu.code)) {
      throw new SmpError(R.UNSPECIFIED_REASON, `UNEXPECTED_PDU_0x${pdu.code.toString(16).padStart(2, '0')}`);
    }
    switch (pdu.code) {
      case C.PAIRING_RESPONSE: return this.#onPairingResponse(pdu, raw, now);
      case C.PAIRING_PUBLIC_KEY: return this.#onPublicKey(pdu, now);
      case C.PAIRING_CONFIRM: return this.#onConfirm(pdu.confirm, now);
      case C.PAIRING_RANDOM: return this.#onRandom(pdu.random, now);
      case C.PAIRING_DHKEY_CHECK: return this.#onDhKeyCheck(pdu.check, now);
      default: return this.#onKey(pdu, now);
    }
  }

  // ---- feature exchange ------------------------------------------------------------------------

  #onPairingRequest(pdu: PairingFeatures & { code: 0x01 }, raw: Uint8Array, now: number): void {
    if (this.#securityRequested) this.#answered(); // the pairing's own timer takes over
    const peer = this.#o.peerAddress.address;
    if (this.#o.attempts && !this.#o.attempts.allowed(peer, now)) {
      // Refused without touching any state; this failure is not counted again.
      this.#sendRaw(encodePdu({ code: C.PAIRING_FAILED, reason: R.REPEATED_ATTEMPTS }), now, false);
      this.#out.push({ type: 'failed', error: new SmpError(R.REPEATED_ATTEMPTS, 'BACKOFF'), remote: false });
      return;
    }
    this.#begin();
    this.#preq = Uint8Array.from(raw);
    const { code: _code, ...req } = pdu;
    this.#req = req;
    this.#deadline = now + this.#o.timeoutMs;
    if (this.#o.manualAccept) {
      this.#state = 'awaitingAccept';
      this.#out.push({ type: 'pairingRequest', features: req, awaitingAccept: true });
      return;
    }
    this.#out.push({ type: 'pairingRequest', features: req, awaitingAccept: false });
    this.#respond(now);
  }

  #respond(now: number): void {
    const req = this.#req!;
    const bonding = this.#o.bonding && (req.authReq & AuthReq.BONDING) !== 0;
    this.#res = {
      ioCapability: this.#o.ioCapability, oobDataFlag: this.#hasOobFlag(), authReq: this.#authReq(),
      maxEncryptionKeySize: this.#o.maxKeySize,
      initiatorKeyDistribution: bonding ? req.initiatorKeyDistribution & this.#wantedKeys() : 0,
      responderKeyDistribution: bonding ? req.responderKeyDistribution & this.#offeredKeys() : 0,
    };
    this.#checkFeatures();
    this.#pres = encodePdu({ code: C.PAIRING_RESPONSE, ...this.#res });
    this.#sendRaw(this.#pres, now);
    this.#enterAuthentication(now);
  }

  #onPairingResponse(pdu: PairingFeatures & { code: 0x02 }, raw: Uint8Array, now: number): void {
    const { code: _code, ...res } = pdu;
    const req = this.#req!;
    if ((res.initiatorKeyDistribution & ~req.initiatorKeyDistribution) !== 0 || (res.responderKeyDistribution & ~req.responderKeyDistribution) !== 0) {
      throw new SmpError(R.INVALID_PARAMETERS, 'KEY_DISTRIBUTION_NOT_REQUESTED');
    }
    this.#res = res;
    this.#pres = Uint8Array.from(raw);
    this.#checkFeatures();
    this.#enterAuthentication(now);
  }

  /** Both sides: key size, SC-only, MITM-required; picks the model. */
  #checkFeatures(): void {
    const n = negotiate(this.#req!, this.#res!, this.role, this.#o);
    this.#keySize = n.keySize;
    this.#choice = n.choice;
    this.#initKeys = n.initKeys;
    this.#respKeys = n.respKeys;
  }

  #enterAuthentication(now: number): void {
    const choice = this.#choice!;
    this.#out.push({ type: 'pairingStarted', choice });
    if (choice.secureConnections) {
      this.#keyPair = this.#o.oob?.local?.keyPair ?? (this.#o.useDebugKey ? P256KeyPair.debug() : P256KeyPair.generate());
      this.#state = 'publicKeyExchange';
      this.#expect = [C.PAIRING_PUBLIC_KEY];
      if (this.role === 'central') this.#send({ code: C.PAIRING_PUBLIC_KEY, x: this.#keyPair.x, y: this.#keyPair.y }, now);
      return;
    }
    // Legacy: the TK comes from the model.
    this.#state = 'authentication';
    // The central speaks first (Mconfirm); the peripheral waits for it.
    this.#expect = this.role === 'peripheral' ? [C.PAIRING_CONFIRM] : [];
    if (choice.model === 'JustWorks') this.#tk = new Uint8Array(16);
    else if (choice.model === 'OOB') this.#tk = Uint8Array.from(this.#o.oob!.legacyTk!);
    else this.#askPasskey();
    if (this.#tk && this.role === 'central') this.#legacySendConfirm(now);
  }

  // ---- passkey ---------------------------------------------------------------------------------

  #displays(): boolean {
    const roles = this.#choice?.passkey;
    return (roles === 'initiatorDisplays' && this.role === 'central') || (roles === 'responderDisplays' && this.role === 'peripheral');
  }

  #askPasskey(): void {
    if (this.#displays()) {
      this.#passkey = this.#o.fixedPasskey ?? randomInt(0, 1_000_000);
      this.#out.push({ type: 'displayPasskey', passkey: String(this.#passkey).padStart(6, '0') });
      this.#passkeyKnown();
    } else {
      this.#out.push({ type: 'passkeyRequest' });
    }
  }

  #awaitingPasskeyInput(): boolean {
    return this.pairing && this.#choice?.model === 'PasskeyEntry' && !this.#displays() && this.#passkey === undefined;
  }

  #setPasskey(passkey: number, now: number): void {
    this.#passkey = passkey;
    this.#passkeyKnown();
    this.#afterPasskey(now);
  }

  #passkeyKnown(): void {
    if (!this.#choice!.secureConnections) this.#tk = uint128(this.#passkey!);
  }

  /** Continue whatever waited for the passkey. */
  #afterPasskey(now: number): void {
    const sc = this.#choice!.secureConnections;
    if (!sc) {
      if (this.role === 'central') this.#legacySendConfirm(now);
      else if (this.#pendingPeerConfirm) this.#legacyOnConfirm(now);
      return;
    }
    // SC passkey: rounds begin once the public keys are exchanged.
    if (!this.#dhKey) return;
    if (this.role === 'central') this.#passkeySendConfirm(now);
    else if (this.#pendingPeerConfirm) this.#passkeyResponderConfirm(now);
  }

  #keypressNegotiated(): boolean {
    return this.#choice?.model === 'PasskeyEntry' && ((this.#req?.authReq ?? 0) & (this.#res?.authReq ?? 0) & AuthReq.KEYPRESS) !== 0;
  }

  // ---- LE Secure Connections ---------------------------------------------------------------------

  #onPublicKey(pdu: { x: Uint8Array; y: Uint8Array }, now: number): void {
    const own = this.#keyPair!;
    try {
      validatePeerPublicKey(pdu, own, this.#o.allowDebugKeys);
      this.#dhKey = own.dhKey(pdu);
    } catch (err) {
      if (err instanceof PublicKeyError) throw new SmpError(R.DHKEY_CHECK_FAILED, err.code);
      throw err;
    }
    this.#peerKey = { x: pdu.x, y: pdu.y };
    if (this.role === 'peripheral') this.#send({ code: C.PAIRING_PUBLIC_KEY, x: own.x, y: own.y }, now);
    this.#state = 'authentication';
    const model = this.#choice!.model;
    if (model === 'JustWorks' || model === 'NumericComparison') {
      this.#localNonce = rand16();
      if (this.role === 'peripheral') {
        this.#send({ code: C.PAIRING_CONFIRM, confirm: f4(own.x, this.#peerKey.x, this.#localNonce, 0) }, now);
        this.#expect = [C.PAIRING_RANDOM];
      } else {
        this.#expect = [C.PAIRING_CONFIRM];
      }
    } else if (model === 'PasskeyEntry') {
      this.#round = 0;
      this.#expect = this.role === 'peripheral' ? [C.PAIRING_CONFIRM] : [];
      // The passkey may already be known (typed early); otherwise show or ask for it now.
      if (this.#passkey === undefined) this.#askPasskey();
      if (this.#passkey !== undefined && this.role === 'central') this.#passkeySendConfirm(now);
    } else {
      this.#checkPeerOob();
      this.#localNonce = rand16();
      this.#expect = [C.PAIRING_RANDOM];
      if (this.role === 'central') this.#send({ code: C.PAIRING_RANDOM, random: this.#localNonce }, now);
    }
  }

  /** SC OOB: the peer's C must be f4(PKpeer, PKpeer, rpeer, 0) with the key it just sent. */
  #checkPeerOob(): void {
    const peer = this.#o.oob?.peer;
    if (!peer) return;
    const expected = f4(this.#peerKey!.x, this.#peerKey!.x, peer.r, 0);
    if (!constantTimeEqual(expected, peer.c)) throw new SmpError(R.CONFIRM_VALUE_FAILED, 'OOB_CONFIRM_MISMATCH');
  }

  #passkeyBit(): number {
    return 0x80 | ((this.#passkey! >>> this.#round) & 1);
  }

  #passkeySendConfirm(now: number): void {
    this.#localNonce = rand16();
    this.#localConfirm = f4(this.#keyPair!.x, this.#peerKey!.x, this.#localNonce, this.#passkeyBit());
    this.#send({ code: C.PAIRING_CONFIRM, confirm: this.#localConfirm }, now);
    this.#expect = [C.PAIRING_CONFIRM];
  }

  #passkeyResponderConfirm(now: number): void {
    this.#peerConfirm = this.#pendingPeerConfirm;
    this.#pendingPeerConfirm = undefined;
    this.#localNonce = rand16();
    this.#send({ code: C.PAIRING_CONFIRM, confirm: f4(this.#keyPair!.x, this.#peerKey!.x, this.#localNonce, this.#passkeyBit()) }, now);
    this.#expect = [C.PAIRING_RANDOM];
  }

  #onConfirm(confirm: Uint8Array, now: number): void {
    const { secureConnections, model } = this.#choice!;
    const passkeySc = secureConnections && model === 'PasskeyEntry';
    // Legacy / SC passkey peripheral: hold Mconfirm until our own value can be made (TK / passkey known).
    if (this.role === 'peripheral' && (!secureConnections || passkeySc)) {
      this.#pendingPeerConfirm = confirm;
      this.#expect = [];
      if (!secureConnections) {
        if (this.#tk) this.#legacyOnConfirm(now);
      } else if (this.#passkey !== undefined) this.#passkeyResponderConfirm(now);
      return;
    }
    // Central, any method (in JW / NC only the central receives a Confirm, Cb): answer with our nonce.
    if (passkeySc && !this.#localConfirm) throw new SmpError(R.UNSPECIFIED_REASON, 'CONFIRM_BEFORE_OURS');
    this.#peerConfirm = confirm;
    this.#send({ code: C.PAIRING_RANDOM, random: this.#localNonce! }, now);
    this.#expect = [C.PAIRING_RANDOM];
  }

  #onRandom(random: Uint8Array, now: number): void {
    const choice = this.#choice!;
    this.#peerNonce = random;
    if (!choice.secureConnections) return this.#legacyOnRandom(now);
    const own = this.#keyPair!.x;
    const peer = this.#peerKey!.x;
    if (choice.model === 'PasskeyEntry') {
      // Peer's Ci = f4(PKpeer, PKours, Ni, ri).
      if (!constantTimeEqual(f4(peer, own, random, this.#passkeyBit()), this.#peerConfirm!)) {
        throw new SmpError(R.CONFIRM_VALUE_FAILED, `PASSKEY_ROUND_${this.#round}`);
      }
      if (this.role === 'peripheral') this.#send({ code: C.PAIRING_RANDOM, random: this.#localNonce! }, now);
      this.#round += 1;
      this.#localConfirm = undefined;
      if (this.#round < 20) {
        if (this.role === 'central') this.#passkeySendConfirm(now);
        else this.#expect = [C.PAIRING_CONFIRM];
        return;
      }
      this.#stageOneComplete(now);
      return;
    }
    if (this.role === 'peripheral') {
      this.#send({ code: C.PAIRING_RANDOM, random: this.#localNonce! }, now);
    } else if (choice.model !== 'OOB') {
      if (!constantTimeEqual(f4(peer, own, random, 0), this.#peerConfirm!)) throw new SmpError(R.CONFIRM_VALUE_FAILED, 'CB_MISMATCH');
    }
    this.#stageOneComplete(now);
  }

  #stageOneComplete(now: number): void {
    this.#stageOneDone = true;
    this.#state = 'dhkeyCheck';
    this.#expect = [C.PAIRING_DHKEY_CHECK];
    if (this.#choice!.model === 'NumericComparison') {
      const [na, nb] = this.#nonces();
      const [pka, pkb] = this.role === 'central' ? [this.#keyPair!.x, this.#peerKey!.x] : [this.#peerKey!.x, this.#keyPair!.x];
      this.#out.push({ type: 'numericComparison', value: numericComparisonValue(g2(pka, pkb, na, nb)) });
      return;
    }
    this.#userConfirmed = true;
    if (this.role === 'central') this.#sendCheck(now);
  }

  #afterUserConfirm(now: number): void {
    if (!this.#stageOneDone) return;
    if (this.role === 'central') this.#sendCheck(now);
    else if (this.#pendingCheck) this.#verifyInitiatorCheck(this.#pendingCheck, now);
  }

  /** [Na, Nb]: initiator's and responder's nonces. */
  #nonces(): [Uint8Array, Uint8Array] {
    return this.role === 'central' ? [this.#localNonce!, this.#peerNonce!] : [this.#peerNonce!, this.#localNonce!];
  }

  /** [ra, rb] as this side knows them for f6 (2.3.5.6.5). */
  #checkRandoms(): [Uint8Array, Uint8Array] {
    const model = this.#choice!.model;
    if (model === 'PasskeyEntry') {
      const r = uint128(this.#passkey!);
      return [r, r];
    }
    if (model !== 'OOB') return [ZERO16, ZERO16];
    // Our own r counts only if the peer said it holds our data; the peer's only if we hold it.
    const peerHasOurs = this.role === 'central' ? this.#res!.oobDataFlag : this.#req!.oobDataFlag;
    const local = peerHasOurs && this.#o.oob?.local ? this.#o.oob.local.r : ZERO16;
    const peer = this.#o.oob?.peer?.r ?? ZERO16;
    return this.role === 'central' ? [local, peer] : [peer, local];
  }

  #deriveKeys(): void {
    const [na, nb] = this.#nonces();
    const [a, b] = this.#addresses56();
    const { macKey, ltk } = f5(this.#dhKey!, na, nb, a, b);
    this.#macKey = macKey;
    this.#ltk = maskKey(ltk, this.#keySize);
  }

  /** [A, B]: initiator and responder addresses as 56-bit values. */
  #addresses56(): [Uint8Array, Uint8Array] {
    return this.role === 'central' ? [this.#local56, this.#peer56] : [this.#peer56, this.#local56];
  }

  #ea(): Uint8Array {
    const [na, nb] = this.#nonces();
    const [, rb] = this.#checkRandoms();
    const [a, b] = this.#addresses56();
    return f6(this.#macKey!, na, nb, rb, ioCapOf(this.#req!), a, b);
  }

  #eb(): Uint8Array {
    const [na, nb] = this.#nonces();
    const [ra] = this.#checkRandoms();
    const [a, b] = this.#addresses56();
    return f6(this.#macKey!, nb, na, ra, ioCapOf(this.#res!), b, a);
  }

  #sendCheck(now: number): void {
    this.#deriveKeys();
    this.#send({ code: C.PAIRING_DHKEY_CHECK, check: this.#ea() }, now);
    this.#expect = [C.PAIRING_DHKEY_CHECK];
  }

  #onDhKeyCheck(check: Uint8Array, now: number): void {
    if (this.role === 'central') {
      if (!constantTimeEqual(check, this.#eb())) throw new SmpError(R.DHKEY_CHECK_FAILED, 'EB_MISMATCH');
      this.#state = 'encrypting';
      this.#expect = [];
      this.#out.push({ type: 'startEncryption', ltk: this.#ltk!, ediv: 0, rand: ZERO8 });
      return;
    }
    if (!this.#userConfirmed) {
      this.#pendingCheck = check;
      this.#expect = [];
      return;
    }
    this.#verifyInitiatorCheck(check, now);
  }

  #verifyInitiatorCheck(check: Uint8Array, now: number): void {
    this.#pendingCheck = undefined;
    this.#deriveKeys();
    if (!constantTimeEqual(check, this.#ea())) throw new SmpError(R.DHKEY_CHECK_FAILED, 'EA_MISMATCH');
    this.#send({ code: C.PAIRING_DHKEY_CHECK, check: this.#eb() }, now);
    this.#state = 'encrypting';
    this.#expect = [];
    this.#out.push({ type: 'encryptionKey', ltk: this.#ltk! });
  }

  // ---- legacy pairing ----------------------------------------------------------------------------

  #c1(rand: Uint8Array): Uint8Array {
    // The 56-bit forms carry the type in octet 0 and the 48-bit address after it.
    const [ia, ra] = this.#addresses56();
    return c1(this.#tk!, rand, Uint8Array.from(this.#preq!).reverse(), Uint8Array.from(this.#pres!).reverse(),
      ia[0], ra[0], ia.subarray(1), ra.subarray(1));
  }

  #legacySendConfirm(now: number): void {
    this.#localNonce = rand16();
    this.#send({ code: C.PAIRING_CONFIRM, confirm: this.#c1(this.#localNonce) }, now);
    this.#expect = [C.PAIRING_CONFIRM];
  }

  /** Peripheral: Mconfirm is in and the TK is known: answer with Sconfirm. */
  #legacyOnConfirm(now: number): void {
    this.#peerConfirm = this.#pendingPeerConfirm;
    this.#pendingPeerConfirm = undefined;
    this.#localNonce = rand16();
    this.#send({ code: C.PAIRING_CONFIRM, confirm: this.#c1(this.#localNonce) }, now);
    this.#expect = [C.PAIRING_RANDOM];
  }

  #legacyOnRandom(now: number): void {
    if (!constantTimeEqual(this.#c1(this.#peerNonce!), this.#peerConfirm!)) throw new SmpError(R.CONFIRM_VALUE_FAILED, 'LEGACY_CONFIRM_MISMATCH');
    const [mrand, srand] = this.role === 'central' ? [this.#localNonce!, this.#peerNonce!] : [this.#peerNonce!, this.#localNonce!];
    this.#ltk = maskKey(s1(this.#tk!, srand, mrand), this.#keySize);
    this.#state = 'encrypting';
    this.#expect = [];
    if (this.role === 'peripheral') {
      this.#send({ code: C.PAIRING_RANDOM, random: this.#localNonce! }, now);
      this.#out.push({ type: 'encryptionKey', ltk: this.#ltk });
    } else {
      this.#out.push({ type: 'startEncryption', ltk: this.#ltk, ediv: 0, rand: ZERO8 });
    }
  }

  // ---- key distribution (3.6) ----------------------------------------------------------------------

  #startKeyDistribution(now: number): void {
    this.#state = 'keyDistribution';
    if (this.role === 'peripheral') {
      this.#distribute(this.#respKeys, now);
      this.#expect = this.#expectedKeyCodes(this.#initKeys);
    } else {
      this.#expect = this.#expectedKeyCodes(this.#respKeys);
    }
    this.#maybeComplete(now);
  }

  #expectedKeyCodes(keys: number): number[] {
    const out: number[] = [];
    if (keys & KeyDist.ENC_KEY) out.push(C.ENCRYPTION_INFORMATION, C.CENTRAL_IDENTIFICATION);
    if (keys & KeyDist.ID_KEY) out.push(C.IDENTITY_INFORMATION, C.IDENTITY_ADDRESS_INFORMATION);
    if (keys & KeyDist.SIGN_KEY) out.push(C.SIGNING_INFORMATION);
    return out;
  }

  #distribute(keys: number, now: number): void {
    const lk = this.#o.localKeys ?? {};
    if (keys & KeyDist.ENC_KEY) {
      // Legacy only (SC masks the bit): a fresh LTK of the negotiated size, with EDIV/Rand to find it again.
      const ltk = maskKey(rand16(), this.#keySize);
      const ediv = randomInt(0, 0x10000);
      const rand = new Uint8Array(randomBytes(8));
      this.#localKeys.ltk = ltk;
      this.#localKeys.ediv = ediv;
      this.#localKeys.rand = rand;
      this.#send({ code: C.ENCRYPTION_INFORMATION, ltk }, now);
      this.#send({ code: C.CENTRAL_IDENTIFICATION, ediv, rand }, now);
    }
    if (keys & KeyDist.ID_KEY) {
      const irk = lk.irk!;
      const id = lk.identityAddress ?? this.#o.localAddress;
      this.#localKeys.irk = irk;
      this.#localKeys.identityAddress = id;
      this.#send({ code: C.IDENTITY_INFORMATION, irk }, now);
      this.#send({ code: C.IDENTITY_ADDRESS_INFORMATION, addressType: id.type, address: id.address }, now);
    }
    if (keys & KeyDist.SIGN_KEY) {
      this.#localKeys.csrk = lk.csrk!;
      this.#send({ code: C.SIGNING_INFORMATION, csrk: lk.csrk! }, now);
    }
  }

  #onKey(pdu: SmpPdu, now: number): void {
    if (pdu.code !== this.#expect[0]) throw new SmpError(R.UNSPECIFIED_REASON, 'KEY_OUT_OF_ORDER');
    this.#expect.shift();
    const k = this.#peerKeys;
    switch (pdu.code) {
      case C.ENCRYPTION_INFORMATION: k.ltk = pdu.ltk; break;
      case C.CENTRAL_IDENTIFICATION: k.ediv = pdu.ediv; k.rand = pdu.rand; break;
      // An all-zero IRK means "no IRK" (some stacks send one): never store it.
      case C.IDENTITY_INFORMATION: if (!isAllZero(pdu.irk)) k.irk = pdu.irk; break;
      case C.IDENTITY_ADDRESS_INFORMATION:
        // An identity address is public or static random (top bits 11), never a private one.
        if (pdu.addressType === 'random' && (parseInt(pdu.address.slice(0, 2), 16) >> 6) !== 3) {
          throw new SmpError(R.INVALID_PARAMETERS, 'IDENTITY_ADDRESS_NOT_STATIC');
        }
        k.identityAddress = { type: pdu.addressType, address: pdu.address };
        break;
      case C.SIGNING_INFORMATION: if (!isAllZero(pdu.csrk)) k.csrk = pdu.csrk; break;
    }
    this.#maybeComplete(now);
  }

  #maybeComplete(now: number): void {
    if (this.#expect.length > 0) return;
    // The central sends its keys once it has all of the peripheral's (3.6.1 order).
    if (this.role === 'central') this.#distribute(this.#initKeys, now);
    const choice = this.#choice!;
    const bothLink = (this.#initKeys & this.#respKeys & KeyDist.LINK_KEY) !== 0 && choice.secureConnections;
    const ct2 = ((this.#req!.authReq & this.#res!.authReq) & AuthReq.CT2) !== 0;
    const bonded = ((this.#req!.authReq & this.#res!.authReq) & 0x03) === AuthReq.BONDING;
    const authenticated = choice.authenticated;
    const result: PairingResult = {
      secureConnections: choice.secureConnections,
      authenticated,
      model: choice.model,
      passkeyRoles: choice.passkey,
      keySize: this.#keySize,
      bonded,
      ltk: this.#ltk!,
      peerKeys: this.#peerKeys,
      localKeys: this.#localKeys,
      linkKey: bothLink ? linkKeyFromLtk(this.#ltk!, ct2) : undefined,
      securityLevel: authenticated ? (choice.secureConnections && this.#keySize === 16 ? 4 : 3) : 2,
    };
    this.#state = 'complete';
    this.#deadline = undefined;
    this.#o.attempts?.recordSuccess(this.#o.peerAddress.address);
    this.#wipe();
    this.#out.push({ type: 'complete', result });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  #authReq(): number {
    let a = 0;
    if (this.#o.bonding) a |= AuthReq.BONDING;
    if (this.#o.mitm || this.#o.mitmRequired) a |= AuthReq.MITM;
    if (this.#o.secureConnections) a |= AuthReq.SC;
    if (this.#o.keypress) a |= AuthReq.KEYPRESS;
    if (this.#o.ct2) a |= AuthReq.CT2;
    return a;
  }

  /** SC: we hold the peer's OOB data. Legacy: we hold a TK. */
  #hasOobFlag(): boolean {
    const oob = this.#o.oob;
    if (!oob) return false;
    if (this.#o.secureConnections) return oob.peer !== undefined || (oob.legacyTk !== undefined && !this.#o.scOnly);
    return oob.legacyTk !== undefined;
  }

  /** What we can give: LTK (legacy), IRK + identity address, CSRK, LinkKey (CTKD). */
  #offeredKeys(): number {
    let k = KeyDist.ENC_KEY;
    if (this.#o.localKeys?.irk) k |= KeyDist.ID_KEY;
    if (this.#o.localKeys?.csrk) k |= KeyDist.SIGN_KEY;
    if (this.#o.linkKey) k |= KeyDist.LINK_KEY;
    return k;
  }

  #wantedKeys(): number {
    return KeyDist.ENC_KEY | KeyDist.ID_KEY | KeyDist.SIGN_KEY | (this.#o.linkKey ? KeyDist.LINK_KEY : 0);
  }

  #begin(): void {
    this.#wipe();
    this.#preq = this.#pres = undefined;
    this.#req = this.#res = undefined;
    this.#choice = undefined;
    this.#keySize = 16;
    this.#passkey = undefined;
    this.#round = 0;
    this.#userConfirmed = false;
    this.#stageOneDone = false;
    this.#expect = [];
    this.#initKeys = this.#respKeys = 0;
    this.#peerKeys = {};
    this.#localKeys = {};
    this.#buffered = [];
  }

  /** Drop per-pairing secrets once they are no longer needed. */
  #wipe(): void {
    this.#keyPair = undefined;
    this.#peerKey = undefined;
    this.#dhKey = undefined;
    this.#localNonce = this.#peerNonce = undefined;
    this.#localConfirm = this.#peerConfirm = this.#pendingPeerConfirm = this.#pendingCheck = undefined;
    this.#macKey = undefined;
    this.#tk = undefined;
  }

  #send(pdu: SmpPdu, now: number): void {
    this.#sendRaw(encodePdu(pdu), now);
  }

  /** Queues a PDU; the SMP timer restarts whenever a command is queued (3.4). */
  #sendRaw(pdu: Uint8Array, now: number, restartTimer = true): void {
    this.#out.push({ type: 'send', pdu });
    if (restartTimer) this.#deadline = now + this.#o.timeoutMs;
  }

  #fail(error: SmpError, now: number, send = true, remote = false): void {
    if (send) this.#sendRaw(encodePdu({ code: C.PAIRING_FAILED, reason: error.reason }), now, false);
    const wasPairing = this.pairing;
    this.#state = 'failed';
    this.#deadline = undefined;
    this.#expect = [];
    this.#wipe();
    this.#ltk = undefined;
    this.#peerKeys = {};
    if (wasPairing && AUTH_FAILURES.has(error.reason)) this.#o.attempts?.recordFailure(this.#o.peerAddress.address, now);
    this.#out.push({ type: 'failed', error, remote });
  }

  /** The central answered our Security Request: its timer stops. */
  #answered(): void {
    this.#securityRequested = false;
    if (!this.pairing) this.#deadline = undefined;
  }

  #guard(now: number, fn: () => void): SmpAction[] {
    try {
      fn();
    } catch (err) {
      if (err instanceof SmpError) this.#fail(err, now);
      else throw err;
    }
    return this.#flush();
  }

  #assertUsable(): void {
    if (this.#state === 'timedOut') throw new SmpUsageError('SMP_TIMED_OUT', 'SMP timed out on this link; reconnect to pair again');
  }

  #flush(): SmpAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
