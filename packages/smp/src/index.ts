// @pairkit/smp: the LE Security Manager (Core Spec Vol 3 Part H).
export * from './toolbox.js';
export * from './p256.js';
export * from './errors.js';
export { fromHex, toHex, reverse, concat, constantTimeEqual, isAllZero } from './bytes.js';
