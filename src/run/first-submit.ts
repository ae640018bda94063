/**
 * Submits of a run go one at a time until the provider accepts one. Until then the key, the
 * account's credits and the endpoint are untested, and a batch that sent every input at once met
 * the same refusal (a wrong key: 60 inputs, 120 requests, 60 identical failures). After the first
 * acceptance they go as the budget allows; a refusal that stops the run is seen by the next one
 * in line before it sends anything (see `stopsSubmitting`).
 */
export class FirstSubmit {
  private accepted = false;
  /** Ends when the submit in front of the next one has ended. */
  private tail: Promise<void> = Promise.resolve();

  /** Runs `send` alone while no submit was accepted, else at once; `accepted` says whether its answer is one. */
  async through<T>(send: () => Promise<T>, accepted: (sent: T) => boolean): Promise<T> {
    if (this.accepted) return send();
    const before = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await before;
      if (this.accepted) {
        // Accepted while this one waited: the rest need not wait for it.
        done();
        return await send();
      }
      const sent = await send();
      if (accepted(sent)) this.accepted = true;
      return sent;
    } finally {
      done();
    }
  }
}
