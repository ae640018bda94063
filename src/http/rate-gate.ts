/**
 * Shared by every request of a run: after a 429 all workers wait until the provider's
 * window has passed, instead of each one hammering on with its own backoff.
 */
import { delay } from './delay.js';

export class RateGate {
  private openAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Close the gate for `ms` from now (keeps the later time when already closed). */
  pause(ms: number): void {
    this.openAt = Math.max(this.openAt, this.now() + ms);
  }

  /** Milliseconds until the gate opens (0 when open). */
  remaining(): number {
    return Math.max(0, this.openAt - this.now());
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (let ms = this.remaining(); ms > 0; ms = this.remaining()) await delay(ms, signal);
  }
}
