import * as tf from '@tensorflow/tfjs';

/**
 * A fast Conv2DBackpropFilter for the CPU backends (tfjs's `cpu`, and `wasm`, which has none).
 *
 * Why: tfjs-backend-cpu 4.22 computes the filter gradient by walking TensorBuffer.get once per
 * multiply-add, ~40× slower than its own Conv2D: on the cpu backend a SimCLR step with a small
 * CNN spent 1.5 s of its 1.9 s there. The wasm backend registers no filter gradient at all,
 * so convolutional methods could not train on it. This kernel is the same sum,
 *   dW[kh, kw, ci, co] = Σ_{n, y, x} in[n, y·s + kh·d − top, x·s + kw·d − left, ci] · dy[n, y, x, co],
 * computed as one matrix product: the input's patches laid out as rows (im2col, zeros where a
 * tap falls in the padding), [N·Ho·Wo, kh·kw·Cin]ᵀ · dy [N·Ho·Wo, Cout], by the backend's own
 * BatchMatMul (XNNPACK on wasm), whose [kh·kw·Cin, Cout] result is dW's layout.
 */
export function im2col(
  input: Float32Array, inShape: readonly number[], outShape: readonly number[], kernel: readonly number[],
  info: { strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number; top: number; left: number },
): Float32Array {
  const [n, inH, inW, inC] = inShape;
  const [, outH, outW] = outShape;
  const [kH, kW] = kernel;
  const rowLength = kH * kW * inC;
  const patches = new Float32Array(n * outH * outW * rowLength);
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++, row++) {
        for (let i = 0; i < kH; i++) {
          const r = y * info.strideHeight + i * info.dilationHeight - info.top;
          if (r < 0 || r >= inH) continue;
          for (let j = 0; j < kW; j++) {
            const c = x * info.strideWidth + j * info.dilationWidth - info.left;
            if (c < 0 || c >= inW) continue;
            const from = ((b * inH + r) * inW + c) * inC;
            const to = row * rowLength + (i * kW + j) * inC;
            for (let k = 0; k < inC; k++) patches[to + k] = input[from + k];
          }
        }
      }
    }
  }
  return patches;
}

interface FilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface CpuLikeBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): boolean;
  /** cpu (the two backends' makeOutput take their arguments in different orders). */
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  /** wasm: copies `values` into its heap. */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
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

/**
 * wasm's BatchMatMul (and _FusedMatMul) with a transposed operand runs ~10× slower than without:
 * [1088, 64]ᵀ·[1088, 192] took 9.8 ms against 0.8 ms for an explicit Transpose and a plain
 * product (XNNPACK's packed GEMM wants row-major operands). Every linear layer's backward pass
 * multiplies by a transpose (dA = dY·Bᵀ, dB = Aᵀ·dY), so on wasm the ViT methods spent most of
 * a step there. This wraps the two kernels: transposed operands are transposed explicitly first.
 */
function wrapTransposedMatMul(kernelName: 'BatchMatMul' | '_FusedMatMul'): void {
  const original = tf.getKernel(kernelName, 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
      const temporaries: tf.TensorInfo[] = [];
      const upright = (x: tf.TensorInfo) => {
        const rank = x.shape.length;
        const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
        const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        temporaries.push(out);
        return out;
      };
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const result = original.kernelFunc({
        inputs: { ...inputs, a: transposeA ? upright(a) : a, b: transposeB ? upright(b) : b },
        backend, attrs: { ...attrs, transposeA: false, transposeB: false },
      });
      for (const t of temporaries) (backend as unknown as CpuLikeBackend).disposeData(t.dataId);
      return result;
    },
  });
}

const registered = new Set<string>();

/** Registers the kernel for `backend` ('cpu' or 'wasm'), replacing tfjs's own; idempotent. */
export function registerCpuKernels(backend: 'cpu' | 'wasm'): void {
  if (registered.has(backend)) return;
  registered.add(backend);
  if (tf.getKernel('Conv2DBackpropFilter', backend)) tf.unregisterKernel('Conv2DBackpropFilter', backend);
  const matMul = tf.getKernel('BatchMatMul', backend)!.kernelFunc;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: backend,
    kernelFunc: ({ inputs, backend: b, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as FilterAttrs;
      if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const be = b as unknown as CpuLikeBackend;
      const make = (shape: number[], values: Float32Array) =>
        backend === 'wasm' ? be.makeOutput(shape, 'float32', undefined, values) : be.makeTensorInfo!(shape, 'float32', values);
      const [n, outH, outW, outC] = dy.shape;
      const rows = n * outH * outW;
      const patches = make([1, rows, filterShape[0] * filterShape[1] * filterShape[2]], im2col(
        be.readSync(x.dataId) as Float32Array, x.shape, dy.shape, filterShape, { ...info, top: info.padInfo.top, left: info.padInfo.left }));
      const grads = make([1, rows, outC], be.readSync(dy.dataId) as Float32Array);
      const product = matMul({ inputs: { a: patches, b: grads }, backend: b, attrs: { transposeA: true, transposeB: false } }) as tf.TensorInfo;
      const values = Float32Array.from(be.readSync(product.dataId) as Float32Array);
      for (const t of [patches, grads, product]) be.disposeData(t.dataId);
      if (backend === 'wasm') return be.makeOutput([...filterShape], 'float32', undefined, values);
      return be.makeTensorInfo!([...filterShape], 'float32', values);
    },
  });
  if (backend === 'wasm') {
    wrapTransposedMatMul('BatchMatMul');
    wrapTransposedMatMul('_FusedMatMul');
  }
  if (backend === 'wasm' && !tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend: b, attrs }) => {
        const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
        const { numSegments } = attrs as unknown as { numSegments: number };
        if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm: float32 only, got ${x.dtype}`);
        const be = b as unknown as CpuLikeBackend;
        const ids = Int32Array.from(be.readSync(segmentIds.dataId) as Int32Array | Float32Array);
        const rows = ids.length;
        // tfjs passes ids for the leading dimensions of x (flattened): the rest is one row each.
        const values = unsortedSegmentSum(be.readSync(x.dataId) as Float32Array, rows, ids, numSegments);
        const rowShape = x.shape.slice(segmentIds.shape.length);
        return be.makeOutput([numSegments, ...rowShape], 'float32', undefined, values);
      },
    });
  }
}
