/**
 * Small canvas helpers shared by the probe views: blit RGBA bytes scaled up without smoothing
 * (pixels and patches stay crisp squares, as the network saw them).
 */

/**
 * One small canvas every blit goes through: a fresh canvas and context per blit cost more than
 * the blit itself (and garbage for the collector), and views draw dozens per probe.
 */
let scratch: CanvasRenderingContext2D | null = null;

/** Draws w×h RGBA bytes over the target rectangle (default: the whole canvas), nearest-neighbour. */
export function blitScaled(
  ctx: CanvasRenderingContext2D, rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number,
  dx = 0, dy = 0, dw = ctx.canvas.width, dh = ctx.canvas.height,
): void {
  scratch ??= document.createElement('canvas').getContext('2d')!;
  const source = scratch.canvas;
  // Only grown: resizing a canvas clears and reallocates it.
  if (source.width < width) source.width = width;
  if (source.height < height) source.height = height;
  scratch.putImageData(new ImageData(rgba, width, height), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, width, height, dx, dy, dw, dh);
}

/** Backing-store scale so a size-pixel image fills about `target` device pixels in whole steps. */
export function upscale(size: number, target = 256): number {
  return Math.max(1, Math.round(target / size));
}

/** An RGB triple of bytes. */
export type Rgb = readonly [number, number, number];

/** A float in [0, 1] (clipped; NaN → 0, ±∞ → the nearer end) as a byte. */
export const toByte = (v: number) => (Number.isFinite(v) ? Math.round(Math.min(Math.max(v, 0), 1) * 255) : v > 0 ? 255 : 0);

/** Linear interpolation through evenly spaced stops at t in [0, 1] (already clamped). */
export function ramp(stops: readonly Rgb[], t: number): [number, number, number] {
  const x = t * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

/** Greatest common divisor (cell sides that are whole multiples of several map sizes). */
export const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
