// @pairkit/smp: the LE Security Manager (Core Spec Vol 3 Part H).
export * from './toolbox.js';
export * from './p256.js';
export * from './errors.js';
export * from './pdu.js';
export * from './model.js';
export * from './address.js';
export * from './attempts.js';
export * from './core.js';
export { fromHex, toHex, reverse, concat, constantTimeEqual, isAllZero } from './bytes.js';
export * from './link.js';
export * from './security-manager.js';
export * from './manager.js';
