/**
 * A claim on one output, as the run sees it: taken through the output folder's store
 * (store/output-store.ts has the lease contract, store/local-claim.ts the local folder's lock
 * files), confirmed right before paying.
 */
import { UpscaleError } from '../../errors.js';

export type { Claim, ClaimOptions } from '../../store/output-store.js';

/**
 * Raised (inside a run) when this process lost its claim before paying: the run goes back to
 * waiting for the output. Never reaches a result line unless something is badly wrong.
 */
export class ClaimLostError extends UpscaleError {
  constructor(input: string) {
    super('INTERNAL', `${input}: another run took over the claim on its output before this one paid`, {
      hint: 'this run waits for that run instead; report it if it ever ends an input',
    });
  }
}
