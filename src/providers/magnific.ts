/**
 * The three Freepik upscalers on Magnific's host (`api.magnific.com`, `x-magnific-api-key`),
 * where Freepik's API docs now redirect. Same bodies and answers; only the host differs.
 */
import { creativeProduct } from './freepik-creative.js';
import { freepikFamilyProvider } from './freepik-family.js';
import { precisionProduct } from './freepik-precision.js';
import { precisionV2Product } from './freepik-precision-v2.js';
import { MAGNIFIC_HOST } from './hosts.js';

export const magnificCreative = freepikFamilyProvider('magnific', creativeProduct, MAGNIFIC_HOST, 'freepik');
export const magnificPrecision = freepikFamilyProvider(
  'magnific-precision',
  precisionProduct,
  MAGNIFIC_HOST,
  'freepik-precision',
);
export const magnificPrecisionV2 = freepikFamilyProvider(
  'magnific-precision-v2',
  precisionV2Product,
  MAGNIFIC_HOST,
  'freepik-precision-v2',
);
