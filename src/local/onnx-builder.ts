/**
 * Encodes the small subset of the ONNX schema (onnx.proto, IR version 8) needed
 * to describe a feed-forward conv net. Field numbers come from onnx.proto.
 */
import { ProtoWriter } from './protobuf-writer.js';

/** An attribute value: ints are written as INT, number[] as INTS, strings as STRING. */
export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

/** One graph node (operator call). */
export interface OnnxNode {
  op: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/**
 * A constant tensor (weights): float32, int64, or float16 given as its raw bits in a
 * Uint16Array (Node 20 has no Float16Array).
 */
export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array | Uint16Array;
}

/** A graph input/output: float32 with fixed or symbolic (string) dimensions. */
export interface OnnxValueInfo {
  name: string;
  dims: readonly (number | string)[];
}

/** Everything needed to serialise a model. */
export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxInitializer[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  opset: number;
  producer: string;
  docString?: string;
}

/** onnx.proto TensorProto.DataType values. */
export const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;
const TENSOR_FLOAT16 = 10;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

function encodeAttribute(name: string, attr: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (attr.kind) {
    case 'float':
      return w.float(2, attr.value).int(20, ATTR.FLOAT);
    case 'int':
      return w.int(3, attr.value).int(20, ATTR.INT);
    case 'string':
      return w.string(4, attr.value).int(20, ATTR.STRING);
    case 'ints':
      return w.ints(8, attr.value).int(20, ATTR.INTS);
  }
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  w.string(3, node.name).string(4, node.op);
  for (const [name, attr] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, attr));
  return w;
}

function encodeTensor(t: OnnxInitializer): ProtoWriter {
  const w = new ProtoWriter().ints(1, t.dims);
  w.int(
    2,
    t.data instanceof Float32Array
      ? TENSOR_FLOAT
      : t.data instanceof Uint16Array
        ? TENSOR_FLOAT16
        : TENSOR_INT64,
  );
  w.string(8, t.name);
  // raw_data must be little-endian; typed arrays use the host order, which is
  // little-endian on every platform Node ships prebuilt sharp/onnxruntime for.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, TENSOR_FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** Serialises a graph as an ONNX ModelProto (bytes ready for an InferenceSession). */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, encodeNode(n));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, encodeTensor(t));
  if (g.docString) graph.string(10, g.docString);
  for (const i of g.inputs) graph.message(11, encodeValueInfo(i));
  for (const o of g.outputs) graph.message(12, encodeValueInfo(o));

  const opset = new ProtoWriter().string(1, '').int(2, g.opset);
  return new ProtoWriter()
    .int(1, 8) // ir_version 8: understood by every onnxruntime >= 1.14
    .string(2, g.producer)
    .message(7, graph)
    .message(8, opset)
    .finish();
}
