import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { getMethod } from '../methods/registry';
import { presetValues } from '../state/url';
import { Trainer } from '../engine/trainer';
import { deflateSync } from 'node:zlib';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
  return ~c >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w: number, h: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) { raw[y * (w * 3 + 1)] = 0; Buffer.from(rgb.buffer, y * w * 3, w * 3).copy(raw, y * (w * 3 + 1) + 1); }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

await tf.setBackend('cpu');
const m = getMethod('dino');
const values = { ...presetValues(m, process.argv[2] ?? 'default'), probeEvery: 1, metricsEvery: 1, batchSize: 4, width: 16, depth: 1, heads: 1, outputDim: 16, headHidden: 16 };
const t = await Trainer.create(m, values);
const W = 6 * 40, H = 8 * 40; const rgb = new Uint8Array(W * H * 3).fill(255);
for (let row = 0; row < 8; row++) {
  t.runStep();
  const p = await t.probe();
  const crops = p.find((x) => x.kind === 'crops')! as any;
  const items = [{ size: crops.imageSize, pixels: crops.original }, ...crops.crops];
  items.forEach((c: any, col: number) => {
    const scale = Math.floor(32 / c.size) || 1;
    for (let y = 0; y < c.size * scale; y++) for (let x = 0; x < c.size * scale; x++) {
      const s = (Math.floor(y / scale) * c.size + Math.floor(x / scale)) * 3;
      const d = ((row * 40 + y) * W + col * 40 + x) * 3;
      for (let k = 0; k < 3; k++) rgb[d + k] = Math.round(255 * Math.min(1, Math.max(0, c.pixels[s + k])));
    }
  });
}
writeFileSync("/tmp/scratch/crops.png", png(W, H, rgb)); console.error("written");
