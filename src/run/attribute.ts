/**
 * Which listed task is a lost submit's own, judged by how its result looks. Attribution only ever
 * says "this one": a candidate it does not pick is not thereby proven someone else's, or nobody's
 * (resolve-uncertain.ts decides what becomes of it, and never sends again while one is left).
 *
 * Two measures: structure (the grey layout and edges at low resolution, which a creative
 * re-interpretation, another engine's colour treatment or a re-encode keeps) and colour (which
 * tells apart inputs of one layout in different colours, such as burst shots). A candidate is
 * this input's when one measure clearly picks it and no measure clearly points elsewhere:
 *
 * - clearly picks it: the result is the same picture by that measure, every other candidate is
 *   clearly farther from the input, and the result is clearly farther from every other input
 *   whose submit is lost too (its rivals);
 * - points elsewhere: another candidate is the same picture by that measure and clearly closer to
 *   the input, or a rival is the same picture and clearly closer to the result.
 *
 * Only plausible pairs take part: a result of the input's shape whose structure does not
 * contradict it (colour alone never attributes a result laid out otherwise).
 */
import { structureDistance, type Thumbnail, thumbnailDistance } from '../image/thumbnail.js';

/** A candidate task whose result was downloaded and decoded. */
export interface ExaminedTask {
  readonly id: string;
  readonly thumb: Thumbnail;
}

/** An input's thumbnails: as stored and as displayed (a provider may or may not turn it upright). */
export type InputLooks = readonly Thumbnail[];

interface Measure {
  readonly distance: (a: Thumbnail, b: Thumbnail) => number | undefined;
  /** At most this far: the same picture by this measure. */
  readonly matchMax: number;
  /** The runner-up must be at least this much farther, and twice as far, for the best to be clear. */
  readonly margin: number;
}

/** Mean difference per channel (0–255, 64×64): an upscale of the input is within a few steps. */
const COLOUR: Measure = { distance: thumbnailDistance, matchMax: 20, margin: 6 };
/**
 * 0 same layout, about 1 unrelated (see structureDistance). Measured: a plain 2x of 17×17 noise
 * 0.2, strong recolourings and creative treatments of photos at most 0.15, unrelated photos of
 * fixtures/images 0.6 or more (two synthetic gradients there: 0.27, look-alikes indeed).
 */
const STRUCTURE: Measure = { distance: structureDistance, matchMax: 0.4, margin: 0.25 };
const MEASURES = [STRUCTURE, COLOUR] as const;

/** Aspect ratios differing by more than this are different pictures (providers round sides a little). */
const ASPECT_TOLERANCE = 0.03;
/** Creative floors the input's sides to a multiple of this before scaling (seen live). */
const SIDE_MULTIPLE = 4;

/**
 * A result has the input's shape, as stored or turned (providers may apply the orientation): its
 * aspect ratio is the input's, or that of the input's sides floored to a multiple of 4 (as seen
 * live), within ASPECT_TOLERANCE. The floored shape matters on small inputs: 34×16 comes back as
 * 64×32, 6 % off. Any looser, and two inputs of one colour and different widths could take each
 * other's result.
 */
export function sameShape(result: Thumbnail, input: InputLooks): boolean {
  const r = result.width / result.height;
  const floored = (side: number) => Math.max(SIDE_MULTIPLE, side - (side % SIDE_MULTIPLE));
  const near = (w: number, h: number) =>
    Math.abs(r / (w / h) - 1) <= ASPECT_TOLERANCE || Math.abs(r / (h / w) - 1) <= ASPECT_TOLERANCE;
  return input.some(({ width, height }) => near(width, height) || near(floored(width), floored(height)));
}

/** The nearest of the input's looks by `measure`; undefined when the measure cannot tell. */
function distance(measure: Measure, result: Thumbnail, input: InputLooks): number | undefined {
  const known = input.map((look) => measure.distance(result, look)).filter((d) => d !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

const isMatch = (m: Measure, d: number | undefined): d is number => d !== undefined && d <= m.matchMax;

/** `other` is clearly farther than `best` (a measure that cannot tell `other` counts as far). */
const clearlyFarther = (m: Measure, best: number, other: number | undefined) =>
  other === undefined || other >= Math.max(2 * best, best + m.margin);

/** The result could be an upscale of the input: its shape, and a structure that does not contradict. */
export function plausible(result: Thumbnail, input: InputLooks): boolean {
  if (input.length === 0 || !sameShape(result, input)) return false;
  const d = distance(STRUCTURE, result, input);
  return d === undefined || d <= STRUCTURE.matchMax;
}

/**
 * The candidate that is clearly `input`'s own result (see the module comment), or undefined when
 * none is. `rivals` are the other inputs whose submits were lost too.
 */
export function attribute(
  input: InputLooks,
  candidates: readonly ExaminedTask[],
  rivals: readonly InputLooks[],
): string | undefined {
  const possible = candidates.filter((c) => plausible(c.thumb, input));
  const picked = possible.filter((task) => {
    const others = possible.filter((c) => c !== task);
    const rivalsOf = rivals.filter((rival) => plausible(task.thumb, rival));
    const picks = MEASURES.some((m) => {
      const d = distance(m, task.thumb, input);
      return (
        isMatch(m, d) &&
        others.every((c) => clearlyFarther(m, d, distance(m, c.thumb, input))) &&
        rivalsOf.every((rival) => clearlyFarther(m, d, distance(m, task.thumb, rival)))
      );
    });
    const elsewhere = MEASURES.some((m) => {
      const d = distance(m, task.thumb, input);
      const closer = (e: number | undefined) => isMatch(m, e) && (d === undefined || clearlyFarther(m, e, d));
      return (
        others.some((c) => closer(distance(m, c.thumb, input))) ||
        rivalsOf.some((rival) => closer(distance(m, task.thumb, rival)))
      );
    });
    return picks && !elsewhere;
  });
  // One measure picking one candidate while the other picks another is contradiction, not proof.
  return picked.length === 1 ? picked[0]!.id : undefined;
}
