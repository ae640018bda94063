/**
 * The shards of one split on a shared output folder tell each other when they are done with the
 * key, so the ones still working take over the parts of the ones that left. The parts of a split
 * add up to the key's limit (see KeyShare), so a shard that finished leaves its part idle: with
 * six shards the last ones worked on at their own part while the server had room for twice as
 * much. The server's headers show that room too, but only after windows of it, and every shard
 * sees it at once; a shard's own word that it has finished is sure and immediate.
 *
 * Each shard writes one small file when its run ends: `.upscale/<key hash>.split-<n>-<i>.done`,
 * holding a random id. A file counts when it changes during the reader's run, on the reader's
 * clock (what is there at start-up is an earlier run's); never by a time another host wrote. The
 * last shard to finish removes the split's files, and a run removes old ones that never changed.
 * A shard that was killed writes nothing: the others keep its part free, as without the files.
 */
import { randomUUID } from 'node:crypto';
import type { OutputStore } from '../store/output-store.js';
import type { Shard } from './shard.js';

export interface SplitRoll {
  /** The shards (1…n) that said they are done since the last look, other than this one. */
  left(): Promise<readonly number[]>;
  /** At the end of this shard's run: says it is done (and clears up when it was the last). */
  close(): Promise<void>;
}

/**
 * Peers' files read per look: a split of a hundred shards on a network volume would otherwise read
 * 99 files four times a second in each of them. Beyond it, a shard hears of a peer a little later.
 */
const LOOK_AT = 8;

export class FolderSplitRoll implements SplitRoll {
  private readonly id = randomUUID();
  /** Each peer's file as first seen (undefined: none): an earlier run's word, not this one's. */
  private readonly found = new Map<number, string | undefined>();
  private readonly gone = new Set<number>();

  /**
   * @param base the split's files' name without `-<i>.done` (the key's stem in the ledger, keyFileStem)
   * @param peers the other shards with inputs (a shard with none never runs, so never says so)
   */
  private constructor(
    private readonly store: OutputStore,
    private readonly base: string,
    private readonly shard: Shard,
    private readonly peers: readonly number[],
  ) {}

  /** Opens the roll: a first look, so that what is there now is old. */
  static async open(store: OutputStore, base: string, shard: Shard, sizes: readonly number[]) {
    const peers = sizes.flatMap((n, i) => (n > 0 && i + 1 !== shard.index ? [i + 1] : []));
    const roll = new FolderSplitRoll(store, `${base}.split-${shard.count}`, shard, peers);
    for (const peer of peers) roll.found.set(peer, await roll.read(peer));
    return roll;
  }

  private nameOf(index: number): string {
    return `${this.base}-${index}.done`;
  }

  private read(index: number): Promise<string | undefined> {
    return this.store.readText(this.nameOf(index)).catch(() => undefined);
  }

  /** Where the next look starts: a look reads at most LOOK_AT peers' files, in turn. */
  private cursor = 0;

  /** `most`: how many peers' files this look reads (all of them at close). */
  async left(most = LOOK_AT): Promise<readonly number[]> {
    const now: number[] = [];
    const waiting = this.peers.filter((p) => !this.gone.has(p));
    const count = Math.min(most, waiting.length);
    for (let k = 0; k < count; k++) {
      const peer = waiting[(this.cursor + k) % waiting.length]!;
      const text = await this.read(peer);
      if (text !== undefined && text !== this.found.get(peer)) {
        this.gone.add(peer);
        now.push(peer);
      }
    }
    this.cursor = waiting.length > 0 ? (this.cursor + count) % waiting.length : 0;
    return now;
  }

  async close(): Promise<void> {
    if (await this.allGone()) return this.clear();
    // Leftovers of an earlier run that never changed go; a peer's fresh word stays for the others.
    for (const [peer, text] of this.found)
      if (text !== undefined && !this.gone.has(peer) && (await this.read(peer)) === text)
        await this.store.remove(this.nameOf(peer)).catch(() => undefined);
    // A folder that cannot take it only leaves this shard's part idle, as without the roll.
    await this.store.writeText(this.nameOf(this.shard.index), this.id).catch(() => undefined);
    // The last two may finish together, each writing before it saw the other's: whichever looks
    // again after both wrote clears up.
    if (await this.allGone()) await this.clear();
  }

  /** Looks at every peer not yet gone: true when all are. */
  private async allGone(): Promise<boolean> {
    await this.left(this.peers.length);
    return this.gone.size === this.peers.length;
  }

  /** The last shard to finish: nobody reads the split's files any more. */
  private async clear(): Promise<void> {
    for (const index of [...this.peers, this.shard.index])
      await this.store.remove(this.nameOf(index)).catch(() => undefined);
  }
}
