/**
 * The typed-array algorithms behind the CPU backends' kernels of cpuKernels.ts (no tfjs):
 * the transposed patch matrix of a convolution (im2colᵀ), a blocked transpose, the rotated
 * filter and the dilated gradient of the input gradient, run copies for Concat/SplitV, sums over
 * middle axes, and the segment sum that is gather's gradient.
 */

export interface PatchInfo {
  strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number; top: number; left: number;
}

/** out [cols, rows] = aᵀ for a [rows, cols] (row-major), in blocks that keep reads and writes in cache. */
export function transpose2d(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const block = 16;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(cols, c0 + block);
      for (let c = c0; c < c1; c++) {
        const to = c * rows;
        for (let r = r0; r < r1; r++) out[to + r] = a[r * cols + c];
      }
    }
  }
}

/**
 * The input's patches as columns (im2col, transposed): out [kh·kw·Cin, N·Ho·Wo], with
 * out[(i·kw + j)·Cin + c, (n·Ho + y)·Wo + x] = in[n, y·sh + i·dh − top, x·sw + j·dw − left, c], 0 in the padding.
 * The input is first transposed to channels-first (small), so that each output row is filled
 * from runs of one channel's rows: sequential reads and writes.
 */
export function im2colTransposedInto(
  out: Float32Array, input: Float32Array, inShape: readonly number[], outShape: readonly number[], kernel: readonly number[], info: PatchInfo,
): void {
  const [, inH, inW, inC] = inShape;
  const [n, outH, outW] = outShape;
  const [kH, kW] = kernel;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, top, left } = info;
  const rows = n * outH * outW;
  const plane = n * inH * inW;
  const channelsFirst = new Float32Array(inC * plane);
  transpose2d(input, plane, inC, channelsFirst);
  if (sh === 1 && sw === 1 && dh === 1 && dw === 1 && outW === inW && outH === inH) {
    // Stride 1, output as large as the input ('same'): each row of the result is one input
    // channel's whole plane shifted by (i − top)·W + (j − left), so one copy per row; then zeros
    // where a tap falls above/below its image (whole output rows y) or left/right of it (columns).
    for (let i = 0; i < kH; i++) {
      const dy = i - top;
      for (let j = 0; j < kW; j++) {
        const cut = j - left;
        const shift = dy * inW + cut;
        const first = Math.max(0, Math.min(rows, -shift));
        const end = Math.max(first, Math.min(rows, rows - shift));
        for (let k = 0; k < inC; k++) {
          const to = ((i * kW + j) * inC + k) * rows;
          const from = k * plane + shift;
          out.set(channelsFirst.subarray(from + first, from + end), to + first);
          for (let d = 0; d < first; d++) out[to + d] = 0;
          for (let d = end; d < rows; d++) out[to + d] = 0;
          for (let b = 0; b < n; b++) {
            const image = to + b * outH * outW;
            if (dy < 0) for (let d = 0; d < Math.min(outH, -dy) * outW; d++) out[image + d] = 0;
            else if (dy > 0) for (let d = Math.max(0, outH - dy) * outW; d < outH * outW; d++) out[image + d] = 0;
            if (cut < 0) {
              for (let y = 0; y < outH; y++) for (let x = 0; x < Math.min(-cut, outW); x++) out[image + y * outW + x] = 0;
            } else if (cut > 0) {
              for (let y = 0; y < outH; y++) for (let x = Math.max(0, outW - cut); x < outW; x++) out[image + y * outW + x] = 0;
            }
          }
        }
      }
    }
    return;
  }
  if (sh === 1 && sw === 1 && dh === 1 && dw === 1 && outW === inW) {
    // Stride 1, rows as wide as the input's: within an image, output pixel d reads input pixel
    // d + shift, shift = (i − top)·W + (j − left): one copy per image, then zeros for the taps
    // that fall above/below the image (outside the copied range) or left/right of it (columns).
    const length = outH * outW;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const shift = (i - top) * inW + (j - left);
        const first = Math.max(0, Math.min(length, -shift));
        const end = Math.max(first, Math.min(length, inH * inW - shift));
        const cut = j - left; // < 0: the first −cut columns are padding; > 0: the last cut
        for (let k = 0; k < inC; k++) {
          const rowBase = ((i * kW + j) * inC + k) * rows;
          for (let b = 0; b < n; b++) {
            const to = rowBase + b * length;
            const from = k * plane + b * inH * inW + shift;
            for (let d = 0; d < first; d++) out[to + d] = 0;
            for (let d = end; d < length; d++) out[to + d] = 0;
            if (end - first > 64) out.set(channelsFirst.subarray(from + first, from + end), to + first);
            else for (let d = first; d < end; d++) out[to + d] = channelsFirst[from + d];
            if (cut < 0) {
              for (let y = 0; y < outH; y++) for (let x = 0; x < Math.min(-cut, outW); x++) out[to + y * outW + x] = 0;
            } else if (cut > 0) {
              for (let y = 0; y < outH; y++) for (let x = Math.max(0, outW - cut); x < outW; x++) out[to + y * outW + x] = 0;
            }
          }
        }
      }
    }
    return;
  }
  for (let i = 0; i < kH; i++) {
    for (let j = 0; j < kW; j++) {
      // The output columns x whose tap lies inside the input: xFirst ≤ x < xEnd.
      const c0 = j * dw - left;
      const xFirst = Math.min(outW, c0 >= 0 ? 0 : Math.ceil(-c0 / sw));
      const xEnd = Math.max(xFirst, Math.min(outW, Math.ceil((inW - c0) / sw)));
      for (let k = 0; k < inC; k++) {
        const rowBase = ((i * kW + j) * inC + k) * rows;
        const channel = k * plane;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < outH; y++) {
            const to = rowBase + (b * outH + y) * outW;
            const r = y * sh + i * dh - top;
            // (Loops, not fill(): a builtin call per few elements costs more than the copy.)
            if (r < 0 || r >= inH) {
              for (let x = 0; x < outW; x++) out[to + x] = 0;
              continue;
            }
            for (let x = 0; x < xFirst; x++) out[to + x] = 0;
            for (let x = xEnd; x < outW; x++) out[to + x] = 0;
            const from = channel + (b * inH + r) * inW + c0;
            if (sw === 1) for (let x = xFirst; x < xEnd; x++) out[to + x] = channelsFirst[from + x];
            else for (let x = xFirst; x < xEnd; x++) out[to + x] = channelsFirst[from + x * sw];
          }
        }
      }
    }
  }
}

/** im2colTransposedInto into a new array. */
export function im2colTransposed(
  input: Float32Array, inShape: readonly number[], outShape: readonly number[], kernel: readonly number[], info: PatchInfo,
): Float32Array {
  const out = new Float32Array(outShape[0] * outShape[1] * outShape[2] * kernel[0] * kernel[1] * inShape[3]);
  im2colTransposedInto(out, input, inShape, outShape, kernel, info);
  return out;
}

/**
 * The filter of the input gradient's convolution: W [kh, kw, Cin, Cout] rotated by 180° with its
 * channels swapped, W'[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co].
 */
export function flipFilter(w: Float32Array, shape: readonly number[], out: Float32Array): void {
  const [kH, kW, inC, outC] = shape;
  for (let i = 0; i < kH; i++) for (let j = 0; j < kW; j++) {
    const from = ((kH - 1 - i) * kW + (kW - 1 - j)) * inC * outC;
    const to = (i * kW + j) * outC * inC;
    for (let c = 0; c < inC; c++) for (let o = 0; o < outC; o++) out[to + o * inC + c] = w[from + c * outC + o];
  }
}

/** dy [N, H, W, C] with stride−1 zeros between pixels: [N, (H−1)·sh + 1, (W−1)·sw + 1, C]. */
export function dilateInto(dy: Float32Array, shape: readonly number[], sh: number, sw: number, out: Float32Array): void {
  const [n, h, w, c] = shape;
  const dh = (h - 1) * sh + 1;
  const dw = (w - 1) * sw + 1;
  out.fill(0);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const from = ((b * h + y) * w + x) * c;
    const to = ((b * dh + y * sh) * dw + x * sw) * c;
    for (let k = 0; k < c; k++) out[to + k] = dy[from + k];
  }
}

/**
 * Copies `runs` runs of `length` floats: run r from src[srcOffset + r·srcStride] to
 * dst[dstOffset + r·dstStride]. Short runs by a loop: a TypedArray.set per run of a few
 * channels (what wasm's Concat and Slice do) costs several times the copy itself.
 */
export function copyRuns(
  src: Float32Array, srcOffset: number, srcStride: number, dst: Float32Array, dstOffset: number, dstStride: number, runs: number, length: number,
): void {
  if (length >= 64) {
    for (let r = 0; r < runs; r++) {
      const from = srcOffset + r * srcStride;
      dst.set(src.subarray(from, from + length), dstOffset + r * dstStride);
    }
    return;
  }
  for (let r = 0; r < runs; r++) {
    const from = srcOffset + r * srcStride;
    const to = dstOffset + r * dstStride;
    for (let k = 0; k < length; k++) dst[to + k] = src[from + k];
  }
}

/**
 * out[o, i] = Σ_r x[o, r, i] for x viewed as [outer, reduced, inner], in float64 (JS numbers),
 * four rows at a time. The reduction over a block of axes that are not the innermost, e.g. a
 * bias's gradient (Σ over N, H, W) or GroupNorm's per-(image, channel) sums: wasm's Sum first
 * moves the block to the end with its generic Transpose, 2–10× slower than this.
 */
export function sumMiddle(x: Float32Array, outer: number, reduced: number, inner: number, out: Float32Array): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * reduced * inner;
    let r = 0;
    for (; r + 4 <= reduced; r += 4) {
      const a = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i] += x[a + i] + x[a + inner + i] + x[a + 2 * inner + i] + x[a + 3 * inner + i];
    }
    for (; r < reduced; r++) {
      const a = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i] += x[a + i];
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
  }
}

/**
 * UnsortedSegmentSum for wasm, which has none: it is the gradient of gather (LOCA gathers the
 * kept reference tokens and the query tokens), so without it LOCA could not train there.
 * out[segment, ...] = Σ_{i: ids[i] = segment} x[i, ...]; ids outside [0, segments) are dropped.
 */
export function unsortedSegmentSum(x: Float32Array, rows: number, ids: Int32Array, segments: number): Float32Array {
  const inner = rows === 0 ? 0 : x.length / rows;
  const out = new Float32Array(segments * inner);
  for (let i = 0; i < rows; i++) {
    const id = ids[i];
    if (id < 0 || id >= segments) continue;
    const from = i * inner;
    const to = id * inner;
    for (let k = 0; k < inner; k++) out[to + k] += x[from + k];
  }
  return out;
}
