/**
 * safetensors (huggingface/safetensors, docs "Format"): an 8-byte little-endian unsigned header
 * length N, N bytes of JSON naming each tensor's dtype, shape and byte range in the data
 * (`data_offsets`, relative to the end of the header), an optional `__metadata__` map of
 * strings, then the raw little-endian data. We write float32 only, with the header padded by
 * spaces to 8 bytes so the data is aligned; the exported train.py reads and writes the same
 * without the safetensors package.
 */
export type NamedArrays = Record<string, { shape: number[]; data: Float32Array }>;

export function encodeSafetensors(tensors: NamedArrays, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name];
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: NamedArrays; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error('safetensors: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  if (8 + length > bytes.length) throw new Error(`safetensors: a header of ${length} bytes does not fit in ${bytes.length}`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  const start = 8 + length;
  const tensors: NamedArrays = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new Error(`safetensors: ${name} is ${dtype}; only F32 is read here`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4 || start + end > bytes.length) throw new Error(`safetensors: ${name}'s byte range does not match its shape`);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(start + begin + 4 * i, true);
    tensors[name] = { shape, data };
  }
  return { tensors, metadata };
}
