/**
 * The request budget of one API key on one host: at most `limit` requests in any `windowMs`,
 * shared by every submit, status poll and task list of the process (downloads from result URLs
 * are not counted). A request waits for a free slot; the waiter with the highest priority goes
 * first, so a poll of a task that is almost surely done beats a submit, and a submit beats a
 * premature poll. What the server says (`X-RateLimit-*`, `RateLimit`) narrows the budget: its
 * limit replaces ours, and its `Remaining` caps what we send until its reset.
 *
 * Other processes on the same key (shards of a CI split, other machines) share nothing with this
 * one but the server's count, which every answer carries: what the server counted and we did not
 * send, others did, and this process keeps to what they leave (see KeyShare). A 429 pauses every
 * request of the key here until the server's reset. The first request goes alone: until its
 * answer, nobody knows the limit, and a burst could meet a spent quota many times over.
 */
import { UpscaleError } from '../errors.js';
import { onAbort } from './abort-listeners.js';
import { abortReason, MAX_TIMER_MS } from './delay.js';
import { KeyShare, type Split } from './key-share.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Parses `50/min`, `20/3s`, `1250/day`, `100/60s`; undefined when it is not one. */
export function parseRateLimit(text: string): RateLimit | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d*(?:\.\d+)?)\s*(ms|s|sec|m|min|h|hour|d|day)?\s*$/i.exec(text);
  if (!match) return undefined;
  const limit = Number(match[1]);
  const count = match[2] === '' ? 1 : Number(match[2]);
  const unit = (match[3] ?? 's').toLowerCase();
  const unitMs: Record<string, number> = {
    ms: 1,
    s: 1000,
    sec: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
    hour: 3_600_000,
    d: 86_400_000,
    day: 86_400_000,
  };
  const windowMs = count * (unitMs[unit] ?? 1000);
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) return undefined;
  return { limit, windowMs };
}

export function describeRateLimit(rate: RateLimit): string {
  const s = rate.windowMs / 1000;
  return `${rate.limit}/${s === 60 ? 'min' : `${s}s`}`;
}

interface Waiter {
  readonly priority: () => number;
  readonly order: number;
  /** When it started waiting: it waits at most `maxWaitMs` from here. */
  readonly since: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Slack on each slot: the server counts a request from when it arrives, a little after we send it. */
const ARRIVAL_SLACK_MS = 150;
/** The first request goes alone until its answer; one that hangs this long no longer holds the rest. */
const FIRST_ANSWER_MAX_MS = 30_000;
/** Without a learned window, a reset further away than this is a quota, not a rate window. */
const QUOTA_RESET_MS = 15 * 60_000;

/**
 * A reset this far away is not the end of a rate window but of a quota (a day, a plan): waiting
 * for it would stall the run for hours. Ten windows, at least a minute; 15 min with no window known.
 */
export function farResetMs(windowMs: number | undefined): number {
  return windowMs === undefined ? QUOTA_RESET_MS : Math.max(10 * windowMs, 60_000);
}

export interface BudgetEvents {
  /** The limit changed: learned from the server's headers. */
  onLearn?(rate: RateLimit, source: string): void;
  /** Requests are waiting for the budget until this time (ms since epoch). */
  onWait?(until: number): void;
}

export class RequestBudget {
  private rate: RateLimit;
  /** When each request of ours went (the window's worth, oldest first). */
  private readonly sent: number[] = [];
  private readonly waiters: Waiter[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  /** The server's own count, every client of the key included: requests left until `serverResetAt`. */
  private serverRemaining: number | undefined;
  private serverResetAt = 0;
  private announcedWait = 0;
  /** This process's part of the key when others use it too. */
  private readonly fleet = new KeyShare();
  /** When each of our answered requests went (two windows' worth): see observe(). */
  private readonly answeredSent: number[] = [];
  /** Requests this budget let through. */
  used = 0;

  private readonly listeners: BudgetEvents[] = [];

  constructor(
    private initial: RateLimit,
    events: BudgetEvents = {},
    private readonly now: () => number = Date.now,
    /** The user set this rate: what the server says may only lower it. */
    private explicit = false,
  ) {
    this.rate = initial;
    this.listeners.push(events);
  }

  /** Adds a listener (each connection that shares the budget brings its reporter); returns its removal. */
  listen(events: BudgetEvents): () => void {
    this.listeners.push(events);
    return () => {
      const i = this.listeners.indexOf(events);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * A later connection to the same key and host with other settings (a library caller that
   * changed its rate): the new assumed rate applies, unless the server's own limit was learned
   * and the new one is not the user's.
   */
  reconfigure(initial: RateLimit, explicit: boolean): void {
    const same = initial.limit === this.initial.limit && initial.windowMs === this.initial.windowMs;
    if (same && explicit === this.explicit) return;
    const learned = this.rate !== this.initial;
    this.initial = initial;
    this.explicit = explicit;
    const stricter = initial.limit / initial.windowMs < this.rate.limit / this.rate.windowMs;
    if (!learned || (explicit && stricter)) this.rate = initial;
    this.dispatch();
  }

  /** This run is one shard of a split on the key: it starts at its part of the limit (see KeyShare). */
  expectSplit(split: Split): void {
    this.fleet.expectSplit(split, this.now());
    this.dispatch();
  }

  /** The split this run is a shard of, as the budget deals it out now; undefined when alone. */
  get split(): Split | undefined {
    return this.fleet.splitNow;
  }

  /** Another shard of the split (0-based) is done with the key: its part goes to the others. */
  peerLeft(index: number): void {
    this.fleet.peerLeft(index);
    this.dispatch();
  }

  private readonly events = {
    onLearn: (rate: RateLimit, source: string) => {
      for (const l of this.listeners) l.onLearn?.(rate, source);
    },
    onWait: (until: number) => {
      for (const l of this.listeners) l.onWait?.(until);
    },
  };

  /** The key's limit: the server's, the user's or the assumed one. */
  get limit(): RateLimit {
    return this.rate;
  }

  /**
   * What this process may send: the key's limit, or its share of it while others use the key
   * (then `limit` may be fractional: 2.5 per window is one request every 0.4 windows).
   */
  get pace(): RateLimit {
    const share = this.fleet.current(this.rate);
    return share >= this.rate.limit ? this.rate : { limit: share, windowMs: this.rate.windowMs };
  }

  /** Waits for a slot, then takes it. `priority` is read when slots free up (higher first). */
  acquire(priority: () => number = () => 1, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        order: this.order++,
        since: this.now(),
        resolve: () => {
          off?.();
          resolve();
        },
        reject: (error) => {
          off?.();
          reject(error);
        },
      };
      // Through the signal's one listener: every waiter of a batch waits on the run's signal.
      const off =
        signal &&
        onAbort(signal, () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortReason(signal));
        });
      this.waiters.push(waiter);
      this.dispatch();
    });
  }

  /** The longest reset the server named: without a stated window, the window is at least that long. */
  private longestResetMs = 0;
  /** An answer came: the server has told what it allows (or that it says nothing). */
  private answered = false;
  /** When the request that waits for the first answer went; undefined while none is out. */
  private probeSentAt: number | undefined;
  /** The last nextFreeAt() held requests only for the first answer. */
  private heldByProbe = false;

  /**
   * Learns from an answer's headers; `sentAt` is when its request went. The server's limit
   * replaces the assumed one — unless the user set the rate (`explicit`), which then stays as a
   * ceiling. `X-RateLimit-*` name no window: it is taken from the longest reset seen (a window's
   * first request resets a whole window later). A reset far beyond the window is a quota's, not a
   * window's: it does not hold up the polls and downloads of tasks already paid for.
   */
  observe(info: RateLimitInfo, sentAt?: number): void {
    const now = this.now();
    this.answered = true;
    this.probeSentAt = undefined;
    const known = this.rate !== this.initial || info.windowMs !== undefined;
    if (info.resetMs !== undefined && info.resetMs > farResetMs(known ? this.rate.windowMs : undefined)) {
      this.dispatch();
      return;
    }
    if (info.resetMs !== undefined) this.longestResetMs = Math.max(this.longestResetMs, info.resetMs);
    if (info.limit !== undefined && info.limit > 0) {
      const windowMs =
        info.windowMs ??
        (this.longestResetMs > 0 ? Math.ceil(this.longestResetMs / 1000) * 1000 : this.rate.windowMs);
      const learned = { limit: info.limit, windowMs };
      const stricter = learned.limit / learned.windowMs <= this.initial.limit / this.initial.windowMs;
      const changed = learned.limit !== this.rate.limit || learned.windowMs !== this.rate.windowMs;
      if (changed && (!this.explicit || stricter)) {
        this.rate = learned;
        this.events.onLearn?.(this.rate, 'X-RateLimit headers');
      }
    }
    if (info.remaining !== undefined) {
      this.serverRemaining = info.remaining;
      this.serverResetAt = now + (info.resetMs ?? this.rate.windowMs);
      if (sentAt !== undefined && info.limit !== undefined) {
        // Ours in the server's window when this request arrived: what else it counts, others sent.
        const from = sentAt - this.rate.windowMs;
        this.answeredSent.push(sentAt);
        while (this.answeredSent.length > 0 && this.answeredSent[0]! <= now - 2 * this.rate.windowMs)
          this.answeredSent.shift();
        // Sharing, only ours already answered surely arrived before it: the others' use is then
        // over- rather than underestimated. Alone, every one sent so far, even after it (a big
        // submit sent first may arrive after a quick poll sent later): a lone process must not
        // take its own requests for a peer's and slow down.
        const ours = this.fleet.sharing()
          ? this.answeredSent.filter((t) => t > from && t <= sentAt).length
          : this.sent.filter((t) => t > from).length;
        this.fleet.observe(this.rate, info.remaining, Math.max(1, ours), now);
      }
    }
    this.dispatch();
  }

  /** A request went unanswered (a network failure): the next one goes alone again, as a probe. */
  unanswered(): void {
    this.probeSentAt = undefined;
    this.dispatch();
  }

  /**
   * True when requests compete for slots: someone is waiting, or more than half the window is
   * spent. An idle budget lets polls keep their quick beat.
   */
  busy(): boolean {
    if (this.waiters.length > 0) return true;
    const now = this.now();
    const pace = this.pace;
    const recent = this.sent.filter((t) => t > now - pace.windowMs).length;
    return (
      recent > pace.limit / 2 ||
      (this.serverRemaining !== undefined && this.serverRemaining < this.rate.limit / 4)
    );
  }

  /** The most a request waits for a slot (the run's --timeout): past it, it fails with TIMEOUT. */
  private maxWaitMs = Number.POSITIVE_INFINITY;

  bound(maxWaitMs: number): void {
    this.maxWaitMs = maxWaitMs > 0 ? maxWaitMs : Number.POSITIVE_INFINITY;
    this.dispatch();
  }

  /** Closes the budget for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.dispatch();
  }

  /**
   * A 429 of the rate window (not a quota): every request of the key in this process waits `ms`
   * (the server's reset), and this process takes a smaller part of the key from now on.
   */
  throttled(ms: number): void {
    this.fleet.throttled(this.rate, this.now());
    this.serverRemaining = 0;
    this.serverResetAt = this.now() + ms;
    this.pause(ms);
  }

  /** When the next request may go, or 0 now. */
  private nextFreeAt(): number {
    const now = this.now();
    const pace = this.pace;
    const windowMs = pace.windowMs + ARRIVAL_SLACK_MS;
    const keep = Math.max(
      pace.limit >= 1 ? windowMs : windowMs / pace.limit,
      this.rate.windowMs + ARRIVAL_SLACK_MS,
    );
    while (this.sent.length > 0 && this.sent[0]! <= now - keep) this.sent.shift();
    let at = Math.max(now, this.pausedUntil);
    // Until the first answer tells what the server allows, one request at a time.
    this.heldByProbe = !this.answered && this.probeSentAt !== undefined;
    if (this.heldByProbe) at = Math.max(at, this.probeSentAt! + FIRST_ANSWER_MAX_MS);
    // At most `limit` of ours in any window (a part rounded down; below one: one per window / part).
    const whole = Math.max(1, Math.floor(pace.limit));
    const span = pace.limit >= 1 ? windowMs : windowMs / pace.limit;
    const inWindow = this.sent.filter((t) => t > now - span);
    if (inWindow.length >= whole) at = Math.max(at, inWindow[inWindow.length - whole]! + span);
    // While others use the key, after the first window our part goes evenly over each window:
    // bursts of every process at once would meet at the server before any header could tell.
    // The first window may go at once: the server's window starts empty, and the parts of a
    // split add up to the limit.
    const last = this.sent[this.sent.length - 1];
    if (this.fleet.sharing() && last !== undefined && now >= this.fleet.openingEnds(this.rate))
      at = Math.max(at, last + windowMs / pace.limit);
    if (this.serverRemaining !== undefined) {
      if (now >= this.serverResetAt) this.serverRemaining = undefined;
      else if (this.serverRemaining <= 0) at = Math.max(at, this.serverResetAt + ARRIVAL_SLACK_MS);
    }
    return at;
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const at = this.nextFreeAt();
      const now = this.now();
      if (at > now) {
        // Whoever would wait past --timeout hears so now, not at the end of a long wait (the
        // first answer ends a probe's hold whenever it comes: that wait is the request's own).
        const late = this.heldByProbe ? [] : this.waiters.filter((w) => at > w.since + this.maxWaitMs);
        for (const waiter of late) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.reject(this.waitTooLong(at));
        }
        if (this.waiters.length === 0) return;
        // A hold for the first answer ends when it comes: no time to announce.
        if (!this.heldByProbe && at - now > 250 && at > this.announcedWait) {
          this.announcedWait = at;
          this.events.onWait?.(at);
        }
        this.timer = setTimeout(() => this.dispatch(), Math.min(at - now, MAX_TIMER_MS));
        return;
      }
      const next = this.pickNext();
      this.sent.push(now);
      this.used++;
      if (!this.answered) this.probeSentAt = now;
      if (this.serverRemaining !== undefined) this.serverRemaining--;
      next.resolve();
    }
  }

  private waitTooLong(at: number): UpscaleError {
    const seconds = Math.round(this.maxWaitMs / 1000);
    const when = new Date(at).toISOString().slice(11, 19);
    return new UpscaleError(
      'TIMEOUT',
      `the API key's request budget has no slot within --timeout (${seconds} s): the next is at ${when} UTC`,
      {
        hint: 'the server says its limit is spent until then: run the same command again later (what is done is skipped), or raise --timeout',
      },
    );
  }

  private pickNext(): Waiter {
    let best = 0;
    let bestPriority = Number.NEGATIVE_INFINITY;
    for (const [i, w] of this.waiters.entries()) {
      const p = w.priority();
      if (p > bestPriority || (p === bestPriority && w.order < this.waiters[best]!.order)) {
        best = i;
        bestPriority = p;
      }
    }
    return this.waiters.splice(best, 1)[0]!;
  }
}

/** One budget per API key and host in this process, so every connection to them shares it. */
const budgets = new Map<string, RequestBudget>();

export function sharedBudget(key: string, rate: RateLimit, explicit: boolean): RequestBudget {
  let budget = budgets.get(key);
  if (!budget) {
    budget = new RequestBudget(rate, {}, Date.now, explicit);
    budgets.set(key, budget);
  } else budget.reconfigure(rate, explicit);
  return budget;
}
