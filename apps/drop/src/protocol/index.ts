export * from './frames.js';
export * from './messages.js';
export * from './sender.js';
export * from './receiver.js';
export * from './policy.js';
