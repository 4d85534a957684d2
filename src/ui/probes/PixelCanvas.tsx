/**
 * One image or map as crisp squares: `side` CSS pixels wide, its backing store a whole multiple
 * of the image size (at the device pixel ratio), so every pixel of a 16 px image is an even
 * block. With a `label` it is an image to assistive technology; without, decoration.
 */
import { useEffect, useRef } from 'react';
import { scheduleDraw } from '../drawQueue';
import { blitScaled, upscale } from './canvas';

export interface PixelCanvasProps {
  rgba: Uint8ClampedArray<ArrayBuffer>;
  size: number;
  side: number;
  className?: string;
  testid?: string;
  /** Which cell of a table this canvas is (data-part, for tests and styles). */
  part?: string;
  label?: string;
}

export function PixelCanvas({ rgba, size, side, className, testid, part, label }: PixelCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => scheduleDraw(ref, () => {
    const canvas = ref.current;
    if (!canvas || size <= 0) return;
    const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
    const backing = size * upscale(size, side * dpr);
    // Resizing clears and reallocates the canvas: only when the size changes (the blit covers it all).
    if (canvas.width !== backing) canvas.width = backing;
    if (canvas.height !== backing) canvas.height = backing;
    const ctx = canvas.getContext('2d');
    if (ctx) blitScaled(ctx, rgba, size, size);
  }), [rgba, size, side]);
  return (
    <canvas
      ref={ref} className={`pixel-canvas${className ? ` ${className}` : ''}`} style={{ width: side, height: side }}
      data-testid={testid} data-part={part}
      {...(label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true })}
    />
  );
}
