/**
 * iTPN's (and its MAE baseline's) masked image modeling on the fixed probe images: per image the
 * original, the masked input the encoder gets, the reconstruction with the visible patches pasted
 * back, the raw prediction, the error (scored only at masked patches), and what each pyramid level
 * computes from the visible patches. The masks are the same every probe, so only the prediction
 * changes. Above it, when the mask-ratio setting differs from the probe's, a preview computed on the
 * page of the masked inputs at the new ratio, from each image's fixed patch order.
 */
import { useEffect, useMemo, useRef, useState, type CSSProperties, type RefObject } from 'react';
import './probes.css';
import './reconstruction.css';
import { selectValues, selectProbe, useAppStore } from '../../state/store';
import { ERROR_STOPS, imageToRgba as imageRgba } from './denoisingDraw';
import { formatLoss, gradientCss } from './featureDraw';
import { PixelCanvas } from './PixelCanvas';
import { ImageTable, type ImageColumn, type ImageRow } from './ImageTable';
import {
  RECON_ERROR_MAX, errorRgba, formatRatio, levelRgba, maskRatioSetting, maskedAtRatio,
  maskedInputRgba, pastedReconstructionRgba, reconstructionCellSide, reconstructionSummary, visibleCount,
} from './reconstructionDraw';

/** The store holds the latest reconstruction probe of the focused run. */
const selectReconstruction = selectProbe('reconstruction');

/** Gap between cells, px (set as --reconstruction-gap and --image-table-gap). */
const GAP = 6;

type Column = ImageColumn;

type Rgba = Uint8ClampedArray<ArrayBuffer>;

const fixedColumns = (ratio: number, visible: number, patches: number): Column[] => [
  { role: 'original', title: 'original', symbol: 'x', help: 'The probe image' },
  {
    role: 'masked', title: 'masked input', symbol: `${visible} of ${patches} seen`,
    help: `What the encoder gets: only the visible patches (a fraction 1 − ${formatRatio(ratio)}); the ${patches - visible} masked patches are drawn grey`,
  },
  {
    role: 'reconstruction', title: 'reconstruction', symbol: 'x̂ + visible',
    help: 'The decoder’s prediction at the masked patches (un-normalised with each patch’s own mean and std) with the original visible patches pasted back in',
  },
  {
    role: 'prediction', title: 'raw prediction', symbol: 'x̂, all patches',
    help: 'The decoder’s prediction at every patch, visible ones too (they are not scored), clipped to [0, 1] to draw',
  },
  {
    role: 'error', title: 'error', symbol: '(x̂ − x)², norm.',
    help: `Per pixel squared error in per-patch-normalised units, mean over colour channels: white is exact, dark red is ${RECON_ERROR_MAX} or more (1 = predicting the patch mean). Only masked patches count for the loss; visible ones are faded and hatched`,
  },
];

export function ReconstructionView() {
  const probe = useAppStore(selectReconstruction);
  const values = useAppStore(selectValues);
  const ratio = maskRatioSetting(values.maskRatio);

  const summary = useMemo(() => (probe ? reconstructionSummary(probe) : null), [probe]);
  const rows = useMemo(() => {
    if (!probe) return [];
    const { images, masked, imageSize: size, patchSize: patch, grid } = probe;
    return Array.from({ length: probe.count }, (_, i): Record<string, Rgba> => {
      const row: Record<string, Rgba> = {
        original: imageRgba(images, size, i),
        masked: maskedInputRgba(images, masked, size, patch, grid, i),
        reconstruction: pastedReconstructionRgba(images, probe.reconstruction, masked, size, patch, grid, i),
        prediction: imageRgba(probe.reconstruction, size, i),
        error: errorRgba(probe.error, masked, size, patch, grid, i),
      };
      probe.levels.forEach((level, l) => { row[`level-${l}`] = levelRgba(level, masked, grid, i); });
      return row;
    });
  }, [probe]);
  const previewRatio = probe && ratio !== undefined && Math.abs(ratio - probe.maskRatio) > 1e-9 ? ratio : undefined;
  const preview = useMemo(() => {
    if (!probe || previewRatio === undefined) return null;
    const { images, imageSize: size, patchSize: patch, grid, count } = probe;
    const patches = grid * grid;
    const keep = visibleCount(patches, previewRatio);
    if (keep === 0 || keep === patches) return { keep, patches, images: [] as Rgba[] };
    const masked = maskedAtRatio(probe.order, count, patches, previewRatio);
    return { keep, patches, images: Array.from({ length: count }, (_, i) => maskedInputRgba(images, masked, size, patch, grid, i)) };
  }, [probe, previewRatio]);

  const scroller = useRef<HTMLDivElement>(null);
  const overflows = useOverflow(scroller, probe);

  if (!probe || !summary) return null;

  const size = probe.imageSize;
  const patches = summary.patches;
  const columns: Column[] = [
    ...fixedColumns(probe.maskRatio, probe.visible, patches),
    ...probe.levels.map((level, l): Column => ({
      role: `level-${l}`, title: level.name,
      symbol: Number.isFinite(level.featureLoss) ? `MFM ${formatLoss(level.featureLoss)}` : `${level.size}×${level.size}`,
      help: `Pyramid level ${l + 1} of ${probe.levels.length} (coarse → fine), ${level.size}×${level.size}, ${level.channels} channels, ${level.perPatch}×${level.perPatch} per patch: what the encoder${probe.pyramid ? ' and feature pyramid' : ''} compute from the visible patches only, as colour. Light grey patches were masked: never seen.${Number.isFinite(level.featureLoss) ? ` MFM: this level’s masked feature modeling loss on the probe images (${formatLoss(level.featureLoss)}).` : ''}`,
    })),
  ];
  const side = reconstructionCellSide([size, ...probe.levels.map((l) => l.size)], columns.length, { gap: GAP });
  const method = probe.pyramid ? 'iTPN' : 'MAE (iTPN with the pyramid off)';

  return (
    <section
      className="probe-view reconstruction-view" data-testid="reconstruction-view"
      data-step={probe.step} data-mask-ratio={probe.maskRatio} data-mse={probe.mse}
      style={{ '--reconstruction-gap': `${GAP}px`, '--image-table-gap': `${GAP}px` } as CSSProperties}
    >
      <p className="probe-view__caption">
        {method} hides a fraction {formatRatio(probe.maskRatio)} of each image’s {patches} patches: the encoder sees only
        the visible ones (a fraction 1 − {formatRatio(probe.maskRatio)}, here {probe.visible} of {patches}). The decoder
        predicts the pixels of the masked patches; its target is normalised per patch, so the view un-normalises the
        prediction with each patch’s own mean and std — one number each over all its pixels and colours, so a patch’s
        brightness and contrast come from the image, and its colours and shapes from the network. The pyramid levels are what the encoder
        {probe.pyramid ? ' and its feature pyramid compute' : ' computes'} from the visible patches alone (light grey:
        masked, never seen). With the pyramid off it is the plain-ViT MAE baseline, with one level. The masks are the
        same every probe, so what changes is the prediction.
      </p>

      {preview && previewRatio !== undefined && (
        <div
          className="setting-preview reconstruction-preview" data-testid="reconstruction-preview" data-mask-ratio={previewRatio}
          role="group" aria-label={`Preview of the masked inputs at mask ratio ${formatRatio(previewRatio)}`}
        >
          <p className="setting-preview__title">
            <span className="setting-preview__badge">Preview</span>
            <span>
              At mask ratio <b>{formatRatio(previewRatio)}</b>: {preview.keep} of {preview.patches} patches visible.{' '}
              <span className="setting-preview__note">
                Drawn here from each image’s fixed patch order, no prediction; the probe below was taken at ratio{' '}
                {formatRatio(probe.maskRatio)}.
              </span>
            </span>
          </p>
          {preview.images.length ? (
            <ul className="setting-preview__list reconstruction-preview__list">
              {preview.images.map((rgba, i) => (
                <li key={i}>
                  <figure className="probe-figure">
                    <ReconstructionCanvas
                      rgba={rgba} size={size} side={side} part="preview"
                      label={`Probe image ${i + 1} masked at ratio ${formatRatio(previewRatio)}, a preview`}
                    />
                    <figcaption className="setting-preview__label">image {i + 1}</figcaption>
                  </figure>
                </li>
              ))}
            </ul>
          ) : (
            <p className="reconstruction-preview__empty" data-testid="reconstruction-preview-empty">
              {preview.keep === 0
                ? `At this ratio no patch of ${preview.patches} stays visible: the encoder would see nothing.`
                : `At this ratio every patch stays visible: nothing is masked, so there is nothing to predict.`}
            </p>
          )}
        </div>
      )}

      {overflows && (
        <p className="reconstruction-scroll-hint" aria-hidden="true">scroll sideways for all {columns.length} columns →</p>
      )}
      <div ref={scroller} className="reconstruction-scroll" role="region" aria-label="Reconstructions per probe image" tabIndex={overflows ? 0 : undefined}>
        <ImageTable
          className="reconstruction-table" columns={columns} side={side}
          rowTestId="reconstruction-row" canvasTestId="reconstruction-canvas"
          rows={rows.map((row, i): ImageRow => ({
            key: i, label: `Probe image ${i + 1}`, data: { 'data-index': i, 'data-mse': summary.imageMse[i] },
            cells: Object.fromEntries(columns.map((c, k) => [c.role, {
              rgba: row[c.role], size: k < 5 ? size : probe.levels[k - 5].size,
              label: `Probe image ${i + 1}, ${c.title} (${c.symbol})${c.role === 'error' ? `, masked-patch MSE ${formatLoss(summary.imageMse[i])}` : ''}`,
              note: c.role === 'error' ? `MSE ${formatLoss(summary.imageMse[i])}` : undefined,
            }])),
          }))}
        />
      </div>

      <div className="probe-legend" aria-hidden="true">
        <span className="probe-legend__item">
          error: <span>0</span>
          <span className="probe-legend__bar" style={{ background: gradientCss(ERROR_STOPS) }} />
          <span>≥ {RECON_ERROR_MAX}</span>
        </span>
        <span className="probe-legend__item">
          <span className="reconstruction-legend__swatch reconstruction-legend__swatch--masked" /> masked patch (input)
        </span>
        <span className="probe-legend__item">
          <span className="reconstruction-legend__swatch reconstruction-legend__swatch--visible" /> visible patch, not scored (error)
        </span>
        {probe.levels.length > 0 && (
          <span className="probe-legend__item">
            <span className="reconstruction-legend__swatch reconstruction-legend__swatch--unseen" /> not seen (levels)
          </span>
        )}
      </div>

      <p className="help probe-readout" data-testid="reconstruction-readout">{summary.text}</p>
    </section>
  );
}

/** Whether the element is narrower than its content (so the table scrolls sideways), kept up to date as it resizes. */
function useOverflow(ref: RefObject<HTMLDivElement | null>, dependency: unknown): boolean {
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setOverflows(el.scrollWidth > el.clientWidth + 1);
    check();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(check);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, dependency]);
  return overflows;
}

/** A preview image: the shared pixel canvas, framed, with the table's test id. */
function ReconstructionCanvas(props: { rgba: Rgba; size: number; side: number; part: string; label: string }) {
  return <PixelCanvas {...props} className="probe-canvas" testid="reconstruction-canvas" />;
}
