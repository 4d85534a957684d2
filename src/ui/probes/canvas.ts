/**
 * Small canvas helpers shared by the probe views: blit RGBA bytes scaled up without smoothing
 * (pixels and patches stay crisp squares, as the network saw them).
 */

/** Draws w×h RGBA bytes over the whole target canvas, nearest-neighbour. */
export function blitScaled(
  ctx: CanvasRenderingContext2D, rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number,
): void {
  const source = document.createElement('canvas');
  source.width = width;
  source.height = height;
  source.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** Backing-store scale so a size-pixel image fills about `target` device pixels in whole steps. */
export function upscale(size: number, target = 256): number {
  return Math.max(1, Math.round(target / size));
}
