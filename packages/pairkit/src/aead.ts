import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AeadError } from './errors.js';

// Sealed streams with the per-direction session keys.
//
// Nonce safety does not rest on a random nonce: every stream gets its own key, derived with
// HKDF-SHA256 from the session key and a fresh 32-byte random salt carried in the stream
// header, and inside a stream the nonce is the message's sequence number. A key therefore
// never sees the same nonce twice, and two streams never share a key unless two 256-bit salts
// collide. Each message carries its sequence number (so replays and reordering give precise
// errors) and a "final" flag (so a cut-off stream is detected, as in the STREAM construction).
// Both live in the associated data, so neither can be changed without breaking the tag.

/** AEAD algorithms a stream can use (both native in Node: 32-byte key, 12-byte nonce, 16-byte tag). */
export type AeadAlgorithm = 'chacha20-poly1305' | 'aes-256-gcm';

const ALGORITHM_IDS: Record<AeadAlgorithm, number> = { 'chacha20-poly1305': 1, 'aes-256-gcm': 2 };
const VERSION = 1;
const SALT_LENGTH = 32;
const KEY_LENGTH = 32;
const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
const FLAG_FINAL = 0x01;
const INFO_LABEL = 'pairkit aead stream v1';

/** Bytes of a stream header: version, algorithm id, salt. */
export const STREAM_HEADER_LENGTH = 2 + SALT_LENGTH;
/** Bytes a sealed message adds to its plaintext: flags, sequence number, tag. */
export const SEALED_OVERHEAD = 1 + 4 + TAG_LENGTH;
/** Most messages one stream may carry: the sequence number is 32 bits. */
export const MAX_STREAM_MESSAGES = 2 ** 32;

export interface StreamOptions {
  /**
   * Binds the stream keys to a purpose (an app name, a protocol id). Sealer and opener must
   * use the same context; streams of different contexts can never open each other.
   */
  context?: string;
  /** Lower the message limit (default and maximum {@link MAX_STREAM_MESSAGES}). */
  maxMessages?: number;
}

export interface SealerOptions extends StreamOptions {
  /** Default `chacha20-poly1305`. */
  algorithm?: AeadAlgorithm;
}

export interface MessageOptions {
  /** Associated data: authenticated, not encrypted, not sent. The opener must pass the same bytes. */
  ad?: Uint8Array;
}

export interface SealOptions extends MessageOptions {
  /** Marks the last message of the stream; the opener then knows the stream was not cut off. */
  final?: boolean;
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new AeadError('AEAD_BAD_KEY', `${what} must be ${KEY_LENGTH} bytes`);
  }
}

function checkLimit(maxMessages: number | undefined): number {
  const limit = maxMessages ?? MAX_STREAM_MESSAGES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_STREAM_MESSAGES) {
    throw new RangeError(`maxMessages must be an integer in 1..2^32, got ${maxMessages}`);
  }
  return limit;
}

function streamKey(sessionKey: Uint8Array, salt: Uint8Array, algorithmId: number, context: string): Buffer {
  const info = Buffer.concat([Buffer.from(INFO_LABEL), Buffer.from([0, algorithmId, 0]), Buffer.from(context, 'utf8')]);
  return Buffer.from(hkdfSync('sha256', sessionKey, salt, info, KEY_LENGTH));
}

function nonceFor(sequence: number): Buffer {
  const nonce = Buffer.alloc(NONCE_LENGTH);
  nonce.writeUInt32BE(sequence, NONCE_LENGTH - 4);
  return nonce;
}

function associatedData(prefix: Uint8Array, ad: Uint8Array | undefined): Buffer {
  return ad === undefined || ad.length === 0 ? Buffer.from(prefix) : Buffer.concat([prefix, ad]);
}

/**
 * Seals one outgoing stream. Send {@link header} first (once), then each `seal()` result as
 * one message; the transport must keep message boundaries (e.g. length-prefix them).
 */
export class StreamSealer {
  /** Send this to the opener before any message. It is public: version, algorithm and salt. */
  readonly header: Uint8Array;
  readonly algorithm: AeadAlgorithm;
  readonly #key: Buffer;
  readonly #limit: number;
  #next = 0;
  #finished = false;

  constructor(txKey: Uint8Array, options: SealerOptions = {}) {
    checkKey(txKey, 'tx key');
    this.algorithm = options.algorithm ?? 'chacha20-poly1305';
    const id = ALGORITHM_IDS[this.algorithm];
    if (id === undefined) throw new AeadError('AEAD_BAD_HEADER', `unknown algorithm ${String(this.algorithm)}`);
    this.#limit = checkLimit(options.maxMessages);
    const salt = randomBytes(SALT_LENGTH);
    this.header = Buffer.concat([Buffer.from([VERSION, id]), salt]);
    this.#key = streamKey(txKey, salt, id, options.context ?? '');
  }

  /** Messages sealed so far. */
  get sealed(): number {
    return this.#next;
  }

  /** True once a message with `final: true` was sealed. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Encrypts and authenticates one message. Throws `AEAD_LIMIT` at the stream's message limit. */
  seal(plaintext: Uint8Array, options: SealOptions = {}): Uint8Array {
    if (this.#finished) throw new AeadError('AEAD_FINISHED', 'the stream was already finished');
    if (this.#next >= this.#limit) {
      throw new AeadError('AEAD_LIMIT', `stream message limit (${this.#limit}) reached; open a new stream`);
    }
    const sequence = this.#next;
    const prefix = Buffer.alloc(5);
    prefix[0] = options.final === true ? FLAG_FINAL : 0;
    prefix.writeUInt32BE(sequence, 1);
    const cipher = createCipheriv(this.algorithm as 'aes-256-gcm', this.#key, nonceFor(sequence), { authTagLength: TAG_LENGTH });
    cipher.setAAD(associatedData(prefix, options.ad), { plaintextLength: plaintext.length });
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    this.#next = sequence + 1;
    if (options.final === true) this.#finished = true;
    return Buffer.concat([prefix, body, cipher.getAuthTag()]);
  }
}

/**
 * Opens one incoming stream made by a {@link StreamSealer} with the matching key. Messages must
 * be opened in the order they were sealed. A message that fails any check leaves the opener
 * unchanged, so the caller may drop it and go on, or (the safer default) end the stream.
 */
export class StreamOpener {
  readonly algorithm: AeadAlgorithm;
  readonly #key: Buffer;
  readonly #limit: number;
  #next = 0;
  #finished = false;

  constructor(rxKey: Uint8Array, header: Uint8Array, options: StreamOptions = {}) {
    checkKey(rxKey, 'rx key');
    if (!(header instanceof Uint8Array) || header.length !== STREAM_HEADER_LENGTH) {
      throw new AeadError('AEAD_BAD_HEADER', `stream header must be ${STREAM_HEADER_LENGTH} bytes`);
    }
    if (header[0] !== VERSION) throw new AeadError('AEAD_BAD_HEADER', `unsupported stream version ${header[0]}`);
    const algorithm = (Object.keys(ALGORITHM_IDS) as AeadAlgorithm[]).find((a) => ALGORITHM_IDS[a] === header[1]);
    if (algorithm === undefined) throw new AeadError('AEAD_BAD_HEADER', `unknown algorithm id ${header[1]}`);
    this.algorithm = algorithm;
    this.#limit = checkLimit(options.maxMessages);
    this.#key = streamKey(rxKey, header.subarray(2), header[1]!, options.context ?? '');
  }

  /** Messages opened so far. */
  get opened(): number {
    return this.#next;
  }

  /** True once the final message was opened. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Verifies and decrypts the next message. */
  open(message: Uint8Array, options: MessageOptions = {}): Uint8Array {
    if (!(message instanceof Uint8Array) || message.length < SEALED_OVERHEAD) {
      throw new AeadError('AEAD_MALFORMED', `sealed message shorter than ${SEALED_OVERHEAD} bytes`);
    }
    const flags = message[0]!;
    if ((flags & ~FLAG_FINAL) !== 0) throw new AeadError('AEAD_MALFORMED', `unknown flags 0x${flags.toString(16)}`);
    const bytes = Buffer.from(message.buffer, message.byteOffset, message.length);
    const sequence = bytes.readUInt32BE(1);
    if (this.#finished) throw new AeadError('AEAD_FINISHED', 'message after the final one');
    if (sequence < this.#next) throw new AeadError('AEAD_REPLAY', `message ${sequence} was already opened`);
    if (sequence > this.#next) {
      throw new AeadError('AEAD_OUT_OF_ORDER', `expected message ${this.#next}, got ${sequence}`);
    }
    if (sequence >= this.#limit) throw new AeadError('AEAD_LIMIT', `stream message limit (${this.#limit}) exceeded`);
    const prefix = bytes.subarray(0, 5);
    const body = bytes.subarray(5, bytes.length - TAG_LENGTH);
    const tag = bytes.subarray(bytes.length - TAG_LENGTH);
    const decipher = createDecipheriv(this.algorithm as 'aes-256-gcm', this.#key, nonceFor(sequence), { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(tag);
    decipher.setAAD(associatedData(prefix, options.ad), { plaintextLength: body.length });
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw new AeadError('AEAD_AUTH_FAILED', 'message failed authentication', { cause });
    }
    this.#next = sequence + 1;
    if ((flags & FLAG_FINAL) !== 0) this.#finished = true;
    return plaintext;
  }

  /** Call when the transport ended: throws `AEAD_TRUNCATED` unless the final message was opened. */
  end(): void {
    if (!this.#finished) {
      throw new AeadError('AEAD_TRUNCATED', `stream ended after ${this.#next} messages without its final message`);
    }
  }
}

/** The two session keys of one paired device, as stored in the registry. */
export interface SessionKeyPair {
  /** Key for data we send to the peer. */
  tx: Uint8Array;
  /** Key for data the peer sends to us. */
  rx: Uint8Array;
}

/**
 * Seals data for one paired device with its per-direction session keys: `sealer()` starts an
 * outgoing stream with our tx key, `opener(header)` opens the peer's stream with our rx key.
 * The peer's tx key is our rx key, so what one side seals the other opens.
 */
export class SessionCipher {
  readonly #keys: SessionKeyPair;
  readonly #options: SealerOptions;

  constructor(keys: SessionKeyPair, options: SealerOptions = {}) {
    checkKey(keys.tx, 'tx key');
    checkKey(keys.rx, 'rx key');
    this.#keys = { tx: Uint8Array.from(keys.tx), rx: Uint8Array.from(keys.rx) };
    this.#options = { ...options };
  }

  /** A new outgoing stream (fresh salt, so a fresh key). */
  sealer(options: SealerOptions = {}): StreamSealer {
    return new StreamSealer(this.#keys.tx, { ...this.#options, ...options });
  }

  /** Opens a stream whose header the peer sent. */
  opener(header: Uint8Array, options: StreamOptions = {}): StreamOpener {
    return new StreamOpener(this.#keys.rx, header, { ...this.#options, ...options });
  }
}
