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

export class KeyShare {
  /** The part this run was given by its split (its inputs of all the split's); undefined when alone. */
  private given: number | undefined;
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
  private lastChangeAt = Number.NEGATIVE_INFINITY;

  /**
   * This run is one of a split that shares the key, with `part` (0–1) of its inputs: it starts at
   * that part of the limit, so the shards' parts add up to the limit and a shard with more inputs
   * gets more of it.
   */
  expectPart(part: number, now: number): void {
    if (!(part > 0 && part < 1)) return;
    this.given = part;
    this.givenAt = now;
    this.peers = Math.max(2, Math.round(1 / part));
    this.part = Math.min(this.part ?? 1, part);
    // The others start about now too: their use shows within a window, so grow no sooner.
    this.lastChangeAt = now;
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
    return this.part === undefined ? rate.limit : Math.max(this.part * rate.limit, this.floor(rate));
  }

  /** The least share: the part the split gave, else one request per window. */
  private floor(rate: ShareInput): number {
    return this.given === undefined ? 1 : this.given * rate.limit;
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
    while (this.others.length > 0 && this.others[0]!.at <= now - rate.windowMs) this.others.shift();
    const peerUse = Math.max(...this.others.map((o) => o.used));
    // Room is what stayed free all window long, not at one moment (a window's first answer
    // comes before the others' next requests).
    const room = Math.min(...this.others.map((o) => o.remaining));
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
   * Towards `target`, at most once a window: by the room left split among the peers (every one of
   * them may see the same room at once), at least a tenth of the limit.
   */
  private grow(rate: ShareInput, target: number, now: number): void {
    if (now - this.lastChangeAt < rate.windowMs) return;
    const room = target - this.current(rate);
    const step = Math.max(this.reserve(rate), Math.floor(room / Math.max(2, this.peers)));
    const next = Math.min(target, this.current(rate) + step);
    if (next > this.current(rate)) this.set(rate, next, now);
  }
}
