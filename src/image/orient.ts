/**
 * EXIF orientation as pixel operations. An output is always written upright (orientation 1):
 * the provider's pixels are turned the way a viewer would turn the input, once.
 */
import type { Sharp } from 'sharp';
import type { Size } from '../providers/types.js';

/** Turns stored pixels so they display upright; the same result as sharp's autoOrient() on a tagged file. */
export function applyOrientation(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.rotate(270).flop();
    case 6:
      return image.rotate(90);
    case 7:
      return image.rotate(90).flop();
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}

/** True for orientations that swap width and height (5–8). */
export function swapsSides(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

/** The size a viewer shows for stored pixels of `size`. */
export function displayedSize(size: Size, orientation: number): Size {
  return swapsSides(orientation) ? { width: size.height, height: size.width } : size;
}
