/**
 * DeP's denoising on the fixed probe images: per image the clean image, the noisy input the
 * network gets, its predicted noise ε̂ beside the true ε, their difference, and the denoised
 * estimate x̂ recovered with ε̂. The noise is the same every probe, so only the prediction
 * changes. Above it, a preview computed on the page of what the σ setting's noise looks like,
 * so moving the slider shows the noise level before the next run trains on it.
 */
import { useMemo } from 'react';
import './probes.css';
import './denoising.css';
import { selectValues, selectProbe, useAppStore } from '../../state/store';
import type { Corruption } from '../../measures/noise';
import { PixelCanvas } from './PixelCanvas';
import { ImageTable, type ImageRow } from './ImageTable';
import {
  ERROR_MAX, cellSide, corruptionSetting, denoisingSummary, errorGradientCss, errorToRgba, formatDb, formatSigma,
  imageToRgba, noiseToRgba, previewPixels, sigmaSetting,
} from './denoisingDraw';

/** The store holds the latest denoising probe of the focused run. */
const selectDenoising = selectProbe('denoising');

/** Signed noise is drawn as 0.5 + ε / (2·NOISE_SCALE): ±2 (two standard deviations of ε) spans black to white. */
const NOISE_SCALE = 2;

const CORRUPTION_NAMES: Record<Corruption, string> = { vp: 'variance preserving', simple: 'additive' };
const CORRUPTION_FORMULAS: Record<Corruption, string> = {
  vp: 'x̃ = √γ·x + √(1 − γ)·ε with γ = 1 / (1 + σ²)',
  simple: 'x̃ = x + σ·ε',
};

type Role = 'clean' | 'noisy' | 'predicted' | 'noise' | 'error' | 'denoised' | 'preview';

interface Column {
  role: Exclude<Role, 'preview'>;
  title: string;
  symbol: string;
  help: string;
}

const columns = (sigma: number, corruption: Corruption): Column[] => [
  { role: 'clean', title: 'clean', symbol: 'x', help: 'The probe image' },
  {
    role: 'noisy', title: 'noisy input', symbol: `x̃, σ = ${formatSigma(sigma)}`,
    help: `What the network gets: ${CORRUPTION_NAMES[corruption]} noise, ${CORRUPTION_FORMULAS[corruption]}`,
  },
  { role: 'predicted', title: 'predicted noise', symbol: 'ε̂', help: 'The network’s output: its guess of the noise ε' },
  { role: 'noise', title: 'true noise', symbol: 'ε', help: 'The noise that was added (the same every probe)' },
  {
    role: 'error', title: 'error', symbol: '|ε̂ − ε|',
    help: `Per pixel |ε̂ − ε| averaged over the colour channels: white is exact, dark red is ${ERROR_MAX} or more`,
  },
  {
    role: 'denoised', title: 'denoised', symbol: 'x̂',
    help: 'The estimate of the clean image: the corruption inverted with the predicted noise ε̂ (clipped to draw)',
  },
];

export function DenoisingView() {
  const probe = useAppStore(selectDenoising);
  const values = useAppStore(selectValues);
  const sigma = sigmaSetting(values.sigma);
  const corruption = corruptionSetting(values.corruption, probe?.corruption ?? 'vp');

  const summary = useMemo(() => (probe ? denoisingSummary(probe) : null), [probe]);
  const rows = useMemo(() => {
    if (!probe) return [];
    const { imageSize: size } = probe;
    return Array.from({ length: probe.count }, (_, i): Record<Column['role'], Uint8ClampedArray<ArrayBuffer>> => ({
      clean: imageToRgba(probe.clean, size, i),
      noisy: imageToRgba(probe.noisy, size, i),
      predicted: noiseToRgba(probe.predicted, size, i, NOISE_SCALE),
      noise: noiseToRgba(probe.noise, size, i, NOISE_SCALE),
      error: errorToRgba(probe.predicted, probe.noise, size, i),
      denoised: imageToRgba(probe.denoised, size, i),
    }));
  }, [probe]);
  const preview = useMemo(() => {
    if (!probe || sigma === undefined) return null;
    return Array.from({ length: probe.count }, (_, i) => imageToRgba(previewPixels(probe, i, sigma, corruption), probe.imageSize, 0));
  }, [probe, sigma, corruption]);

  if (!probe || !summary) return null;

  const size = probe.imageSize;
  const side = cellSide(size);
  const cols = columns(probe.sigma, probe.corruption);
  const sameAsProbe = sigma === probe.sigma && corruption === probe.corruption;

  return (
    <section
      className="probe-view denoising-view" data-testid="denoising-view"
      data-step={probe.step} data-sigma={probe.sigma} data-mse={probe.mse}
    >
      <p className="probe-view__caption">
        DeP adds noise to each probe image and trains the network to predict that noise. Per image: the clean image, the
        noisy input it gets (σ = {formatSigma(probe.sigma)}, {CORRUPTION_NAMES[probe.corruption]}), its predicted noise
        ε̂ beside the true noise ε, their difference, and the denoised estimate x̂ recovered with ε̂ — the same noise every
        probe, so what changes is the network’s prediction.
      </p>

      {preview && sigma !== undefined && (
        <div
          className="setting-preview denoising-preview" data-testid="denoising-preview" data-sigma={sigma} data-corruption={corruption}
          role="group" aria-label={`Preview of the noise at σ = ${formatSigma(sigma)}`}
        >
          <p className="setting-preview__title">
            <span className="setting-preview__badge">Preview</span>
            <span>
              At σ = <b>{formatSigma(sigma)}</b> ({CORRUPTION_NAMES[corruption]}): what the network will see.{' '}
              <span className="setting-preview__note">
                {sameAsProbe
                  ? 'The noisy inputs below are at this level; move the Noise σ slider to preview another one here.'
                  : `Drawn here from the clean images and their fixed noise, no prediction; the probe below was taken at σ = ${formatSigma(probe.sigma)} (${CORRUPTION_NAMES[probe.corruption]}).`}
              </span>
            </span>
          </p>
          {!sameAsProbe && (
            <ul className="setting-preview__list denoising-preview__list">
              {preview.map((rgba, i) => (
                <li key={i} className="denoising-preview__pair">
                  <figure className="probe-figure">
                    <DenoisingCanvas
                      rgba={rows[i].clean} size={size} side={side} part="clean"
                      label={`Probe image ${i + 1}, clean`}
                    />
                    <figcaption className="setting-preview__label">clean</figcaption>
                  </figure>
                  <figure className="probe-figure">
                    <DenoisingCanvas
                      rgba={rgba} size={size} side={side} part="preview"
                      label={`Probe image ${i + 1} with noise at σ = ${formatSigma(sigma)} (${CORRUPTION_NAMES[corruption]}), a preview`}
                    />
                    <figcaption className="setting-preview__label">σ = {formatSigma(sigma)}</figcaption>
                  </figure>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      <ImageTable
        columns={cols} side={side} rowTestId="denoising-row" canvasTestId="denoising-canvas"
        tail={{ head: <>PSNR<span className="image-table__symbol">vs clean</span></>, help: 'Peak signal-to-noise ratio against the clean image', width: 'minmax(8.5rem, 1fr)' }}
        rows={rows.map((row, i): ImageRow => {
          const s = summary.images[i];
          const gain = s.denoised - s.noisy;
          return {
            key: i, label: `Probe image ${i + 1}`, data: { 'data-index': i },
            cells: Object.fromEntries(cols.map((c) => [c.role, { rgba: row[c.role], size, label: `Probe image ${i + 1}, ${c.title} ${c.symbol}` }])),
            tail: (
              <p className="image-table__numbers denoising-row__psnr" title="PSNR of the noisy input and of the denoised estimate against the clean image">
                <span className="denoising-row__psnr-label">PSNR</span>
                <span>noisy {formatDb(s.noisy)}</span>
                <span>→ denoised <b>{formatDb(s.denoised)}</b></span>
                {Number.isFinite(gain) && <GainText gain={gain} />}
              </p>
            ),
          };
        })}
      />

      <div className="probe-legend" aria-hidden="true">
        <span className="probe-legend__item">
          ε, ε̂: <span>−{NOISE_SCALE}</span><span className="probe-legend__bar denoising-legend__bar--noise" />
          <span>+{NOISE_SCALE}</span> per colour channel, grey = 0
        </span>
        <span className="probe-legend__item">
          |ε̂ − ε|: <span>0</span>
          <span className="probe-legend__bar" style={{ background: errorGradientCss() }} />
          <span>≥ {ERROR_MAX}</span>
        </span>
      </div>

      <p className="help probe-readout" data-testid="denoising-readout">
        step {probe.step} · probe MSE <b>{probe.mse.toFixed(3)}</b>{' '}
        <span className="denoising-readout__ref">(1.0 = predicting zero noise)</span> · mean PSNR noisy{' '}
        {formatDb(summary.meanNoisy)} → denoised <b>{formatDb(summary.meanDenoised)}</b>
      </p>
    </section>
  );
}

/** A cell of the view: the shared pixel canvas with this view's class and test id. */
function DenoisingCanvas(props: { rgba: Uint8ClampedArray<ArrayBuffer>; size: number; side: number; part: Role; label: string }) {
  return <PixelCanvas {...props} className="probe-canvas" testid="denoising-canvas" />;
}

/** The PSNR change as shown (one decimal): green above zero, red below, neutral when it rounds to ±0.0. */
export function GainText({ gain }: { gain: number }) {
  const shown = Math.round(gain * 10) / 10;
  if (shown === 0) return <span className="denoising-row__flat">±0.0 dB</span>;
  return <span className={shown > 0 ? 'denoising-row__gain' : 'denoising-row__loss'}>{shown > 0 ? '+' : '−'}{Math.abs(shown).toFixed(1)} dB</span>;
}
