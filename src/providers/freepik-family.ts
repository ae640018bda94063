/**
 * The Freepik task API shape (submit `POST <prefix><path>`, poll `GET <prefix><path>/{task_id}`,
 * answers `{"data":{task_id,status,generated}}`) is served by several hosts: Freepik, Magnific and
 * the Comfy proxy. A provider of this family is one product (what is sent) on one host (where it
 * goes and how the key travels), so a new host or product is data, not code.
 */
import { authHeaders } from './auth.js';
import { speaksOfQuota } from './error-body.js';
import {
  freepikErrorMessage,
  freepikListRequest,
  parseFreepikList,
  parseFreepikTask,
} from './freepik-common.js';
import type {
  ApiDescription,
  BodyObject,
  CostEstimate,
  HttpProvider,
  ImageSource,
  ParamSpec,
  ParamValues,
  ProviderLimits,
  Refusal,
  Size,
} from './types.js';

/** What is sent: the body, the flags and what they promise about the output. */
export interface FreepikProduct<P extends ParamValues = ParamValues> {
  /** e.g. `Upscaler Creative`. */
  readonly name: string;
  /** Submit path below the host's prefix, e.g. `/v1/ai/image-upscaler`. */
  readonly path: string;
  readonly params: readonly ParamSpec[];
  readonly limits: ProviderLimits;
  readonly refuses?: Readonly<Record<string, Refusal>>;
  buildBody(params: P, image: ImageSource): BodyObject;
  scaleOf(params: P): number | undefined;
  outputSize(input: Size, params: P): Size | undefined;
  outputTag(params: P): string;
  estimateCost(input: Size, params: P): CostEstimate;
}

/** Where it goes: the API root, key variables, config section, key headers and path prefix. */
export interface FreepikHost {
  /** e.g. `Freepik`, `Magnific`, `Comfy API proxy of Magnific`. */
  readonly name: string;
  readonly api: Omit<ApiDescription, 'endpoint' | 'statusEndpoint'>;
  /** Put before the product path, e.g. `/proxy/freepik` on Comfy. */
  readonly pathPrefix: string;
  /** Whether `GET <path>` lists tasks (Freepik documents it; the Comfy proxy does not serve it). */
  readonly hasList: boolean;
  /** The host takes an https URL as `image` for every product (Comfy documents "Base64 image or URL"). */
  readonly takesUrls: boolean;
  /** Input limits enforced before sending to this host (Comfy's nodes check them on every request). */
  readonly inputLimits?: { readonly minInputSide: number; readonly maxAspectRatio: number };
}

export function freepikFamilyProvider<P extends ParamValues>(
  id: string,
  product: FreepikProduct<P>,
  host: FreepikHost,
  sameApiAs?: string,
): HttpProvider<P> {
  const path = `${host.pathPrefix}${product.path}`;
  const { inputs } = product.limits;
  return {
    id,
    title: `${host.name} — ${product.name}`,
    ...(sameApiAs ? { sameApiAs } : {}),
    ...(product.refuses ? { refuses: product.refuses } : {}),
    params: product.params,
    limits: {
      ...product.limits,
      ...host.inputLimits,
      inputs: { file: inputs.file, url: inputs.url || host.takesUrls },
    },
    scaleOf: (params) => product.scaleOf(params),
    outputSize: (input, params) => product.outputSize(input, params),
    outputTag: (params) => product.outputTag(params),
    api: {
      ...host.api,
      endpoint: `POST ${path}`,
      statusEndpoint: `GET ${path}/{task_id}`,
      authHeaders,
      buildSubmit: (params, image) => ({ method: 'POST', path, body: product.buildBody(params, image) }),
      parseSubmit: (json) => parseFreepikTask(json),
      statusRequest: (taskId) => ({ method: 'GET', path: `${path}/${encodeURIComponent(taskId)}` }),
      parseStatus: (json, taskId) => parseFreepikTask(json, taskId),
      errorMessage: (_status, json) => freepikErrorMessage(json),
      speaksOfQuota,
      ...(host.hasList
        ? { listRequest: (page: number) => freepikListRequest(path, page), parseList: parseFreepikList }
        : {}),
    },
    estimateCost: (input, params) => whosePrice(product.estimateCost(input, params), host),
  };
}

/**
 * The only published per-image prices are Comfy's, for its proxy of these products. On Comfy they
 * are the provider's own; Freepik and Magnific bill their own plans, so there they are a guide only.
 */
function whosePrice(cost: CostEstimate, host: FreepikHost): CostEstimate {
  // The Comfy host is the one whose key section is `comfy` (hosts.ts imports this file, not back).
  if (host.api.configSection === 'comfy' || cost.amount === undefined) return cost;
  return { ...cost, basis: `${cost.basis}, a guide: ${host.name} bills its own plan, not these prices` };
}

/** Copies the flags a body sends as they are: flag key → body field; only what the user set. */
export function copyFields(
  body: Record<string, BodyObject[string]>,
  params: ParamValues,
  fields: Readonly<Record<string, string>>,
): void {
  for (const [key, field] of Object.entries(fields)) {
    const value = params[key];
    if (value !== undefined) body[field] = value;
  }
}
