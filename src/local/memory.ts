/**
 * Gives back what the local engine left for the garbage collector, at once. The engine's garbage
 * (the decoded input, the tiles' output arrays: 60-100 MB for a 4000×3000 input) is only freed when
 * V8 next collects, which it has no reason to do while the output's encoders (libvips, libjpeg's
 * whole-image buffers for JPEG: ~290 MB for 8000×6000) allocate outside its sight: the two added
 * up at the peak. Measured in docs/local-engine.md (Large images).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * One full garbage collection. V8 gives `gc` to contexts created after `--expose-gc` is set (the
 * main one keeps none); the flag changes nothing else.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
