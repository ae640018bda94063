/**
 * The providers as the CLI lists, checks and configures them: the registry, each one's flags and
 * config keys, what a task id may look like, and the provider's shape (its declared features and
 * the types of its flags, limits and answers).
 */
export type { ProviderId } from '../providers/index.js';
export { flagOf, getProvider, isProviderId, PROVIDER_IDS, providers } from '../providers/index.js';
export { isSafeTaskId } from '../providers/json-shape.js';
export { keyConfigKeys } from '../providers/key-sources.js';
export * from '../providers/types.js';
