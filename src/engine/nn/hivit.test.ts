import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskFromOrder, sampleMask, type PatchMask } from '../losses/mim';
import { Rng } from '../random';
import { allPatches, createHiViT, hivitForward, patchMerge, sinCosPositions, type HiViTConfig, type HiViTParams, type VisiblePatches } from './hivit';
import { disposeTree, namedVariables } from './params';
import {
  createDecoder, createNeck, decoderForward, featureHeadsForward, fullGrid, levelShapes, pyramidLevels, targetStages,
  type DecoderParams, type NeckParams, type PyramidConfig,
} from './pyramid';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const S = 16;
const P = 4; // 4×4 patches of 4 px, sub-tokens of 1 px
const backbone = (hierarchical: boolean): HiViTConfig => ({
  imageSize: S, patchSize: P, width: 16, mlpDepth: 1, depth: 1, heads: 2, mlpRatio: 2, bridgeMlpRatio: 3, hierarchical,
});
const pyramidConfig = (pyramid: boolean): PyramidConfig => ({
  width: 16, pyramid, fpnWidth: 8, fpnDepth: 1, mlpRatio: 2, patchSize: P, decoderWidth: 16, decoderDepth: 1, decoderHeads: 2, featureHeads: true,
});
const N = (S / P) ** 2;

function images(batch: number, seed = 3): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: batch * S * S * 3 }, () => rng.uniform(-1, 1)), [batch, S, S, 3]);
}

function visibleOf(mask: PatchMask): VisiblePatches {
  return {
    flat: tf.tensor1d(mask.keep, 'int32'),
    patch: tf.tensor1d(mask.keep.map((k) => k % mask.patches), 'int32'),
    count: mask.visible,
  };
}

describe('HiViT and the feature pyramid: shapes', () => {
  const models: { params: HiViTParams; neck: NeckParams | null; decoder: DecoderParams }[] = [];
  afterAll(() => {
    for (const m of models) {
      disposeTree(m.params);
      if (m.neck) disposeTree(m.neck);
      disposeTree(m.decoder);
    }
  });

  for (const pyramid of [true, false]) {
    it(`${pyramid ? 'HiViT + pyramid' : 'plain ViT (pyramid off)'}: every stage, level, decoder and MFM head has its shape`, () => {
      const rng = new Rng(1);
      const params = createHiViT(backbone(pyramid), rng);
      const neck = pyramid ? createNeck(pyramidConfig(true), rng) : null;
      const decoder = createDecoder(pyramidConfig(pyramid), rng);
      models.push({ params, neck, decoder });
      const B = 2;
      const mask = sampleMask(new Rng(5), B, N, 0.75);
      tf.tidy(() => {
        const out = hivitForward(params, backbone(pyramid), images(B), visibleOf(mask));
        const M = B * mask.visible;
        expect(mask.visible).toBe(4);
        expect(out.top.shape).toEqual([B, 4, 16]);
        expect(out.stages.map((s) => s.shape)).toEqual(pyramid ? [[M, 4, 4, 4], [M, 2, 2, 8]] : []);
        const levels = pyramidLevels(neck, out);
        expect(levels.map((l) => l.shape)).toEqual(pyramid ? [[M, 1, 1, 8], [M, 2, 2, 8], [M, 4, 4, 8]] : [[M, 1, 1, 16]]);
        expect(levelShapes(pyramidConfig(pyramid)).map((s) => [s.perPatch, s.channels, s.targetChannels]))
          .toEqual(pyramid ? [[1, 8, 16], [2, 8, 8], [4, 8, 4]] : [[1, 16, 16]]);
        const grid = fullGrid(mask.restore, B, N, mask.visible);
        const position = tf.tensor2d(sinCosPositions(16, 4), [N, 16]);
        const decoded = decoderForward(decoder, levels, grid, position, 2);
        expect(decoded.prediction.shape).toEqual([B, N, P * P * 3]);
        const features = featureHeadsForward(decoder, decoded.embedded, grid, position, 2);
        expect(features.map((f) => f.shape)).toEqual(pyramid ? [[B, N, 16], [B, N, 32], [B, N, 64]] : [[B, N, 16]]);
        // The MFM targets (the full backbone on every patch) match the heads' sizes per patch.
        const full = hivitForward(params, backbone(pyramid), images(B), null);
        const targets = targetStages(full, pyramid).map((t) => tf.reshape(t, [B, N, -1]).shape);
        expect(targets).toEqual(features.map((f) => f.shape));
      });
    });
  }

  it('the whole model has a gradient at every variable', () => {
    const rng = new Rng(2);
    const params = createHiViT(backbone(true), rng);
    const neck = createNeck(pyramidConfig(true), rng);
    const decoder = createDecoder(pyramidConfig(true), rng);
    models.push({ params, neck, decoder });
    const variables = [
      ...namedVariables(params, 'backbone'), ...namedVariables(neck, 'neck'),
      ...namedVariables(decoder, 'decoder'),
    ];
    const mask = sampleMask(new Rng(6), 2, N, 0.75);
    tf.tidy(() => {
      const grid = fullGrid(mask.restore, 2, N, mask.visible);
      const position = tf.tensor2d(sinCosPositions(16, 4), [N, 16]);
      const x = images(2);
      const { grads } = tf.variableGrads(() => {
        const levels = pyramidLevels(neck, hivitForward(params, backbone(true), x, visibleOf(mask)));
        const decoded = decoderForward(decoder, levels, grid, position, 2);
        const features = featureHeadsForward(decoder, decoded.embedded, grid, position, 2);
        return tf.addN([tf.mean(tf.square(decoded.prediction)), ...features.map((f) => tf.mean(tf.square(f)))]) as tf.Scalar;
      }, variables.map(([, v]) => v));
      const missing = variables.filter(([, v]) => !grads[v.name] || tf.sum(tf.abs(grads[v.name])).dataSync()[0] === 0).map(([name]) => name);
      expect(missing).toEqual([]);
      expect(variables.length).toBeGreaterThan(60);
    });
  });
});

describe('masking: the encoder never sees a masked patch', () => {
  for (const hierarchical of [true, false]) {
    it(`${hierarchical ? 'HiViT' : 'plain ViT'}: changing the masked patches' pixels changes nothing it computes, and their gradient is 0`, () => {
      const params = createHiViT(backbone(hierarchical), new Rng(4));
      try {
        tf.tidy(() => {
          const order = Int32Array.from([...new Rng(9).permutation(N), ...new Rng(10).permutation(N)]);
          const mask = maskFromOrder(order, 2, N, 0.75);
          const visible = visibleOf(mask);
          // Pixel-level mask [2, S, S, 1]: 1 on masked patches.
          const pixelMask = new Float32Array(2 * S * S);
          for (let b = 0; b < 2; b++) {
            for (let y = 0; y < S; y++) {
              for (let x = 0; x < S; x++) pixelMask[(b * S + y) * S + x] = mask.masked[b * N + Math.floor(y / P) * (S / P) + Math.floor(x / P)];
            }
          }
          const where = tf.tensor4d(pixelMask, [2, S, S, 1]);
          const a = images(2, 1);
          const b = tf.add(a, tf.mul(where, tf.mul(images(2, 2), 5))) as tf.Tensor4D; // only masked pixels differ
          expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1);
          const outA = hivitForward(params, backbone(hierarchical), a, visible);
          const outB = hivitForward(params, backbone(hierarchical), b, visible);
          for (const [x, y] of [[outA.top, outB.top], ...outA.stages.map((s, i) => [s, outB.stages[i]])]) {
            expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBe(0);
          }
          const grad = tf.grad((img: tf.Tensor) => tf.sum(hivitForward(params, backbone(hierarchical), img as tf.Tensor4D, visible).top))(a);
          const masked = tf.sum(tf.abs(tf.mul(grad, where))).dataSync()[0];
          const kept = tf.sum(tf.abs(tf.mul(grad, tf.sub(1, where)))).dataSync()[0];
          expect(masked).toBe(0);
          expect(kept).toBeGreaterThan(0);
        });
      } finally {
        disposeTree(params);
      }
    });
  }

  it('with every patch visible, the encoder equals its unmasked pass', () => {
    const params = createHiViT(backbone(true), new Rng(4));
    try {
      tf.tidy(() => {
        const all = allPatches(2, N);
        const x = images(2);
        const masked = hivitForward(params, backbone(true), x, { flat: tf.tensor1d(all.flat, 'int32'), patch: tf.tensor1d(all.patch, 'int32'), count: N });
        const full = hivitForward(params, backbone(true), x, null);
        expect(tf.max(tf.abs(tf.sub(masked.top, full.top))).dataSync()[0]).toBeLessThan(1e-6);
      });
    } finally {
      disposeTree(params);
    }
  });
});

describe('HiViT pieces against the official definitions', () => {
  it('patch merge concatenates each 2×2 block as (r0 c0, r1 c0, r0 c1, r1 c1), as PatchMerge slices x[0::2, 0::2], x[1::2, 0::2], …', () => {
    tf.tidy(() => {
      // One token map [1, 2, 2, 1] with values 1..4 in raster order; identity norm and reduction would
      // hide the order, so read the grouped input straight from a merge with a pass-through reduction.
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const merge = {
        norm: { gamma: tf.variable(tf.ones([4])), beta: tf.variable(tf.zeros([4])) },
        reduction: tf.variable(tf.tensor2d([1, 0, 0, 1, 0, 0, 0, 0], [4, 2])), // picks concat entries 0 and 1
      };
      const out = patchMerge(merge, x).dataSync();
      // LayerNorm of [1, 3, 2, 4] (r0c0 = 1, r1c0 = 3, r0c1 = 2, r1c1 = 4): entries 0 and 1 normalised.
      const mean = 2.5;
      const std = Math.sqrt(1.25 + 1e-6);
      expect(out[0]).toBeCloseTo((1 - mean) / std, 5);
      expect(out[1]).toBeCloseTo((3 - mean) / std, 5);
      Object.values(merge.norm).forEach((v) => v.dispose());
      merge.reduction.dispose();
    });
  });

  it('sin-cos positions match MAE’s get_2d_sincos_pos_embed (itpn_pixel/util/pos_embed.py)', () => {
    // D = 8, a 2×2 grid: ω = [1, 0.01]; the first D/2 encode the column (meshgrid puts w first), the
    // last D/2 the row, each as [sin(pos·ω), cos(pos·ω)]. Token 2 is row 1, column 0.
    const table = sinCosPositions(8, 2);
    const token = (i: number) => Array.from(table.slice(i * 8, i * 8 + 8));
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
    close(token(0), [0, 0, 1, 1, 0, 0, 1, 1]);
    close(token(2), [0, 0, 1, 1, 0.841471, 0.0099998, 0.540302, 0.99995]);
    close(token(1), [0.841471, 0.0099998, 0.540302, 0.99995, 0, 0, 1, 1]);
  });

  it('refuses shapes it cannot build, naming the rule', () => {
    expect(() => createHiViT({ ...backbone(true), patchSize: 2, imageSize: 16 }, new Rng(1))).toThrow(/multiple of 4/);
    expect(() => createHiViT({ ...backbone(true), width: 18, heads: 2 }, new Rng(1))).toThrow(/divisible by 4/);
  });
});
