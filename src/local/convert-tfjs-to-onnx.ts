/**
 * Converts the ESRGAN models shipped by the @upscalerjs packages (TF.js
 * "layers-model" JSON: a Keras functional graph + float32 weight shards) into an
 * ONNX model, in memory.
 *
 * Why: onnxruntime runs these nets ~50x faster in Node than TF.js's pure-JS CPU
 * backend, and converting at first use from the installed package means no
 * model binaries are committed or downloaded. Conversion takes ~10 ms (slim),
 * ~25 ms (medium), ~200 ms (thick): mostly transposing conv kernels, so the
 * result is kept in memory only (no cache folder).
 *
 * Layout: Keras is NHWC, ONNX Conv is NCHW, so the ONNX model takes and returns
 * NCHW float32 in the 0..255 range whatever range the net was trained on.
 */
import { toFloat16Array } from './float16.js';
import { encodeOnnxModel, type OnnxInitializer, type OnnxNode, TENSOR_FLOAT } from './onnx-builder.js';

/** The parts of a TF.js layers-model `model.json` that the converter reads. */
export interface TfjsLayersModelJson {
  format?: string;
  modelTopology: {
    model_config: {
      class_name: string;
      config: {
        layers: KerasLayer[];
        input_layers: [string, number, number][];
        output_layers: [string, number, number][];
      };
    };
  };
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
  }[];
}

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

/** Options for {@link convertTfjsToOnnx}. */
export interface ConvertOptions {
  /** Pixel range the net was trained on: 255 (RDN models) or 1 (RRDN "thick"). */
  valueRange: 1 | 255;
  /** Stored in the ONNX graph name, for debugging. */
  name?: string;
  /**
   * Rewrite nearest-upsample + conv as a low-resolution conv + DepthToSpace
   * (default true). Identical maths, far less memory at x4/x8; `false` keeps the
   * literal graph, which the tests use as a reference.
   */
  fuseUpsample?: boolean;
  /**
   * How conv weights are stored (default 'float32'). 'float16' halves the file: the
   * weights are rounded to half precision and cast back to float32 in the graph (folded
   * once when a session loads), so inference still computes in float32.
   */
  weights?: 'float32' | 'float16';
}

/** The converted model plus facts the tiler needs. */
export interface ConvertedModel {
  onnx: Uint8Array;
  /** Upscale factor of the net (product of its upsampling layers). */
  scale: number;
  /**
   * How far (in input pixels) an output pixel can "see": the sum of conv radii on
   * the longest path. Tiles need at least this much context on each side to be
   * bit-identical to an untiled run.
   */
  receptiveRadius: number;
  inputName: string;
  outputName: string;
}

const OPSET = 17;

function fail(msg: string): never {
  throw new Error(`convert-tfjs-to-onnx: ${msg}`);
}

function numPair(v: unknown, what: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') {
    fail(`${what}: expected [n, n], got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
}

/** Keras kernel [kh, kw, in, out] → ONNX weight [out, in, kh, kw]. */
function transposeKernel(
  src: Float32Array,
  [kh, kw, cin, cout]: readonly [number, number, number, number],
): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const srcBase = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) dst[((o * cin + i) * kh + y) * kw + x] = src[srcBase + o]!;
      }
  return dst;
}

/** Slices the concatenated weight shards into named float32 arrays (copies, so they are aligned). */
function readWeights(
  json: TfjsLayersModelJson,
  shards: readonly Uint8Array[],
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [g, group] of json.weightsManifest.entries()) {
    const parts = shards.slice(
      json.weightsManifest.slice(0, g).reduce((n, m) => n + m.paths.length, 0),
      json.weightsManifest.slice(0, g + 1).reduce((n, m) => n + m.paths.length, 0),
    );
    const total = parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' || w.quantization)
        fail(`weight ${w.name}: only unquantised float32 is supported`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = count * 4;
      if (offset + bytes > buf.length) fail(`weight ${w.name} runs past the end of the weight files`);
      out.set(w.name, { shape: w.shape, data: new Float32Array(buf.slice(offset, offset + bytes).buffer) });
      offset += bytes;
    }
    if (offset !== buf.length) fail(`weight group ${g}: ${buf.length - offset} unused bytes`);
  }
  return out;
}

/** A conv in ONNX layout: weight [out, in, k, k], plus its spatial radius. */
interface ConvWeights {
  weight: Float32Array;
  bias: Float32Array | undefined;
  outChannels: number;
  inChannels: number;
  kernel: number;
  radius: number;
}

function readConv(
  layer: KerasLayer,
  weights: Map<string, { shape: number[]; data: Float32Array }>,
): ConvWeights {
  const { name, config } = layer;
  const [kh, kw] = numPair(config.kernel_size, `${name}.kernel_size`);
  const strides = numPair(config.strides, `${name}.strides`);
  const dil = numPair(config.dilation_rate, `${name}.dilation_rate`);
  if (strides.some((s) => s !== 1) || dil.some((d) => d !== 1) || (config.groups ?? 1) !== 1)
    fail(`${name}: only stride 1, dilation 1, groups 1 convolutions`);
  if (config.data_format !== 'channels_last') fail(`${name}: only channels_last`);
  if (kh !== kw || kh % 2 === 0) fail(`${name}: only square, odd kernels (${kh}x${kw})`);
  const same = config.padding === 'same';
  if (!same && config.padding !== 'valid') fail(`${name}: padding ${String(config.padding)}`);
  if (!same && kh !== 1) fail(`${name}: 'valid' padding would shrink the image`);
  const k = weights.get(`${name}/kernel`) ?? fail(`missing weight ${name}/kernel`);
  if (k.shape.length !== 4 || k.shape[0] !== kh || k.shape[1] !== kw)
    fail(`${name}/kernel has shape ${k.shape}`);
  const [, , cin, cout] = k.shape as [number, number, number, number];
  let bias: Float32Array | undefined;
  if (config.use_bias !== false) {
    bias = (weights.get(`${name}/bias`) ?? fail(`missing weight ${name}/bias`)).data;
    if (bias.length !== cout) fail(`${name}/bias has ${bias.length} values for ${cout} filters`);
  }
  return {
    weight: transposeKernel(k.data, [kh, kw, cin, cout]),
    bias,
    outChannels: cout,
    inChannels: cin,
    kernel: kh,
    radius: (kh - 1) / 2,
  };
}

/**
 * Rewrites "nearest-upsample by s, then conv (radius r)" as one low-resolution conv
 * with s*s*out channels (radius ceil(r/s)) followed by DepthToSpace(s, DCR).
 * High-res pixel (s*y+py, s*x+px) reads low-res pixel y + floor((py+dy)/s) for tap
 * dy, so each output phase (py, px) is a conv whose taps are sums of the original
 * taps that land on the same low-res pixel. Zero padding lines up too, because the
 * high-res image border is exactly s times the low-res one.
 */
function subPixelConv(c: ConvWeights, s: number): ConvWeights {
  const r = c.radius;
  const R = Math.ceil(r / s);
  const K = 2 * R + 1;
  const O = c.outChannels;
  const C = c.inChannels;
  const weight = new Float32Array(s * s * O * C * K * K);
  const bias = c.bias ? new Float32Array(s * s * O) : undefined;
  for (let py = 0; py < s; py++)
    for (let px = 0; px < s; px++) {
      const phase = py * s + px; // DCR: channel = (row phase * s + col phase) * O + o
      for (let o = 0; o < O; o++) {
        const oc = phase * O + o;
        if (bias && c.bias) bias[oc] = c.bias[o]!;
        for (let i = 0; i < C; i++)
          for (let dy = -r; dy <= r; dy++) {
            const qy = Math.floor((py + dy) / s) + R;
            for (let dx = -r; dx <= r; dx++) {
              const qx = Math.floor((px + dx) / s) + R;
              const src = ((o * C + i) * c.kernel + dy + r) * c.kernel + dx + r;
              weight[((oc * C + i) * K + qy) * K + qx]! += c.weight[src]!;
            }
          }
      }
    }
  return { weight, bias, outChannels: s * s * O, inChannels: C, kernel: K, radius: R };
}

function pushConv(
  nodes: OnnxNode[],
  inits: OnnxInitializer[],
  name: string,
  input: string,
  output: string,
  c: ConvWeights,
  half: boolean,
): void {
  /** A float32 constant, stored as float16 plus a Cast when `half`. */
  const constant = (tensor: string, dims: number[], data: Float32Array): string => {
    if (!half) {
      inits.push({ name: tensor, dims, data });
      return tensor;
    }
    inits.push({ name: `${tensor}16`, dims, data: toFloat16Array(data) });
    nodes.push({
      op: 'Cast',
      name: `${tensor}/cast`,
      inputs: [`${tensor}16`],
      outputs: [tensor],
      attributes: { to: { kind: 'int', value: TENSOR_FLOAT } },
    });
    return tensor;
  };
  const inputs = [input, constant(`${name}/W`, [c.outChannels, c.inChannels, c.kernel, c.kernel], c.weight)];
  if (c.bias) inputs.push(constant(`${name}/B`, [c.outChannels], c.bias));
  const p = c.radius;
  nodes.push({
    op: 'Conv',
    name,
    inputs,
    outputs: [output],
    attributes: {
      kernel_shape: { kind: 'ints', value: [c.kernel, c.kernel] },
      pads: { kind: 'ints', value: [p, p, p, p] },
      strides: { kind: 'ints', value: [1, 1] },
      dilations: { kind: 'ints', value: [1, 1] },
      group: { kind: 'int', value: 1 },
    },
  });
}

function depthToSpace(name: string, input: string, output: string, block: number): OnnxNode {
  return {
    op: 'DepthToSpace',
    name,
    inputs: [input],
    outputs: [output],
    attributes: { blocksize: { kind: 'int', value: block }, mode: { kind: 'string', value: 'DCR' } },
  };
}

/**
 * Converts a TF.js layers model to ONNX. `shards` are the weight files listed in
 * `weightsManifest[].paths`, in order.
 */
export function convertTfjsToOnnx(
  json: TfjsLayersModelJson,
  shards: readonly Uint8Array[],
  options: ConvertOptions,
): ConvertedModel {
  if (json.format !== undefined && json.format !== 'layers-model') fail(`unsupported format ${json.format}`);
  const cfg = json.modelTopology?.model_config?.config;
  if (!cfg || !Array.isArray(cfg.layers)) fail('model.json has no Keras functional config');
  const weights = readWeights(json, shards);
  const half = options.weights === 'float16';

  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  // Per tensor: the scale it lives at and its receptive radius in *input* pixels.
  const info = new Map<string, { scale: number; radius: number }>();
  const scalar = (name: string, v: number): string => {
    inits.push({ name, dims: [], data: Float32Array.of(v) });
    return name;
  };

  const inputName = 'input';
  const outputName = 'output';
  const firstInput = cfg.input_layers[0]?.[0] ?? fail('no input layer');
  const lastOutput = cfg.output_layers[0]?.[0] ?? fail('no output layer');
  if (cfg.input_layers.length !== 1 || cfg.output_layers.length !== 1)
    fail('only single input/output models');

  // Normalise the input range once so callers always feed 0..255.
  let inputTensor = inputName;
  if (options.valueRange === 1) {
    inputTensor = 'input_0_1';
    nodes.push({
      op: 'Mul',
      name: 'to_unit_range',
      inputs: [inputName, scalar('c_1_over_255', 1 / 255)],
      outputs: [inputTensor],
    });
  }
  const tensorOf = (layerName: string): string => (layerName === firstInput ? inputTensor : layerName);

  // Which layers read each layer: an upsampling layer read only by one conv can be fused into it.
  const consumers = new Map<string, KerasLayer[]>();
  for (const layer of cfg.layers)
    for (const [src] of layer.inbound_nodes[0] ?? [])
      consumers.set(src, [...(consumers.get(src) ?? []), layer]);
  const fusedUpsample = new Map<string, { source: string; factor: number }>(); // conv name -> upsample it absorbs

  for (const layer of cfg.layers) {
    const { class_name: cls, name, config } = layer;
    if (cls === 'InputLayer') {
      info.set(inputTensor, { scale: 1, radius: 0 });
      continue;
    }
    if (layer.inbound_nodes.length !== 1) fail(`layer ${name} is called ${layer.inbound_nodes.length} times`);
    const inputs = (layer.inbound_nodes[0] ?? []).map((n) => tensorOf(n[0]));
    const fused = fusedUpsample.get(name);
    if (fused) inputs[0] = fused.source;
    const inInfo = inputs.map((i) => info.get(i) ?? fail(`layer ${name}: input ${i} not defined yet`));
    const scale = inInfo[0]!.scale;
    const radius = Math.max(...inInfo.map((i) => i.radius));
    const out = name;

    switch (cls) {
      case 'Conv2D': {
        const conv = readConv(layer, weights);
        const act = config.activation ?? 'linear';
        if (act !== 'linear' && act !== 'relu') fail(`${name}: activation ${String(act)}`);
        const convOut = act === 'linear' ? name : `${name}/pre_act`;
        if (fused) {
          // Upsample-then-conv computed at low resolution, then DepthToSpace: same maths,
          // but the big 3*s^2-channel high-resolution tensor is never materialised.
          const sub = subPixelConv(conv, fused.factor);
          pushConv(nodes, inits, name, inputs[0]!, `${name}/lowres`, sub, half);
          nodes.push(depthToSpace(`${name}/d2s`, `${name}/lowres`, convOut, fused.factor));
          info.set(out, { scale: scale * fused.factor, radius: radius + sub.radius / scale });
        } else {
          pushConv(nodes, inits, name, inputs[0]!, convOut, conv, half);
          info.set(out, { scale, radius: radius + conv.radius / scale });
        }
        if (act === 'relu')
          nodes.push({ op: 'Relu', name: `${name}/relu`, inputs: [convOut], outputs: [name] });
        continue;
      }
      case 'Activation':
        if (config.activation !== 'relu') fail(`${name}: activation ${String(config.activation)}`);
        nodes.push({ op: 'Relu', name, inputs, outputs: [out] });
        break;
      case 'Concatenate': {
        const axis = config.axis;
        if (axis !== 3 && axis !== -1) fail(`${name}: concat on axis ${String(axis)} (only channels)`);
        nodes.push({
          op: 'Concat',
          name,
          inputs,
          outputs: [out],
          attributes: { axis: { kind: 'int', value: 1 } },
        });
        break;
      }
      case 'Add':
        // ONNX Add is binary; Sum takes any number of inputs.
        nodes.push({ op: inputs.length === 2 ? 'Add' : 'Sum', name, inputs, outputs: [out] });
        break;
      case 'MultiplyBeta': {
        // RRDN residual scaling; the upscalerjs definition hard-codes beta = 0.2.
        const beta = typeof config.beta === 'number' ? config.beta : 0.2;
        nodes.push({ op: 'Mul', name, inputs: [inputs[0]!, scalar(`${name}/beta`, beta)], outputs: [out] });
        break;
      }
      case 'UpSampling2D': {
        const [sh, sw] = numPair(config.size, `${name}.size`);
        if (sh !== sw) fail(`${name}: non-square upsampling`);
        if ((config.interpolation ?? 'nearest') !== 'nearest') fail(`${name}: only nearest upsampling`);
        const readers = consumers.get(name) ?? [];
        const next = readers[0];
        if (
          options.fuseUpsample !== false &&
          readers.length === 1 &&
          next?.class_name === 'Conv2D' &&
          name !== lastOutput
        ) {
          fusedUpsample.set(next.name, { source: inputs[0]!, factor: sh });
          info.set(out, { scale: scale * sh, radius }); // bookkeeping only; no node emitted
          continue;
        }
        inits.push({ name: `${name}/scales`, dims: [4], data: Float32Array.of(1, 1, sh, sw) });
        // Keras nearest upsampling repeats each pixel: Resize nearest/asymmetric/floor is exactly that.
        nodes.push({
          op: 'Resize',
          name,
          inputs: [inputs[0]!, '', `${name}/scales`],
          outputs: [out],
          attributes: {
            mode: { kind: 'string', value: 'nearest' },
            coordinate_transformation_mode: { kind: 'string', value: 'asymmetric' },
            nearest_mode: { kind: 'string', value: 'floor' },
          },
        });
        info.set(out, { scale: scale * sh, radius });
        continue;
      }
      default: {
        const shuffle = /^PixelShuffle(\d+)x$/.exec(cls);
        if (!shuffle) fail(`unsupported layer ${cls} (${name})`);
        const block = Number(shuffle[1]);
        // tf.depthToSpace in NHWC is ONNX DepthToSpace mode DCR in NCHW.
        nodes.push(depthToSpace(name, inputs[0]!, out, block));
        info.set(out, { scale: scale * block, radius });
        continue;
      }
    }
    info.set(out, { scale, radius });
  }

  const last = info.get(lastOutput) ?? fail(`output layer ${lastOutput} was never produced`);
  if (options.valueRange === 1) {
    nodes.push({
      op: 'Mul',
      name: 'to_byte_range',
      inputs: [lastOutput, scalar('c_255', 255)],
      outputs: [outputName],
    });
  } else {
    nodes.push({ op: 'Identity', name: 'output', inputs: [lastOutput], outputs: [outputName] });
  }
  const usedWeights = new Set(inits.map((i) => i.name.split('/')[0]));
  for (const w of weights.keys()) {
    if (!usedWeights.has(w.split('/')[0])) fail(`weight ${w} belongs to no converted layer`);
  }

  const onnx = encodeOnnxModel({
    name: options.name ?? 'esrgan',
    nodes,
    initializers: inits,
    inputs: [{ name: inputName, dims: [1, 3, 'height', 'width'] }],
    outputs: [{ name: outputName, dims: [1, 3, 'out_height', 'out_width'] }],
    opset: OPSET,
    producer: 'upscale/convert-tfjs-to-onnx',
    docString: `converted from TF.js layers model; NCHW float32, values 0..255, x${last.scale}${half ? '; float16 weights' : ''}`,
  });
  return { onnx, scale: last.scale, receptiveRadius: Math.ceil(last.radius), inputName, outputName };
}
