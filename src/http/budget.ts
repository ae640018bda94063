/**
 * The request budget of one API key on one host: at most `limit` requests in any `windowMs`,
 * shared by every submit, status poll and task list of the process (downloads from result URLs
 * are not counted). A request waits for a free slot; the waiter with the highest priority goes
 * first, so a poll of a task that is almost surely done beats a submit, and a submit beats a
 * premature poll. What the server says (`X-RateLimit-*`, `RateLimit`) narrows the budget: its
 * limit replaces ours, and its `Remaining` caps what we send until its reset. A 429 pauses all.
 */
import { abortReason } from './delay.js';
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
  readonly resolve: () => void;
}

/** Slack on each slot: the server counts a request from when it arrives, a little after we send it. */
const ARRIVAL_SLACK_MS = 150;
/** How long the requests after the first wait for its answer (and the limit it brings). */
const FIRST_ANSWER_WAIT_MS = 1000;

export interface BudgetEvents {
  /** The limit changed: learned from the server's headers. */
  onLearn?(rate: RateLimit, source: string): void;
  /** Requests are waiting for the budget until this time (ms since epoch). */
  onWait?(until: number): void;
}

export class RequestBudget {
  private rate: RateLimit;
  private readonly sent: number[] = [];
  private readonly waiters: Waiter[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  /** The server's own count: requests left until `serverResetAt`. */
  private serverRemaining: number | undefined;
  private serverResetAt = 0;
  private announcedWait = 0;
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

  private readonly events = {
    onLearn: (rate: RateLimit, source: string) => {
      for (const l of this.listeners) l.onLearn?.(rate, source);
    },
    onWait: (until: number) => {
      for (const l of this.listeners) l.onWait?.(until);
    },
  };

  get limit(): RateLimit {
    return this.rate;
  }

  /** Waits for a slot, then takes it. `priority` is read when slots free up (higher first). */
  acquire(priority: () => number = () => 1, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        order: this.order++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.dispatch();
    });
  }

  /** The longest reset the server named: without a stated window, the window is at least that long. */
  private longestResetMs = 0;
  /** Until the first answer, one request at a time: it teaches the limit before a burst. */
  private answered = false;

  /**
   * Learns from an answer's headers. The server's limit replaces the assumed one — unless the
   * user set the rate (`explicit`), which then stays as a ceiling. `X-RateLimit-*` name no window:
   * it is taken from the longest reset seen (a window's first request resets a whole window later).
   */
  observe(info: RateLimitInfo, source = 'X-RateLimit headers'): void {
    const now = this.now();
    this.answered = true;
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
        this.events.onLearn?.(this.rate, source);
      }
    }
    if (info.remaining !== undefined) {
      this.serverRemaining = info.remaining;
      this.serverResetAt = now + (info.resetMs ?? this.rate.windowMs);
    }
    this.dispatch();
  }

  /**
   * True when requests compete for slots: someone is waiting, or more than half the window is
   * spent. An idle budget lets polls keep their quick beat.
   */
  busy(): boolean {
    if (this.waiters.length > 0) return true;
    const now = this.now();
    const recent = this.sent.filter((t) => t > now - this.rate.windowMs).length;
    return (
      recent > this.rate.limit / 2 ||
      (this.serverRemaining !== undefined && this.serverRemaining < this.rate.limit / 4)
    );
  }

  /** Closes the budget for `ms` (after a 429). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.dispatch();
  }

  /** When the next request may go, or 0 now. */
  private nextFreeAt(): number {
    const now = this.now();
    const windowMs = this.rate.windowMs + ARRIVAL_SLACK_MS;
    while (this.sent.length > 0 && this.sent[0]! <= now - windowMs) this.sent.shift();
    let at = Math.max(now, this.pausedUntil);
    // The first request goes alone; if no answer comes within a second, the assumed rate rules.
    if (!this.answered && this.sent.length > 0) at = Math.max(at, this.sent[0]! + FIRST_ANSWER_WAIT_MS);
    if (this.sent.length >= this.rate.limit) {
      at = Math.max(at, this.sent[this.sent.length - this.rate.limit]! + windowMs);
    }
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
        if (at - now > 250 && at > this.announcedWait) {
          this.announcedWait = at;
          this.events.onWait?.(at);
        }
        this.timer = setTimeout(() => this.dispatch(), at - now);
        return;
      }
      const next = this.pickNext();
      this.sent.push(now);
      this.used++;
      if (this.serverRemaining !== undefined) this.serverRemaining--;
      next.resolve();
    }
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
