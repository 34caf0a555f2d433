// A hand-driven peer that builds frames itself, for attacks the honest state machine never makes.
import { x25519 } from '@noble/curves/ed25519.js';
import {
  PROTOCOL_VERSION,
  confirmMac,
  decodeMessageFrame,
  deriveConfirmKeys,
  encodeDeviceInfo,
  encodeMessageFrame,
  signTranscript,
  transcriptHash,
  type LocalDevice,
  type PairingChallenge,
  type PairingMessage,
  type PairingRequest,
} from '../../src/index.js';

/** Frames a real conversation sent, decoded. */
export function messagesOf(frames: Uint8Array[]): PairingMessage[] {
  return frames.map((f) => decodeMessageFrame(f));
}

export function frame(m: PairingMessage): Uint8Array {
  return encodeMessageFrame(m);
}

/** An attacker who knows the public sessionId but has to guess the auth key. */
export class Impostor {
  readonly ephPrivate = new Uint8Array(32).fill(0x42);
  readonly ephPublic = x25519.getPublicKey(this.ephPrivate);
  readonly nonce = new Uint8Array(32).fill(0x43);
  readonly confirm;
  constructor(readonly device: LocalDevice, readonly sessionId: Uint8Array, guessedAuthKey = new Uint8Array(32).fill(0x99)) {
    this.confirm = deriveConfirmKeys(guessedAuthKey);
  }

  request(): Uint8Array {
    return frame({ type: 'PairingRequest', sessionId: this.sessionId, nonce: this.nonce, ephemeralKey: this.ephPublic });
  }

  /** Impostor joiner: a well-formed, correctly signed response with a guessed MAC. */
  response(challenge: PairingChallenge, initiator: { peerId: string; publicKey: Uint8Array }): Uint8Array {
    const th = transcriptHash({
      version: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      initiatorPeerId: initiator.peerId,
      joinerPeerId: this.device.peerId,
      initiatorPublicKey: initiator.publicKey,
      joinerPublicKey: this.device.publicKey,
      joinerNonce: this.nonce,
      initiatorNonce: challenge.nonce,
      joinerEphemeral: this.ephPublic,
      initiatorEphemeral: challenge.ephemeralKey,
      initiatorInfo: encodeDeviceInfo(challenge.info),
      joinerInfo: encodeDeviceInfo(this.device.info),
    });
    return frame({
      type: 'PairingResponse',
      publicKey: this.device.publicKey,
      info: this.device.info,
      mac: confirmMac(this.confirm.joiner, th),
      signature: signTranscript('joiner', this.device.privateKey, th),
    });
  }

  /** Impostor initiator: answers a real joiner's request. */
  challenge(): Uint8Array {
    return frame({ type: 'PairingChallenge', nonce: this.nonce, ephemeralKey: this.ephPublic, publicKey: this.device.publicKey, info: this.device.info });
  }

  complete(request: PairingRequest, joiner: { peerId: string; publicKey: Uint8Array; info: LocalDevice['info'] }): Uint8Array {
    const th = transcriptHash({
      version: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      initiatorPeerId: this.device.peerId,
      joinerPeerId: joiner.peerId,
      initiatorPublicKey: this.device.publicKey,
      joinerPublicKey: joiner.publicKey,
      joinerNonce: request.nonce,
      initiatorNonce: this.nonce,
      joinerEphemeral: request.ephemeralKey,
      initiatorEphemeral: this.ephPublic,
      initiatorInfo: encodeDeviceInfo(this.device.info),
      joinerInfo: encodeDeviceInfo(joiner.info),
    });
    return frame({ type: 'PairingComplete', mac: confirmMac(this.confirm.initiator, th), signature: signTranscript('initiator', this.device.privateKey, th) });
  }
}
