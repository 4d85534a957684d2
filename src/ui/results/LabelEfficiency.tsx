/**
 * DeP's point in one figure: segmentation mIoU after fine-tuning on 1%, 10% and 100% of the
 * labelled masks, for each run whose evaluation fine-tuned (solid, in the run's colour) and for
 * the same fine-tuning from random weights (dashed). Pre-training pays where the solid line
 * stands above the dashed one, most of all at the left, where labels are few.
 */
import { SEGMENTATION_FRACTIONS } from '../../methods/evaluation';
import { formatScore, type LabelEfficiencySeries } from './resultsData';
import { PALETTE } from '../../methods/palette';

const WIDTH = 420;
const HEIGHT = 220;
const PAD = { left: 44, right: 112, top: 14, bottom: 34 };
const BASELINE_COLOR = PALETTE.grey;

export function LabelEfficiency({ series }: { series: readonly LabelEfficiencySeries[] }) {
  if (series.length === 0) return null;
  const all = series.flatMap((s) => [...s.trained, ...s.baseline]).filter(Number.isFinite);
  // The y range: from a round value below the lowest score to 1 (mIoU's ceiling).
  const low = Math.max(0, Math.floor((Math.min(...all) - 0.05) * 10) / 10);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (i * plotW) / (SEGMENTATION_FRACTIONS.length - 1);
  const y = (v: number) => PAD.top + ((1 - v) / (1 - low)) * plotH;
  const ticks = Array.from({ length: Math.round((1 - low) / 0.1) + 1 }, (_, i) => low + i * 0.1).filter((_, i, a) => a.length <= 6 || i % 2 === 0);
  const path = (values: readonly number[]) => values
    .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
    .filter((p): p is string => p !== null)
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p}`).join(' ');
  const single = series.length === 1 ? series[0] : null;

  return (
    <figure className="label-efficiency" data-testid="label-efficiency" data-runs={series.length}>
      <figcaption className="label-efficiency__caption">
        <b>Fine-tuning with few labels</b>: segmentation mIoU after fine-tuning the whole network on 1%, 10% or
        100% of the labelled masks — solid: from the run’s pre-trained weights; dashed: the same fine-tuning
        from random weights. Pre-training pays where solid stands above dashed.
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img"
        aria-label={series.map((s) => `${s.name} at step ${s.step}: ${SEGMENTATION_FRACTIONS.map((f, i) => `${f * 100}% ${formatScore(s.trained[i])} vs random ${formatScore(s.baseline[i])}`).join(', ')}`).join('; ')}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={PAD.left + plotW} y1={y(t)} y2={y(t)} className="label-efficiency__grid" />
            <text x={PAD.left - 6} y={y(t) + 3} textAnchor="end" className="label-efficiency__tick">{t.toFixed(1)}</text>
          </g>
        ))}
        {SEGMENTATION_FRACTIONS.map((fraction, i) => (
          <text key={fraction} x={x(i)} y={HEIGHT - PAD.bottom + 16} textAnchor="middle" className="label-efficiency__tick">
            {fraction * 100}% of masks
          </text>
        ))}
        <text x={12} y={PAD.top + plotH / 2} transform={`rotate(-90 12 ${PAD.top + plotH / 2})`} textAnchor="middle" className="label-efficiency__tick">mIoU</text>
        {series.map((s) => (
          <g key={s.key} data-testid="label-efficiency-run" data-run={s.name}>
            <path d={path(s.baseline)} fill="none" stroke={single ? BASELINE_COLOR : s.color} strokeWidth={1.5} strokeDasharray="5 4" opacity={0.8} />
            <path d={path(s.trained)} fill="none" stroke={s.color} strokeWidth={2.2} />
            {s.trained.map((v, i) => Number.isFinite(v) && (
              <circle key={i} cx={x(i)} cy={y(v)} r={3.5} fill={s.color} data-fraction={SEGMENTATION_FRACTIONS[i]} data-value={v.toFixed(4)}
                data-baseline={Number.isFinite(s.baseline[i]) ? s.baseline[i].toFixed(4) : ''}>
                <title>{`${s.name}, ${SEGMENTATION_FRACTIONS[i] * 100}% of masks: ${formatScore(v)} (random init ${formatScore(s.baseline[i])})`}</title>
              </circle>
            ))}
            {s.baseline.map((v, i) => Number.isFinite(v) && (
              <circle key={`b${i}`} cx={x(i)} cy={y(v)} r={2.5} fill="#fff" stroke={single ? BASELINE_COLOR : s.color} strokeWidth={1.2} />
            ))}
          </g>
        ))}
        {single && SEGMENTATION_FRACTIONS.map((_, i) => Number.isFinite(single.trained[i]) && (
          <text key={i} x={i === 0 ? x(i) + 6 : x(i)} y={y(single.trained[i]) - 8} textAnchor={i === 0 ? 'start' : 'middle'}
            className="label-efficiency__value">
            {formatScore(single.trained[i])}
          </text>
        ))}
        <g transform={`translate(${PAD.left + plotW + 14}, ${PAD.top + 6})`} className="label-efficiency__legend">
          {series.map((s, i) => (
            <g key={s.key} transform={`translate(0, ${i * 16})`}>
              <line x1={0} x2={18} y1={0} y2={0} stroke={s.color} strokeWidth={2.2} />
              <text x={24} y={4}>{s.name}</text>
            </g>
          ))}
          <g transform={`translate(0, ${series.length * 16})`}>
            <line x1={0} x2={18} y1={0} y2={0} stroke={BASELINE_COLOR} strokeWidth={1.5} strokeDasharray="5 4" />
            <text x={24} y={4}>random init</text>
          </g>
        </g>
      </svg>
    </figure>
  );
}
