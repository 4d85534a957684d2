import * as tf from '@tensorflow/tfjs';
import { copyRuns, dilateInto, flipFilter, im2colTransposedInto, sumMiddle, unsortedSegmentSum } from './cpuArrays';

/**
 * Fast convolution gradients for the CPU backends (tfjs's `cpu`, and `wasm`).
 *
 * Conv2DBackpropFilter. Why: tfjs-backend-cpu 4.22 computes the filter gradient by walking
 * TensorBuffer.get once per multiply-add, ~40× slower than its own Conv2D: on the cpu backend a
 * SimCLR step with a small CNN spent 1.5 s of its 1.9 s there. The wasm backend registers no
 * filter gradient at all, so convolutional methods could not train on it. This kernel is the same sum,
 *   dW[kh, kw, ci, co] = Σ_{n, y, x} in[n, y·s + kh·d − top, x·s + kw·d − left, ci] · dy[n, y, x, co],
 * computed as one matrix product: the input's patches laid out as columns (im2col, transposed;
 * zeros where a tap falls in the padding), Pᵀ [kh·kw·Cin, N·Ho·Wo], times dy [N·Ho·Wo, Cout], by
 * the backend's own BatchMatMul (XNNPACK on wasm), whose [kh·kw·Cin, Cout] result is dW's layout.
 * The operands are laid out for wasm's product: both upright (a transposed operand, or wasm's
 * Transpose of the patch matrix, each cost several times the product itself), and the big fresh
 * patch matrix first — XNNPACK packs the second operand as weights on every call, which for the
 * patch matrix cost ~7× the product. On wasm the patches are written straight into the heap.
 *
 * Conv2DBackpropInput (wasm). Why: wasm's own is a plain C++ loop, ~15× slower than its XNNPACK
 * Conv2D of the same size; a U-Net step spent a third of its time there. The input gradient is a
 * forward convolution: of dy, with zeros inserted between its pixels where the stride is > 1, by
 * the filter rotated by 180° with its channels swapped (W'[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co]),
 * padded by kh−1−top above (kw−1−left to the left) and as much below (right) as gives the input's
 * size — run by the backend's Conv2D.
 */

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
  /** wasm: a view of a tensor's data in the heap (invalid after the heap grows, i.e. after any allocation). */
  typedArrayFromHeap?(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/**
 * Float32 tensors of `backend` made and filled in place: `alloc` every output first, then take
 * `view`s (on wasm a view of the heap, which any later allocation may move) and fill them.
 */
function tensorAccess(backend: 'cpu' | 'wasm', be: CpuLikeBackend) {
  return {
    alloc: (shape: number[]): tf.TensorInfo => backend === 'wasm'
      ? be.makeOutput(shape, 'float32')
      : be.makeTensorInfo!(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))),
    view: (t: tf.TensorInfo): Float32Array => (backend === 'wasm'
      ? be.typedArrayFromHeap!(t) : be.readSync(t.dataId)) as Float32Array,
  };
}

/**
 * Registers `kernelFunc` as `name` on `backend`, in place of tfjs's own kernel if it has one,
 * keeping that kernel's setupFunc and disposeFunc (wasm binds its C++ entry points there).
 */
function putKernel(name: string, backend: string, kernelFunc: tf.KernelFunc): void {
  const original = tf.getKernel(name, backend);
  if (original) tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...original, kernelName: name, backendName: backend, kernelFunc });
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
  putKernel(kernelName, 'wasm', ({ inputs, backend, attrs }) => {
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
  });
}

const registered = new Set<string>();

/** Registers the kernel for `backend` ('cpu' or 'wasm'), replacing tfjs's own; idempotent. */
export function registerCpuKernels(backend: 'cpu' | 'wasm'): void {
  if (registered.has(backend)) return;
  registered.add(backend);
  const matMul = tf.getKernel('BatchMatMul', backend)!.kernelFunc;
  putKernel('Conv2DBackpropFilter', backend, ({ inputs, backend: b, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as FilterAttrs;
    if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const be = b as unknown as CpuLikeBackend;
    const { alloc, view } = tensorAccess(backend, be);
    const [n, outH, outW] = dy.shape;
    const rows = n * outH * outW;
    const rowLength = filterShape[0] * filterShape[1] * filterShape[2];
    const columns = alloc([1, rowLength, rows]);
    im2colTransposedInto(view(columns), view(x), x.shape, dy.shape, filterShape, { ...info, top: info.padInfo.top, left: info.padInfo.left });
    const grads = { dataId: dy.dataId, shape: [1, rows, dy.shape[3]], dtype: dy.dtype };
    // [kh·kw·Cin, rows] · [rows, Cout]: both upright, and the fresh operand first (see above).
    const product = matMul({ inputs: { a: columns, b: grads }, backend: b, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    be.disposeData(columns.dataId);
    // [1, kh·kw·Cin, Cout] is dW's layout: the product's data under the filter's shape.
    const out = { dataId: product.dataId, shape: [...filterShape], dtype: product.dtype };
    return out;
  });
  if (backend === 'wasm') {
    const conv2d = tf.getKernel('Conv2D', 'wasm')!.kernelFunc;
    const original = tf.getKernel('Conv2DBackpropInput', 'wasm');
    putKernel('Conv2DBackpropInput', 'wasm', (args) => {
      const { inputs, backend: b, attrs } = args;
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
        strides: number | [number, number]; pad: FilterAttrs['pad']; dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number];
      };
      const [kH, kW, inC, outC] = filter.shape as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(
        inputShape, [kH, kW, inC, outC], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const { strideHeight: sh, strideWidth: sw } = info;
      const [, inH, inW] = inputShape;
      const [n, outH, outW] = dy.shape;
      const dilatedH = (outH - 1) * sh + 1;
      const dilatedW = (outW - 1) * sw + 1;
      const top = kH - 1 - info.padInfo.top;
      const left = kW - 1 - info.padInfo.left;
      const bottom = inH + kH - 1 - dilatedH - top;
      const right = inW + kW - 1 - dilatedW - left;
      if (dataFormat !== 'NHWC' || !original || dy.dtype !== 'float32' || Math.min(top, left, bottom, right) < 0) {
        if (!original) throw new Error('Conv2DBackpropInput: unsupported on wasm');
        return original.kernelFunc(args);
      }
      const be = b as unknown as CpuLikeBackend;
      const { alloc, view } = tensorAccess('wasm', be);
      const flipped = alloc([kH, kW, outC, inC]);
      const dilated = sh > 1 || sw > 1 ? alloc([n, dilatedH, dilatedW, outC]) : null;
      flipFilter(view(filter), filter.shape, view(flipped));
      if (dilated) dilateInto(view(dy), dy.shape, sh, sw, view(dilated));
      const dx = conv2d({
        inputs: { x: dilated ?? dy, filter: flipped }, backend: b,
        attrs: { strides: 1, dilations: 1, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' },
      }) as tf.TensorInfo;
      // Disposing the filter also drops the XNNPACK operator wasm cached for it.
      be.disposeData(flipped.dataId);
      if (dilated) be.disposeData(dilated.dataId);
      return dx;
    });
  }
  if (backend === 'wasm') {
    wrapTransposedMatMul('BatchMatMul');
    wrapTransposedMatMul('_FusedMatMul');
  }
  if (backend === 'wasm') {
    // wasm's Identity copies its input; the engine clones (Identity) every tensor a gradient
    // saves, so a U-Net step copied ~300 activations (~10 % of its time). Tensors are immutable:
    // the clone shares the data, as on the cpu and WebGL backends (and as wasm's own Reshape does).
    const identity = tf.getKernel('Identity', 'wasm');
    if (identity) {
      putKernel('Identity', 'wasm', (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        if (x.dtype === 'string') return identity.kernelFunc(args);
        (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
      });
    }
  }
  if (backend === 'wasm') {
    // Concat and SplitV (concat's gradient) along an inner axis: wasm's copy one run per outer
    // index with TypedArray.set, ~5 ms for a U-Net skip concat of [64, 16, 16, 16 + 32].
    const concat = tf.getKernel('Concat', 'wasm');
    const splitV = tf.getKernel('SplitV', 'wasm');
    if (concat && splitV) {
      putKernel('Concat', 'wasm', (args) => {
        const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) => t.shape.every((d) => d > 0));
        if (inputs.length < 2 || inputs.some((t) => t.dtype !== 'float32')) return concat.kernelFunc(args);
        const { axis: rawAxis } = args.attrs as unknown as { axis: number | number[] };
        const axis = tf.util.parseAxisParam(rawAxis, inputs[0].shape)[0];
        const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
        const outer = outShape.slice(0, axis).reduce((a, b) => a * b, 1);
        const inner = outShape.slice(axis).reduce((a, b) => a * b, 1);
        const be = args.backend as unknown as CpuLikeBackend;
        const { alloc, view } = tensorAccess('wasm', be);
        const out = alloc(outShape);
        const outValues = view(out);
        let offset = 0;
        for (const t of inputs) {
          const length = t.shape.slice(axis).reduce((a, b) => a * b, 1);
          copyRuns(view(t), 0, length, outValues, offset, inner, outer, length);
          offset += length;
        }
        return out;
      });
      putKernel('SplitV', 'wasm', (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        const { numOrSizeSplits, axis: rawAxis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
        if (x.dtype !== 'float32') return splitV.kernelFunc(args);
        const axis = tf.util.parseAxisParam(rawAxis, x.shape)[0];
        const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, axis);
        const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        const after = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        const inner = x.shape[axis] * after;
        const be = args.backend as unknown as CpuLikeBackend;
        const { alloc, view } = tensorAccess('wasm', be);
        const outs = sizes.map((size) => alloc(x.shape.map((d, i) => (i === axis ? size : d))));
        const xValues = view(x);
        let offset = 0;
        sizes.forEach((size, i) => {
          copyRuns(xValues, offset, inner, view(outs[i]), 0, size * after, outer, size * after);
          offset += size * after;
        });
        return outs;
      });
    }
  }
  if (backend === 'wasm') {
    const sum = tf.getKernel('Sum', 'wasm');
    if (sum) {
      putKernel('Sum', 'wasm', (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
        const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
        const rank = x.shape.length;
        const first = axes[0];
        const last = axes[axes.length - 1];
        // A contiguous block of axes that is not the innermost; any other reduction as wasm does it.
        if (x.dtype !== 'float32' || axes.length === 0 || last - first + 1 !== axes.length || last === rank - 1) {
          return sum.kernelFunc(args);
        }
        const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
        const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
        const { alloc, view } = tensorAccess('wasm', args.backend as unknown as CpuLikeBackend);
        const out = alloc(outShape);
        sumMiddle(view(x), size(x.shape.slice(0, first)), size(x.shape.slice(first, last + 1)), size(x.shape.slice(last + 1)), view(out));
        return out;
      });
    }
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
