// The pairing code: 128 bits shown as 12 English BIP39 words.
import { randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { PairingCodeError } from './errors.js';
import { deriveAuthKey, deriveSessionId } from './keys.js';

export const CODE_WORDS = 12;
export const CODE_ENTROPY_BYTES = 16;

/** Source of random bytes; must be a CSPRNG outside of tests. */
export type RandomSource = (length: number) => Uint8Array;
export const defaultRandom: RandomSource = (n) => new Uint8Array(nodeRandomBytes(n));

const exact = new Set(wordlist);
// BIP39 English words are unique by their first 4 letters.
const byPrefix = new Map<string, string>(wordlist.map((w) => [w.slice(0, 4), w]));

export class PairingCode {
  readonly #entropy: Uint8Array;
  readonly #words: readonly string[];
  #sessionId: Uint8Array | undefined;
  #authKey: Uint8Array | undefined;

  private constructor(entropy: Uint8Array) {
    this.#entropy = Uint8Array.from(entropy);
    this.#words = Object.freeze(entropyToMnemonic(this.#entropy, wordlist).split(' '));
  }

  /** A fresh code from 16 random bytes. */
  static generate(random: RandomSource = defaultRandom): PairingCode {
    const entropy = random(CODE_ENTROPY_BYTES);
    if (!(entropy instanceof Uint8Array) || entropy.length !== CODE_ENTROPY_BYTES) {
      throw new TypeError('random source must return 16 bytes');
    }
    return new PairingCode(entropy);
  }

  static fromEntropy(entropy: Uint8Array): PairingCode {
    if (!(entropy instanceof Uint8Array) || entropy.length !== CODE_ENTROPY_BYTES) {
      throw new TypeError('pairing code entropy must be 16 bytes');
    }
    return new PairingCode(entropy);
  }

  /**
   * Parses what a person typed: any case, words separated by spaces, hyphens, commas,
   * dots, semicolons or underscores, each word whole or as a unique prefix of 4+ letters.
   */
  static parse(input: string): PairingCode {
    if (typeof input !== 'string') throw new TypeError('pairing code must be a string');
    const tokens = input
      .normalize('NFKC')
      .toLowerCase()
      .split(/[\s,;.\-_]+/u)
      .filter((t) => t.length > 0);
    if (tokens.length !== CODE_WORDS) {
      throw new PairingCodeError('WRONG_WORD_COUNT', `a pairing code has ${CODE_WORDS} words, got ${tokens.length}`, {
        count: tokens.length,
      });
    }
    const words = tokens.map((token, i) => {
      const word = resolveWord(token);
      if (word === undefined) {
        // Long pastes are cut short: bounded work and a readable message.
        const shown = token.length > 24 ? `${token.slice(0, 24)}…` : token;
        const suggestion = nearestWord(token.slice(0, 16));
        throw new PairingCodeError(
          'UNKNOWN_WORD',
          `word ${i + 1} "${shown}" is not in the word list; did you mean "${suggestion}"?`,
          { position: i + 1, word: shown, suggestion },
        );
      }
      return word;
    });
    let entropy: Uint8Array;
    try {
      entropy = mnemonicToEntropy(words.join(' '), wordlist);
    } catch {
      throw new PairingCodeError('BAD_CHECKSUM', 'the words do not form a valid pairing code (checksum mismatch); check each word');
    }
    return new PairingCode(entropy);
  }

  get words(): readonly string[] {
    return this.#words;
  }

  /** The 16 secret bytes (a copy). */
  get entropy(): Uint8Array {
    return Uint8Array.from(this.#entropy);
  }

  /** Public rendezvous identifier (32 bytes). */
  get sessionId(): Uint8Array {
    this.#sessionId ??= deriveSessionId(this.#entropy);
    return Uint8Array.from(this.#sessionId);
  }

  /** Secret proof key (32 bytes). */
  get authKey(): Uint8Array {
    this.#authKey ??= deriveAuthKey(this.#entropy);
    return Uint8Array.from(this.#authKey);
  }

  /** Constant-time: the codes are secrets. */
  equals(other: PairingCode): boolean {
    return timingSafeEqual(this.#entropy, other.#entropy);
  }

  /** The 12 words separated by single spaces, for display. */
  toString(): string {
    return this.#words.join(' ');
  }

  // Keep the code out of accidental logs and JSON dumps.
  toJSON(): string {
    return '[PairingCode]';
  }

  [inspect.custom](): string {
    return 'PairingCode(<secret>)';
  }
}

function resolveWord(token: string): string | undefined {
  if (exact.has(token)) return token;
  if (token.length < 4) return undefined;
  const word = byPrefix.get(token.slice(0, 4));
  return word !== undefined && word.startsWith(token) ? word : undefined;
}

/**
 * Nearest word list entry by edit distance (optimal string alignment: insert, delete, substitute,
 * swap two neighbours, each costing 1). Ties go to a word with the same first letter, then list order.
 */
export function nearestWord(token: string): string {
  let best = wordlist[0];
  let bestScore = Infinity;
  for (const w of wordlist) {
    const score = editDistance(token, w) * 2 + (w[0] === token[0] ? 0 : 1);
    if (score < bestScore) {
      bestScore = score;
      best = w;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      let v = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2][j - 2] + 1);
      rows[i].push(v);
    }
  }
  return rows[a.length][b.length];
}
