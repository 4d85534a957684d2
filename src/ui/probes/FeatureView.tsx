/**
 * DreamTeacher's feature view: for one probe image (picked above), per pyramid level, the
 * generative teacher's decoder features beside the student's regressed ones (both on the teacher's
 * PCA basis, as RGB), their attention maps, and the per-position squared error, with the level's
 * losses. Every level is drawn at the same size, so a coarse level's pixels look bigger.
 */
import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import './probes.css';
import './features.css';
import { selectProbe, useAppStore } from '../../state/store';
import type { FeatureProbe } from '../../methods/probes';
import { PixelCanvas } from './PixelCanvas';
import { ImageTable, type ImageColumn, type ImageRow } from './ImageTable';
import { ERROR_STOPS } from './denoisingDraw';
import {
  HEAT_STOPS, errorToRgbaScaled, featureCellSide, featureSummary, formatLoss, gradientCss, heatToRgba, rgbToRgba,
} from './featureDraw';

/** The latest feature probe of the focused run. */
const selectFeatures = selectProbe('features');

/** CSS side of a thumbnail in the image picker. */
const THUMB = 40;

type CellRole = 'teacher' | 'student' | 'teacher-attention' | 'student-attention' | 'error';
type Role = CellRole | 'image';

interface Column {
  role: CellRole;
  /** Drawn from the student, so untrained while the teacher is still training. */
  student: boolean;
}

const COLUMNS: readonly (ImageColumn & Column)[] = [
  {
    role: 'teacher', title: 'teacher features', symbol: 'PCA → RGB', student: false,
    help: 'The teacher’s decoder features at this level (normalised per position as the loss uses them), the first three principal components as red, green and blue',
  },
  {
    role: 'student', title: 'student features', symbol: 'PCA → RGB', student: true, className: 'feature-cell--student',
    help: 'The student’s regressed features at this level, on the same principal components as the teacher’s: equal colours mean similar features',
  },
  {
    role: 'teacher-attention', title: 'teacher attention', symbol: 'Σ_c |A_c|²', student: false,
    help: 'Where the teacher’s features are strong: Σ over channels of the squared activation, scaled so the image’s maximum is 1',
  },
  {
    role: 'student-attention', title: 'student attention', symbol: 'Σ_c |A_c|²', student: true, className: 'feature-cell--student',
    help: 'The same for the student’s features: the attention-transfer (AT) loss matches it to the teacher’s',
  },
  {
    role: 'error', title: 'error', symbol: '|s − t|²', student: true, className: 'feature-cell--student',
    help: 'Per position squared error between the student’s and the teacher’s features, mean over channels; one scale for every level',
  },
];

const STAGE_LABELS: Record<FeatureProbe['stage'], string> = {
  teacher: 'stage 1 of 2: training the teacher',
  distillation: 'stage 2 of 2: distilling into the student',
};

export function FeatureView() {
  const probe = useAppStore(selectFeatures);
  const [picked, setPicked] = useState(0);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const pickerLabel = useId();

  const count = probe?.count ?? 0;
  const index = Math.min(Math.max(picked, 0), Math.max(count - 1, 0));
  const summary = useMemo(() => (probe ? featureSummary(probe) : null), [probe]);
  const thumbs = useMemo(
    () => (probe ? Array.from({ length: probe.count }, (_, i) => rgbToRgba(probe.images, probe.imageSize, i)) : []),
    [probe],
  );
  const rows = useMemo(() => {
    if (!probe || !summary || index >= probe.count) return [];
    return probe.levels.map((level): Record<CellRole, Uint8ClampedArray<ArrayBuffer>> => ({
      teacher: rgbToRgba(level.teacherRgb, level.size, index),
      student: rgbToRgba(level.studentRgb, level.size, index),
      'teacher-attention': heatToRgba(level.teacherAttention, level.size, index),
      'student-attention': heatToRgba(level.studentAttention, level.size, index),
      error: errorToRgbaScaled(level.error, level.size, index, summary.errorMax),
    }));
  }, [probe, summary, index]);

  if (!probe || !summary || count === 0) return null;

  const side = featureCellSide(probe.levels.map((l) => l.size));
  const untrained = probe.stage === 'teacher';
  const imageLabel = `Probe image ${index + 1} of ${count}`;

  const pick = (i: number, focus = false) => {
    const next = (i + count) % count;
    setPicked(next);
    if (focus) buttons.current[next]?.focus();
  };
  const onPickerKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = { ArrowLeft: index - 1, ArrowUp: index - 1, ArrowRight: index + 1, ArrowDown: index + 1, Home: 0, End: count - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    pick(moves[e.key], true);
  };

  return (
    <section
      className={`probe-view feature-view${untrained ? ' feature-view--untrained' : ''}`} data-testid="feature-view"
      data-step={probe.step} data-stage={probe.stage} data-image={index}
    >
      <p className="probe-view__caption">
        DreamTeacher’s teacher is a denoising U-Net: it noises the image, takes one denoising step, and its decoder’s
        features at each resolution are the targets. The student, an image encoder with an FPN on top, regresses them
        level by level (MSE) and matches their attention maps (AT). Colours are the first three principal components of
        the teacher’s features, one basis per level shared by teacher and student, so equal colours mean similar features.
        {untrained && (
          <>
            {' '}
            <b className="feature-view__stage-note">
              The teacher is still training; the student has not started, so its maps are untrained.
            </b>
          </>
        )}
      </p>

      <div className="feature-top">
        <figure className="probe-figure">
          <FeatureCanvas
            rgba={thumbs[index]} size={probe.imageSize} side={side} part="image" testid="feature-canvas"
            label={`${imageLabel}, the input (${probe.imageSize}×${probe.imageSize} px)`}
          />
          <figcaption className="feature-cell__caption">
            image {index + 1} · {probe.imageSize}×{probe.imageSize}
          </figcaption>
        </figure>
        <div className="feature-top__side">
          <div className="feature-picker__wrap">
            <span className="feature-picker__label" id={pickerLabel}>Probe image</span>
            <div
              className="feature-picker" data-testid="feature-image-picker" role="group"
              aria-labelledby={pickerLabel} onKeyDown={onPickerKey}
            >
              {thumbs.map((rgba, i) => (
                <button
                  key={i} type="button" ref={(el) => { buttons.current[i] = el; }}
                  className="feature-picker__button" data-index={i} aria-pressed={i === index}
                  aria-label={`Probe image ${i + 1}`} title={`Probe image ${i + 1}`}
                  onClick={() => pick(i)}
                >
                  <FeatureCanvas rgba={rgba} size={probe.imageSize} side={THUMB} />
                </button>
              ))}
            </div>
          </div>
          <div className="probe-legend" aria-hidden="true">
            <span className="probe-legend__item feature-legend__item">
              attention: <span>0</span>
              <span className="probe-legend__bar" style={{ background: gradientCss(HEAT_STOPS) }} />
              <span>1 (image max)</span>
            </span>
            <span className="probe-legend__item feature-legend__item">
              error, all levels: <span>0</span>
              <span className="probe-legend__bar" style={{ background: gradientCss(ERROR_STOPS) }} />
              <span title="One scale for every level, so levels compare">≥ {formatLoss(summary.errorMax)}</span>
            </span>
          </div>
        </div>
      </div>

      <ImageTable
        columns={COLUMNS} side={side} rowTestId="feature-level" canvasTestId="feature-canvas"
        lead={{ head: 'level', width: 'var(--feature-level)' }}
        tail={{ head: <>losses<span className="image-table__symbol">all images</span></>, help: 'This level’s losses on the probe images', width: 'minmax(6.5rem, 1fr)' }}
        rows={probe.levels.map((level, l): ImageRow => {
          const row = rows[l];
          const levelLabel = `${level.name}, ${level.size}×${level.size}, ${level.channels} channels`;
          return {
            key: `${level.name}-${l}`, label: `Level ${levelLabel}`,
            data: { 'data-level': level.name, 'data-mse': level.mse, 'data-attention-loss': level.attentionLoss },
            cells: row ? Object.fromEntries(COLUMNS.map((c) => [c.role, {
              rgba: row[c.role], size: level.size,
              label: `${imageLabel}, level ${levelLabel}: ${c.title}${untrained && c.student ? ' (student not trained yet)' : ''}`,
            }])) : {},
            lead: (
              <p className="feature-row__level">
                <b>{level.name}</b>
                <span className="feature-row__size">{level.channels} ch · {level.size}×{level.size}</span>
              </p>
            ),
            tail: (
              <p className="image-table__numbers feature-row__loss" title="This level’s losses on the probe images: feature regression (MSE) and attention transfer (AT)">
                <span>MSE <b>{formatLoss(level.mse)}</b></span>
                <span>AT <b>{formatLoss(level.attentionLoss)}</b></span>
              </p>
            ),
          };
        })}
      />

      <p className="help probe-readout" data-testid="feature-readout">
        step {probe.step} · {STAGE_LABELS[probe.stage]} · mean over {probe.levels.length} levels: MSE{' '}
        <b>{formatLoss(summary.meanMse)}</b> · AT <b>{formatLoss(summary.meanAttentionLoss)}</b>
      </p>
    </section>
  );
}

/** An image outside the table (the chosen image, the picker's thumbnails): the shared pixel canvas, framed. */
function FeatureCanvas(props: { rgba: Uint8ClampedArray<ArrayBuffer>; size: number; side: number; part?: Role; label?: string; testid?: string }) {
  return <PixelCanvas {...props} className="probe-canvas" />;
}
