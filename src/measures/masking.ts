/**
 * Masked image modeling's patch masks as plain arrays, shared by the engine
 * (engine/losses/mim.ts) and the page (which draws the masked patches): no tfjs, no DOM.
 */

/**
 * Which patches an order masks. `order` is [count, patches]: per image the patch indices in
 * ascending noise order (MAE's ids_shuffle), of which the first `visible` are kept and the rest
 * removed. Returns [count · patches] in raster order, 1 = masked, 0 = kept (MAE's mask).
 * Throws unless every image's row is a permutation of [0, patches).
 */
export function maskedFromOrder(order: Int32Array, count: number, patches: number, visible: number): Uint8Array {
  if (order.length !== count * patches) {
    throw new Error(`maskedFromOrder: order has ${order.length} entries, expected ${count}·${patches}`);
  }
  if (!(visible >= 0 && visible <= patches)) {
    throw new Error(`maskedFromOrder: ${visible} visible of ${patches} patches`);
  }
  const masked = new Uint8Array(count * patches);
  const seen = new Uint8Array(patches);
  for (let b = 0; b < count; b++) {
    seen.fill(0);
    for (let k = 0; k < patches; k++) {
      const patch = order[b * patches + k];
      if (!(patch >= 0 && patch < patches) || seen[patch]) {
        throw new Error(`maskedFromOrder: image ${b}'s order is not a permutation of [0, ${patches})`);
      }
      seen[patch] = 1;
      if (k >= visible) masked[b * patches + patch] = 1;
    }
  }
  return masked;
}
