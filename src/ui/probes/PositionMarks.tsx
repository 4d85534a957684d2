/**
 * The position view's pieces: SVG marks drawn over the figure (grid lines, a query's patch
 * marks, prediction lines, the hovered patch), the readout, and the canvas drawings. Plain
 * presentational parts; PositionView.tsx owns the state and the layout.
 */
import type { PositionExample, PositionQuery } from '../../methods/probes';
import { imageToRgba } from './draw';
import { MARK_COLORS, PALETTE } from '../../methods/palette';
import { blitScaled, upscale } from './canvas';
import { STATUS_COLORS, boxRect, patchCentre, patchRect, patchRowCol, type PatchStatus, type Rect, type StatusCounts } from './positionDraw';

export const REFERENCE_COLOR = '#1d2330';
// Apart from the green/red/grey of right, wrong and outside (orange is too near the red).
const QUERY_COLORS = MARK_COLORS.filter((c) => c !== PALETTE.green && c !== PALETTE.vermillion && c !== PALETTE.orange);
const TRUE_OUTLINE = '#3ef0ff'; // cyan: apart from every inferno colour
export const ORIGINAL_CSS_PX = 168;

export interface Active {
  query: number;
  patch: number;
  /** Stays when the pointer leaves (clicked or tapped). */
  pinned: boolean;
  /** Set by keyboard focus: cleared when focus leaves. */
  keyboard: boolean;
}

export interface Analysed {
  argmax: Int32Array;
  status: PatchStatus[];
  counts: StatusCounts;
}

export const queryColor = (i: number) => QUERY_COLORS[i % QUERY_COLORS.length];
export const rc = (grid: number, index: number) => {
  const { row, col } = patchRowCol(grid, index);
  return `row ${row + 1}, column ${col + 1}`;
};
export const pct = (a: number, b: number) => `${(a / b) * 100}%`;

export const grow = (r: Rect, by: number): Rect => ({ x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by });

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Inner grid lines of a grid×grid view. */
export function GridLines({ rect, grid, color }: { rect: Rect; grid: number; color: string }) {
  let d = '';
  for (let k = 1; k < grid; k++) {
    const x = rect.x + (k * rect.width) / grid;
    const y = rect.y + (k * rect.height) / grid;
    d += `M${x} ${rect.y}V${rect.y + rect.height}M${rect.x} ${y}H${rect.x + rect.width}`;
  }
  return <path d={d} stroke={color} strokeWidth={1} fill="none" />;
}

/** A query's own marks: faded unused patches, hatched-and-crossed outside patches, grid, frame, label. */
export function QueryMarks({ rect, query, status, color, label, unusedCount, outsideFill }: {
  rect: Rect; query: PositionQuery; status: PatchStatus[]; color: string; label: string; unusedCount: number;
  outsideFill: string;
}) {
  const g = query.grid;
  const inset = Math.min(2, rect.width / g / 8);
  return (
    <g>
      {status.map((s, p) => {
        const cell = patchRect(rect, g, p);
        if (s === 'unused') return <rect key={p} {...cell} className="position-figure__unused" />;
        if (s === 'outside') {
          const m = cell.width * 0.22;
          return (
            <g key={p}>
              <rect {...cell} fill={outsideFill} />
              <path
                d={`M${cell.x + m} ${cell.y + m}L${cell.x + cell.width - m} ${cell.y + cell.height - m}M${cell.x + cell.width - m} ${cell.y + m}L${cell.x + m} ${cell.y + cell.height - m}`}
                className="position-figure__cross"
              />
            </g>
          );
        }
        return (
          <rect key={p} x={cell.x + inset} y={cell.y + inset} width={cell.width - 2 * inset} height={cell.height - 2 * inset}
            fill="none" stroke={STATUS_COLORS[s]} strokeWidth={inset * 1.2} opacity={0.9} />
        );
      })}
      <GridLines rect={rect} grid={g} color="rgba(255, 255, 255, 0.5)" />
      <rect {...rect} className="position-figure__frame" stroke={color} strokeDasharray={query.flipped ? '6 4' : undefined} />
      <text x={rect.x} y={rect.y - 6} className="position-figure__label" fill={color}>
        {label}{query.flipped ? ' ↔' : ''}
        {query.role === 'random' && unusedCount > 0 ? ` · ${g * g - unusedCount}/${g * g} patches sent` : ''}
      </text>
    </g>
  );
}

/** Query patch centre → centre of its predicted reference patch, for scored patches. */
export function Lines({ rect, query, analysed, reference, grid, width }: {
  rect: Rect; query: PositionQuery; analysed: Analysed; reference: Rect; grid: number; width: number;
}) {
  const right: string[] = [];
  const wrong: string[] = [];
  const dotsRight: string[] = [];
  const dotsWrong: string[] = [];
  analysed.status.forEach((s, p) => {
    if (s !== 'correct' && s !== 'wrong') return;
    const a = patchCentre(rect, query.grid, p);
    const b = patchCentre(reference, grid, analysed.argmax[p]);
    (s === 'correct' ? right : wrong).push(`M${a.x} ${a.y}L${b.x} ${b.y}`);
    const r = width * 1.2;
    (s === 'correct' ? dotsRight : dotsWrong).push(`M${b.x - r} ${b.y}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`);
  });
  return (
    <g strokeLinecap="round" fill="none">
      <path d={wrong.join('')} stroke={STATUS_COLORS.wrong} strokeWidth={width} />
      <path d={right.join('')} stroke={STATUS_COLORS.correct} strokeWidth={width} />
      <path d={dotsWrong.join('')} fill={STATUS_COLORS.wrong} stroke="none" />
      <path d={dotsRight.join('')} fill={STATUS_COLORS.correct} stroke="none" />
    </g>
  );
}

/** The hovered patch: its outline, its line (haloed) to the predicted patch, and the true patch outlined. */
export function ActiveMarks({ rect, query, patch, argmax, status, reference, grid }: {
  rect: Rect; query: PositionQuery; patch: number; argmax: number; status: PatchStatus; reference: Rect; grid: number;
}) {
  const cell = patchRect(rect, query.grid, patch);
  const target = query.targets[patch];
  const a = patchCentre(rect, query.grid, patch);
  const scored = status === 'correct' || status === 'wrong';
  const color = STATUS_COLORS[status];
  const b = argmax >= 0 ? patchCentre(reference, grid, argmax) : null;
  const predicted = argmax >= 0 ? patchRect(reference, grid, argmax) : null;
  return (
    <g pointerEvents="none" data-testid="position-active">
      {target >= 0 && <rect {...patchRect(reference, grid, target)} fill="none" stroke={TRUE_OUTLINE} strokeWidth={3} />}
      {predicted && status !== 'unused' && (
        <rect x={predicted.x + 3} y={predicted.y + 3} width={Math.max(predicted.width - 6, 1)} height={Math.max(predicted.height - 6, 1)}
          fill="none" stroke={scored ? color : '#ffffff'} strokeWidth={2} strokeDasharray={scored ? undefined : '3 2'} />
      )}
      {b && status !== 'unused' && (
        <g strokeLinecap="round">
          <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke="#ffffff" strokeWidth={5} opacity={0.85} />
          <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke={scored ? color : '#5b6475'} strokeWidth={2.5}
            strokeDasharray={scored ? undefined : '5 4'} />
          <circle cx={b.x} cy={b.y} r={3.5} fill={scored ? color : '#5b6475'} stroke="#ffffff" strokeWidth={1.2} />
        </g>
      )}
      <rect {...cell} fill="none" stroke="#ffffff" strokeWidth={4} />
      <rect {...cell} fill="none" stroke={REFERENCE_COLOR} strokeWidth={2} />
    </g>
  );
}

export function LegendLine({ color }: { color: string }) {
  return (
    <svg className="position-legend__swatch" viewBox="0 0 22 14" aria-hidden="true">
      <line x1="2" y1="11" x2="18" y2="4" stroke={color} strokeWidth="2.2" strokeLinecap="round" />
      <circle cx="18" cy="4" r="2.6" fill={color} />
    </svg>
  );
}

/** What the hovered patch's prediction says, in words and numbers. */
export function Readout({ live, query, label, status, argmax, grid, row }: {
  live: Active | null; query: PositionQuery | null; label: string; status: PatchStatus | null; argmax: number;
  grid: number; row: Float32Array | null;
}) {
  if (!live || !query || !status) {
    return (
      <p className="position-readout position-readout--hint" data-testid="position-readout" aria-live="polite">
        Hover, tap or focus (Tab, then arrow keys) a query patch to see where the student thinks it is: the heat map
        over the reference is its predicted probability for every reference patch.
      </p>
    );
  }
  const where = `${capitalise(label)} query patch (${rc(query.grid, live.patch)})`;
  if (status === 'unused') {
    return (
      <p className="position-readout" data-testid="position-readout" aria-live="polite">
        {where} was not sent through the student (LOCA keeps only part of the large query): no prediction.
      </p>
    );
  }
  const target = query.targets[live.patch];
  const pArg = row && argmax >= 0 ? row[argmax] : Number.NaN;
  const pTrue = row && target >= 0 ? row[target] : Number.NaN;
  return (
    <div className="position-readout" data-testid="position-readout" aria-live="polite">
      <p>
        <b>{where}</b>{live.pinned && !live.keyboard ? ' (pinned: click it again to release)' : ''}
      </p>
      <p>
        predicted: reference patch ({argmax >= 0 ? rc(grid, argmax) : 'none'}), p = <b>{pArg.toFixed(2)}</b>
        {status === 'correct' && <span className="position-view__ok"> ✓ correct</span>}
        {status === 'wrong' && <span className="position-view__bad"> ✗ wrong</span>}
      </p>
      <p>
        {target >= 0
          ? <>true: reference patch ({rc(grid, target)}) <span className="position-readout__true" aria-hidden="true" />, p = <b>{pTrue.toFixed(2)}</b></>
          : <>true: <b>outside the reference</b>: this patch is not in the loss</>}
      </p>
      <p className="position-readout__scale">
        heat: 0 <span className="position-readout__gradient" aria-hidden="true" /> max p ({pArg.toFixed(2)})
      </p>
    </div>
  );
}

/** Native-resolution pixels; CSS scales the canvas up pixelated. */
export function drawPixels(canvas: HTMLCanvasElement, pixels: Float32Array, size: number): void {
  canvas.width = size;
  canvas.height = size;
  canvas.getContext('2d')?.putImageData(new ImageData(imageToRgba(pixels, 0, size), size, size), 0, 0);
}

/** The original, upscaled, with the reference box (dark, haloed) and each query's box (dimmed when not shown). */
export function drawOriginal(canvas: HTMLCanvasElement, imageSize: number, example: PositionExample, shown: readonly number[]): void {
  const k = upscale(imageSize);
  canvas.width = imageSize * k;
  canvas.height = imageSize * k;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  blitScaled(ctx, imageToRgba(example.original, 0, imageSize), imageSize, imageSize);
  const lw = Math.max(2, (imageSize * k) / 96);
  const stroke = (b: PositionExample['reference']['box'], color: string, width: number, dashed: boolean) => {
    const r = boxRect(b, imageSize, k);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dashed ? [lw * 2, lw * 1.5] : []);
    const inset = lw / 2;
    ctx.strokeRect(r.x + inset, r.y + inset, r.width - 2 * inset, r.height - 2 * inset);
  };
  example.queries.forEach((q, i) => {
    if (shown.includes(i)) return;
    ctx.globalAlpha = 0.35;
    stroke(q.box, queryColor(i), lw, q.flipped);
  });
  ctx.globalAlpha = 1;
  stroke(example.reference.box, '#ffffff', lw * 2.2, false);
  stroke(example.reference.box, REFERENCE_COLOR, lw, example.reference.flipped);
  for (const i of shown) stroke(example.queries[i].box, queryColor(i), lw, example.queries[i].flipped);
  ctx.setLineDash([]);
}
