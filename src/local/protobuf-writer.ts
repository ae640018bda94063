/**
 * A minimal protobuf *encoder*, just enough to write ONNX models.
 *
 * Why hand-written: the ONNX schema we need is a dozen messages, and pulling in
 * protobufjs + generated code (~20 MB installed) to write them would cost more than
 * these ~80 lines. Only the wire types ONNX uses are supported: varint (0) and
 * length-delimited (2), plus fixed32 (5) for float attributes.
 */

/** Builds one protobuf message; nested messages are encoded first and embedded as bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private tag(field: number, wireType: 0 | 2 | 5): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    // int64 fields may be negative in principle; ONNX never needs that here, so
    // refuse rather than silently writing a 10-byte two's complement form.
    let v = BigInt(value);
    if (v < 0n) throw new RangeError(`negative varint ${v} not supported`);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  /** int32/int64/enum/bool field (wire type 0). */
  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** Repeated int64 written unpacked, the proto2 default that onnx.proto uses. */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  /** float field (wire type 5, little-endian IEEE 754). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  /** bytes field (wire type 2). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  /** string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** Concatenates everything written so far. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
