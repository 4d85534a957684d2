import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata, with an 8-byte aligned header', () => {
    const tensors = {
      'online.backbone.convs.0.kernel': { shape: [3, 3, 3, 8], data: Float32Array.from({ length: 216 }, (_, i) => Math.sin(i)) },
      'a.bias': { shape: [4], data: new Float32Array([1, -2, 3.5, Number.MIN_VALUE]) },
    };
    const bytes = encodeSafetensors(tensors, { step: '12' });
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(length % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    // The documented layout: sorted names, byte ranges from the end of the header.
    expect(header['a.bias']).toEqual({ dtype: 'F32', shape: [4], data_offsets: [0, 16] });
    expect(header['online.backbone.convs.0.kernel'].data_offsets).toEqual([16, 16 + 216 * 4]);
    expect(bytes.length).toBe(8 + length + 16 + 216 * 4);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ step: '12' });
    expect(back.tensors['a.bias'].data).toEqual(tensors['a.bias'].data);
    expect(back.tensors['online.backbone.convs.0.kernel']).toEqual(tensors['online.backbone.convs.0.kernel']);
  });

  it('refuses a shape that does not match the data, and a truncated file', () => {
    expect(() => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/3 values for shape \[2, 2\]/);
    const bytes = encodeSafetensors({ x: { shape: [2], data: new Float32Array(2) } });
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/byte range/);
  });
});
