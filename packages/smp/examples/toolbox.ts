// The LE SC crypto toolbox on the Core spec's sample data (Vol 3 Part H, Appendix D.2 and D.5).
// Arguments and results are MSB-first, exactly as the spec prints them.
import { f4, fromHex, g2, numericComparisonValue, toHex } from '@pairkit/smp';

const U = fromHex('20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6'); // PKax
const V = fromHex('55188b3d32f6bb9a900afcfbeed4e72a59cb9ac2f19d7cfb6b4fdd49f47fc5fd'); // PKbx
const X = fromHex('d5cb8454d177733effffb2ec712baeab'); // Na
const Y = fromHex('a6e8e7cc25a75f6e216583f7ff3dc4cf'); // Nb

// f4: the confirm value a device commits to before revealing its nonce.
console.log(`f4 = ${toHex(f4(U, V, X, 0))}`); // spec: f2c916f1 07a9bd1c f1eda1be a974872d

// g2: the number both devices show for Numeric Comparison (its last six decimal digits).
const value = g2(U, V, X, Y);
console.log(`g2 = ${value.toString(16).padStart(8, '0')}, both screens show ${numericComparisonValue(value)}`); // spec: 2f9ed5ba
