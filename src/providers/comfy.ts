/**
 * The Comfy API proxy of Magnific (its OpenAPI text: https://api.comfy.org/openapi): creative at
 * `POST /proxy/freepik/v1/ai/image-upscaler`, and precision v2 next to it (docs/providers.md).
 * Same bodies and answers as Freepik's; the key is a Comfy key, URLs are accepted as `image`.
 */
import { creativeProduct } from './freepik-creative.js';
import { freepikFamilyProvider } from './freepik-family.js';
import { precisionV2Product } from './freepik-precision-v2.js';
import { COMFY_HOST } from './hosts.js';

export const comfyCreative = freepikFamilyProvider('comfy', creativeProduct, COMFY_HOST);
export const comfyPrecisionV2 = freepikFamilyProvider('comfy-precision-v2', precisionV2Product, COMFY_HOST);
