/**
 * "Crops of this step": one training image with every crop's box on it, then the crops as the
 * network saw them (after flip and colour augmentation), at their relative scale.
 */
import { useEffect, useRef } from 'react';
import './probes.css';
import { selectProbe, useAppStore } from '../../state/store';
import type { CropView, CropsProbe } from '../../methods/probes';
import { imageToRgba } from './draw';
import { MARK_COLORS } from '../../methods/palette';
import { scheduleDraw } from '../drawQueue';
import { blitScaled, upscale } from './canvas';

const selectCrops = selectProbe('crops');

// The two global crops take the first two mark colours, the local crops the rest.
const GLOBAL_COLORS = MARK_COLORS.slice(0, 2);
const LOCAL_COLORS = MARK_COLORS.slice(2);
const GLOBAL_CSS_PX = 128; // a global crop's displayed side; local crops scale from it

interface Labelled {
  crop: CropView;
  caption: string;
  color: string;
}

/** Captions and colours: globals and locals numbered separately, in payload order. */
function labelCrops(crops: readonly CropView[]): Labelled[] {
  let globals = 0;
  let locals = 0;
  return crops.map((crop) => {
    const isGlobal = crop.role === 'global';
    const n = isGlobal ? globals++ : locals++;
    const color = isGlobal ? GLOBAL_COLORS[n % GLOBAL_COLORS.length] : LOCAL_COLORS[n % LOCAL_COLORS.length];
    return { crop, caption: `${crop.role} ${n + 1}`, color };
  });
}

export function CropsView() {
  const probe = useAppStore(selectCrops);
  const originalRef = useRef<HTMLCanvasElement>(null);
  const cropRefs = useRef<(HTMLCanvasElement | null)[]>([]);

  useEffect(() => {
    if (!probe) return;
    const labelled = labelCrops(probe.crops);
    const cancels = [
      scheduleDraw(originalRef, () => {
        if (originalRef.current) drawOriginal(originalRef.current, probe, labelled);
      }),
      scheduleDraw(cropRefs, () => labelled.forEach(({ crop }, i) => {
        const canvas = cropRefs.current[i];
        if (!canvas) return;
        canvas.width = crop.size;
        canvas.height = crop.size;
        // Native resolution; CSS scales it up pixelated.
        canvas.getContext('2d')?.putImageData(new ImageData(imageToRgba(crop.pixels, 0, crop.size), crop.size, crop.size), 0, 0);
      })),
    ];
    return () => cancels.forEach((cancel) => cancel());
  }, [probe]);

  if (!probe) {
    return (
      <section className="probe-view" data-testid="crops-view">
        <p className="probe-view__empty">Crops appear when the run starts</p>
      </section>
    );
  }

  const labelled = labelCrops(probe.crops);
  const globalSize = Math.max(1, ...probe.crops.filter((c) => c.role === 'global').map((c) => c.size));

  return (
    <section className="probe-view" data-testid="crops-view">
      <p className="probe-view__caption">
        {probe.crops.some((crop) => crop.role === 'local')
          ? `Crops of step ${probe.step}: global crops (solid) go to teacher and student, local crops (dashed) to the student only.`
          : `Views of step ${probe.step}: the two augmented views of one image that the loss compared.`}
      </p>
      <div className="crops-layout">
        <figure className="crops-original">
          <canvas
            ref={originalRef} className="pixel-canvas crops-original__canvas" role="img"
            aria-label={`Training image with ${probe.crops.length} crop boxes`}
          />
          <figcaption>original</figcaption>
        </figure>
        <ul className="crops-list">
          {labelled.map(({ crop, caption, color }, i) => {
            const px = Math.round((GLOBAL_CSS_PX * crop.size) / globalSize);
            return (
              <li key={i} className="crops-list__item">
                <canvas
                  ref={(el) => { cropRefs.current[i] = el; }}
                  className="pixel-canvas crops-list__canvas"
                  style={{ width: px, height: px, borderColor: color, borderStyle: crop.role === 'global' ? 'solid' : 'dashed' }}
                  role="img" aria-label={`${caption}${crop.flipped ? ', flipped' : ''}`}
                />
                <span className="probe-view__metric">
                  {caption}
                  {crop.flipped && <span className="crops-list__flip"> ↔ flipped</span>}
                </span>
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}

/** The original, upscaled, with each crop's box. Boxes run through pixel centres: see CropView.box. */
function drawOriginal(canvas: HTMLCanvasElement, probe: CropsProbe, labelled: readonly Labelled[]): void {
  const size = probe.imageSize;
  const k = upscale(size);
  canvas.width = size * k;
  canvas.height = size * k;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  blitScaled(ctx, imageToRgba(probe.original, 0, size), size, size);
  const last = size - 1;
  ctx.lineWidth = Math.max(2, (size * k) / 96);
  // Locals first so the two global boxes stay on top.
  const order = [...labelled].sort((a, b) => Number(a.crop.role === 'global') - Number(b.crop.role === 'global'));
  for (const { crop, color } of order) {
    const [y1, x1, y2, x2] = crop.box;
    // Pixel rows y1·(H−1) … y2·(H−1) inclusive: the rectangle ends one pixel past the last centre.
    const top = y1 * last * k;
    const left = x1 * last * k;
    const bottom = (y2 * last + 1) * k;
    const right = (x2 * last + 1) * k;
    ctx.strokeStyle = color;
    ctx.setLineDash(crop.role === 'global' ? [] : [ctx.lineWidth * 2, ctx.lineWidth * 1.5]);
    // Inset by half a line so the stroke stays inside the crop's pixels.
    const inset = ctx.lineWidth / 2;
    ctx.strokeRect(left + inset, top + inset, right - left - 2 * inset, bottom - top - 2 * inset);
  }
  ctx.setLineDash([]);
}
