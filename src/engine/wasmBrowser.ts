/**
 * tfjs's WebAssembly backend in the browser (the training worker). Its three binaries are
 * served by Vite as assets; tfjs picks the SIMD one where the browser has SIMD, and the
 * threaded one only on a cross-origin-isolated page (ours is not, so it is never fetched).
 * Loaded on demand: a visitor on a hardware GPU never downloads it.
 */
export async function loadBrowserWasm(): Promise<void> {
  const [wasm, plain, simd, threaded] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'),
  ]);
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': plain.default,
    'tfjs-backend-wasm-simd.wasm': simd.default,
    'tfjs-backend-wasm-threaded-simd.wasm': threaded.default,
  });
}
