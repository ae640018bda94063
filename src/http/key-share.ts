/**
 * How much of one API key's limit this process may use when other clients use the key too: the
 * shards of a CI split, a second pipeline, a developer's shell. Nothing is shared between the
 * processes but the server's own count: every answer's `Remaining` says how much of the window
 * all clients of the key used, and what this process did not send itself, others did.
 *
 * The share is the whole limit for a process alone, or its part of the split when the run knows
 * it is one shard (its inputs of the whole list). It goes down at once to what the others leave
 * (less a reserve of a tenth of the limit), never below the split's part, and after a 429 to
 * 70 %; it goes up, at most once a window, while the server showed room all window long, so
 * shards that finish early hand their part to the others without a 429 storm. Pure: no timers,
 * no I/O; the budget asks it and does the pacing (a split's first window at once, then evenly).
 * A shared store (a file on a common volume, Redis) could stand in for the headers here; the
 * headers need none.
 */

/** A peer's use seen below this many requests per window is noise (a window's edge, a late answer). */
const PEER_NOISE = 2;

export interface ShareInput {
  /** The key's limit per window (assumed, learned or the user's). */
  readonly limit: number;
  readonly windowMs: number;
}

/** A split of one batch across processes on the key: each shard's input count, and this run's (0-based). */
export interface Split {
  readonly sizes: readonly number[];
  readonly index: number;
}

/** Above this many requests per window a part's rounding costs nothing worth a count. */
const MAX_SEATS = 10_000;

/**
 * The key's `limit` requests per window dealt out as whole requests to the shards of a split, so
 * that they add up to the limit and the shard with the most inputs per request finishes no later
 * than it must: each shard with inputs gets one, and each next one goes to the shard with the
 * most inputs per request so far (Adams' method: it minimises the largest inputs / requests).
 * A shard's part rounded down alone loses up to one request per window per shard (6 shards of
 * 20/3 s: 17 of the 20), and the smallest shard most, so it finished last. Undefined when the
 * limit is below the number of shards (then they take fractional parts, see the budget).
 */
export function seatsOf(sizes: readonly number[], limit: number): number[] | undefined {
  const seats: number[] = sizes.map((s) => (s > 0 ? 1 : 0));
  let left = Math.floor(limit) - seats.reduce((a, b) => a + b, 0);
  if (left < 0 || limit > MAX_SEATS) return undefined;
  for (; left > 0; left--) {
    let most = -1;
    for (let i = 0; i < sizes.length; i++)
      if (seats[i]! > 0 && (most < 0 || sizes[i]! / seats[i]! > sizes[most]! / seats[most]!)) most = i;
    if (most < 0) break;
    seats[most]!++;
  }
  return seats;
}

export class KeyShare {
  /** The part this run was given by its split (its inputs of all the split's); undefined when alone. */
  private given: number | undefined;
  /** The split itself, to deal out whole requests (see seatsOf). */
  private split: Split | undefined;
  /** When the part was given (the run's start). */
  private givenAt: number | undefined;
  /** Processes thought to share the key (from the split); 1 when unknown. */
  private peers = 1;
  /**
   * The part of the limit this process may use, 0–1; undefined: all of it. A part rather than a
   * count, so that it holds when the limit is learned after the run started (a third of an
   * assumed 50/min is a third of the server's 20/3 s too).
   */
  private part: number | undefined;
  /** Recent estimates of the other clients' use: requests per window, when seen. */
  private readonly others: { at: number; used: number; remaining: number }[] = [];
  /** What the server had left at the window's start: the last answer before it, which held until the next. */
  private remainingBefore: number | undefined;
  private lastChangeAt = Number.NEGATIVE_INFINITY;

  /**
   * This run is one shard of a split that shares the key: it starts at its part of the limit, in
   * whole requests dealt out by inputs (seatsOf), so the shards' parts add up to the limit and a
   * shard with more inputs gets more of it.
   */
  expectSplit(split: Split, now: number): void {
    const total = split.sizes.reduce((a, b) => a + b, 0);
    const part = total > 0 ? (split.sizes[split.index] ?? 0) / total : 0;
    if (!(part > 0 && part < 1)) return;
    this.given = part;
    this.split = split;
    this.givenAt = now;
    this.peers = Math.max(2, split.sizes.filter((n) => n > 0).length);
    this.part = Math.min(this.part ?? 1, part);
    // The others start about now too: their use shows within a window, so grow no sooner.
    this.lastChangeAt = now;
  }

  /** The split as dealt out now (shards that left have no inputs); undefined when alone. */
  get splitNow(): Split | undefined {
    return this.split;
  }

  /**
   * Another shard of the split (`index`, 0-based) said it is done with the key: the parts are
   * dealt out again among the shards still working, so its part goes to them at once.
   */
  peerLeft(index: number): void {
    if (!this.split || index === this.split.index || !(this.split.sizes[index]! > 0)) return;
    this.split = { ...this.split, sizes: this.split.sizes.map((n, i) => (i === index ? 0 : n)) };
    this.peers = Math.max(2, this.split.sizes.filter((n) => n > 0).length);
  }

  /** When the split's first window ends: until then its part may go at once (see the budget). */
  openingEnds(rate: ShareInput): number {
    return this.givenAt === undefined ? Number.NEGATIVE_INFINITY : this.givenAt + rate.windowMs;
  }

  /** True while this process keeps to a part of the key (others use it, or are expected to). */
  sharing(): boolean {
    return this.part !== undefined;
  }

  /** Requests per window this process may send now; may be fractional (see RequestBudget.pace). */
  current(rate: ShareInput): number {
    if (this.part === undefined) return rate.limit;
    // The split's own part: in whole requests (a bigger shard's 5.33 is 5, a smaller one's 2.67 is 3).
    if (this.part === this.given) return this.floor(rate);
    return Math.max(this.part * rate.limit, this.floor(rate));
  }

  /** The least share: the part the split gave (in whole requests when it can), else one request per window. */
  private floor(rate: ShareInput): number {
    if (this.given === undefined) return 1;
    const seats = this.seats(rate.limit);
    return seats ? seats[this.split!.index]! : this.given * rate.limit;
  }

  /** seatsOf for the split as it is now, dealt out again only when the limit or the split changed (read on every slot). */
  private dealt: { split: Split; limit: number; seats: number[] | undefined } | undefined;

  private seats(limit: number): number[] | undefined {
    if (!this.split) return undefined;
    if (this.dealt?.split !== this.split || this.dealt.limit !== limit)
      this.dealt = { split: this.split, limit, seats: seatsOf(this.split.sizes, limit) };
    return this.dealt.seats;
  }

  /** Requests of the window kept for the others: what they may send before their use shows in our answers. */
  private reserve(rate: ShareInput): number {
    return Math.max(1, Math.round(rate.limit / 10));
  }

  private set(rate: ShareInput, share: number, now: number): void {
    this.part = share >= rate.limit ? undefined : share / rate.limit;
    this.lastChangeAt = now;
  }

  /**
   * An answer said `remaining` of the window are left, after a request of ours sent when `ownInWindow`
   * of our requests (it included) were inside the window.
   */
  observe(rate: ShareInput, remaining: number, ownInWindow: number, now: number): void {
    const used = Math.max(0, rate.limit - remaining - ownInWindow);
    this.others.push({ at: now, used, remaining });
    while (this.others.length > 0 && this.others[0]!.at <= now - rate.windowMs)
      this.remainingBefore = this.others.shift()!.remaining;
    const peerUse = Math.max(...this.others.map((o) => o.used));
    // Room is what stayed free all window long, not at one moment (a window's first answer
    // comes before the others' next requests), from the window's start: a shard that sends a few
    // requests a window may have one answer in it, sent when the window had just slid past the
    // split's opening burst and nobody had spread much of their part yet. Every shard sees that
    // room at once; growing on it met 3-4 x 429 in the 6-shard benchmark.
    const room = Math.min(
      ...this.others.map((o) => o.remaining),
      this.remainingBefore ?? Number.POSITIVE_INFINITY,
    );
    if (peerUse < PEER_NOISE && this.given === undefined) {
      // Alone on the key as far as the server can tell: the whole limit, once a window has shown it.
      if (this.part !== undefined) this.grow(rate, rate.limit, now);
      return;
    }
    const target = rate.limit - peerUse - this.reserve(rate);
    if (target < this.current(rate)) this.set(rate, Math.max(this.floor(rate), target), now);
    else if (room >= 2 * this.reserve(rate)) this.grow(rate, target, now);
  }

  /** A 429 from the rate window: someone sent more than the server allows. Back off to 70 %. */
  throttled(rate: ShareInput, now: number): void {
    this.set(rate, Math.max(this.floor(rate), this.current(rate) * 0.7), now);
  }

  /**
   * Towards `target`, by the room left split among the peers (every one of them may see the same
   * room at once), at most once a window: alone, at least a tenth of the limit; a shard of a split,
   * whose parts already add up to the limit, not in the split's first two windows (the others are
   * still spreading their parts) and never by more than its share of the room (six shards that
   * each took a tenth of the limit on the same answer met 4 x 429).
   */
  private grow(rate: ShareInput, target: number, now: number): void {
    const split = this.given !== undefined;
    if (now - this.lastChangeAt < rate.windowMs) return;
    if (split && now - this.givenAt! < 2 * rate.windowMs) return;
    const room = target - this.current(rate);
    const share = Math.floor(room / Math.max(2, this.peers));
    const step = split ? share : Math.max(this.reserve(rate), share);
    const next = Math.min(target, this.current(rate) + step);
    if (next > this.current(rate)) this.set(rate, next, now);
  }
}
