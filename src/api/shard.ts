/** `--shard i/n` (or the CI's environment): which slice of the inputs this run takes. */
export { parseShard, type Shard, shardFromEnv } from '../run/shard.js';
