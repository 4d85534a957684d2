/**
 * LOCA's position prediction on a fixed probe image: the reference view (most patches masked
 * out for the teacher), the query views, and for every query patch a line to the reference patch
 * the student predicts it lies on — green when right, red when wrong. Hovering (focusing,
 * tapping) a query patch shows its whole predicted distribution as a heat map on the reference.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import './probes.css';
import './position.css';
import { actions, useAppStore, type StoreState } from '../../state/store';
import type { PositionExample, PositionQuery } from '../../methods/probes';
import { imageToRgba } from './draw';
import { blitScaled, upscale } from './canvas';
import {
  STATUS_COLORS, accuracyOf, addCounts, boxRect, chanceLevel, countStatuses, formatPercent, heatmapRgba, layoutFigure,
  patchCentre, patchRect, patchRowCol, predictionRow, queryLabels, queryStatuses, shownQueries, type PatchStatus,
  type QuerySelection, type Rect, type StatusCounts,
} from './positionDraw';

const selectPosition = (s: StoreState) => s.position;
const selectProbeImage = (s: StoreState) => s.probeImage;

const REFERENCE_COLOR = '#1d2330';
// Apart from the green/red/grey of right, wrong and outside.
const QUERY_COLORS = ['#2563eb', '#9333ea', '#ea580c', '#0891b2', '#db2777', '#854d0e', '#4f46e5', '#0d9488', '#b45309', '#7c3aed'];
const TRUE_OUTLINE = '#3ef0ff'; // cyan: apart from every inferno colour
const ORIGINAL_CSS_PX = 168;

interface Active {
  query: number;
  patch: number;
  /** Stays when the pointer leaves (clicked or tapped). */
  pinned: boolean;
  /** Set by keyboard focus: cleared when focus leaves. */
  keyboard: boolean;
}

interface Analysed {
  argmax: Int32Array;
  status: PatchStatus[];
  counts: StatusCounts;
}

const queryColor = (i: number) => QUERY_COLORS[i % QUERY_COLORS.length];
const rc = (grid: number, index: number) => {
  const { row, col } = patchRowCol(grid, index);
  return `row ${row + 1}, column ${col + 1}`;
};
const pct = (a: number, b: number) => `${(a / b) * 100}%`;

export function PositionView() {
  const probe = useAppStore(selectPosition);
  const chosen = useAppStore(selectProbeImage);
  const [selection, setSelection] = useState<QuerySelection>('all');
  const [active, setActive] = useState<Active | null>(null);
  const [focused, setFocused] = useState<number | null>(null); // query focused from the keyboard
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const originalRef = useRef<HTMLCanvasElement>(null);
  const referenceRef = useRef<HTMLCanvasElement>(null);
  const heatRef = useRef<HTMLCanvasElement>(null);
  const queryRefs = useRef<(HTMLCanvasElement | null)[]>([]);

  const exampleCount = probe?.examples.length ?? 0;
  const index = Math.min(Math.max(chosen, 0), Math.max(exampleCount - 1, 0));
  const example: PositionExample | undefined = probe?.examples[index];
  const grid = probe?.referenceGrid ?? 1;
  const queries = example?.queries ?? [];
  const current: QuerySelection = typeof selection === 'number' && selection < queries.length ? selection : 'all';
  const shown = useMemo(() => shownQueries(queries.length, current), [queries.length, current]);

  const analysed = useMemo<Analysed[]>(
    () => queries.map((q) => {
      const { argmax, status } = queryStatuses(q, grid);
      return { argmax, status, counts: countStatuses(status) };
    }),
    [queries, grid],
  );
  const layout = useMemo(
    () => (example ? layoutFigure(example.reference.size, example.queries, shown) : null),
    [example, shown],
  );

  // A hovered patch of a query that is no longer shown (or no longer exists) is dropped.
  const live = active && shown.includes(active.query) && active.patch < queries[active.query].grid ** 2 ? active : null;

  useEffect(() => {
    if (!probe || !example) return;
    if (originalRef.current) drawOriginal(originalRef.current, probe.imageSize, example, shown);
    if (referenceRef.current) drawPixels(referenceRef.current, example.reference.pixels, example.reference.size);
    example.queries.forEach((q, i) => {
      const canvas = queryRefs.current[i];
      if (canvas) drawPixels(canvas, q.pixels, q.size);
    });
  }, [probe, example, shown]);

  const activeQuery = live ? queries[live.query] : null;
  const activeStatus = live ? analysed[live.query].status[live.patch] : null;
  const heatRow = activeQuery && live && activeStatus !== 'unused'
    ? predictionRow(activeQuery.predictions, grid, live.patch)
    : null;

  useEffect(() => {
    const canvas = heatRef.current;
    if (!canvas || !heatRow) return;
    canvas.width = grid;
    canvas.height = grid;
    canvas.getContext('2d')?.putImageData(new ImageData(heatmapRgba(heatRow), grid, grid), 0, 0);
  }, [heatRow, grid]);

  if (!probe) return null;
  if (!example || !layout) {
    return (
      <section className="probe-view" data-testid="position-view" data-accuracy={probe.accuracy}>
        <p className="probe-view__empty">No probe images in this position probe</p>
      </section>
    );
  }

  const labels = queryLabels(queries);
  const counts = shown.reduce((sum, i) => addCounts(sum, analysed[i].counts), { correct: 0, wrong: 0, outside: 0, unused: 0 });
  const exampleCounts = analysed.reduce((sum, a) => addCounts(sum, a.counts), { correct: 0, wrong: 0, outside: 0, unused: 0 });
  const chance = chanceLevel(grid);
  const cells = grid * grid;
  const seen = example.reference.kept.reduce((a, k) => a + (k ? 1 : 0), 0);
  const allMode = current === 'all';
  const { width: W, height: H, reference: ref } = layout;
  const box = (r: Rect) => ({ left: pct(r.x, W), top: pct(r.y, H), width: pct(r.width, W), height: pct(r.height, H) });

  const pointAt = (qi: number, patch: number): Active => ({ query: qi, patch, pinned: false, keyboard: false });
  const onPatchEnter = (qi: number, patch: number) => {
    if (!live?.pinned) setActive(pointAt(qi, patch));
  };
  const onPatchClick = (qi: number, patch: number) => {
    const same = live && live.query === qi && live.patch === patch;
    setActive({ ...pointAt(qi, patch), pinned: !(same && live.pinned) });
  };
  const onQueryFocus = (qi: number) => {
    if (live?.query === qi) return;
    const first = analysed[qi].status.findIndex((s) => s !== 'unused');
    setActive({ query: qi, patch: Math.max(first, 0), pinned: true, keyboard: true });
  };
  const onQueryKey = (qi: number, e: KeyboardEvent) => {
    const g = queries[qi].grid;
    const patch = live?.query === qi ? live.patch : 0;
    let { row, col } = patchRowCol(g, patch);
    if (e.key === 'Escape') {
      setActive(null);
      return;
    }
    if (e.key === 'ArrowLeft') col = Math.max(col - 1, 0);
    else if (e.key === 'ArrowRight') col = Math.min(col + 1, g - 1);
    else if (e.key === 'ArrowUp') row = Math.max(row - 1, 0);
    else if (e.key === 'ArrowDown') row = Math.min(row + 1, g - 1);
    else if (e.key === 'Home') { row = 0; col = 0; }
    else if (e.key === 'End') { row = g - 1; col = g - 1; }
    else if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    setActive({ query: qi, patch: row * g + col, pinned: true, keyboard: true });
  };

  const lineWidth = allMode ? 1.3 : 2;
  const lineOpacity = live ? 0.14 : allMode ? 0.6 : 0.85;

  return (
    <section className="probe-view position-view" data-testid="position-view" data-accuracy={probe.accuracy}>
      <p className="probe-view__caption">
        LOCA’s teacher sees the <b>reference</b> view with {formatPercent(probe.maskRatio)} of its patches masked out
        (hatched); for every patch of a <b>query</b> view the student predicts which of the {cells} reference patches it
        lies on. Each line joins a query patch to its predicted patch: <span className="position-view__ok">green</span>{' '}
        if right, <span className="position-view__bad">red</span> if wrong. Query patches that fall outside the
        reference (grey cross) are not in the loss. Step {probe.step}.
      </p>

      <div className="probe-controls">
        <fieldset className="segmented" data-testid="position-image-picker">
          <legend>Probe image</legend>
          {probe.examples.map((_, i) => (
            <label key={i} className="segmented__option">
              <input
                type="radio" name={`${uid}-image`} value={i} checked={i === index}
                onChange={() => { actions.setProbeImage(i); setActive(null); }}
              />
              <span>Image {i + 1}</span>
            </label>
          ))}
        </fieldset>
        <fieldset className="segmented" data-testid="position-query-picker">
          <legend>Query</legend>
          {(['all', ...queries.map((_, i) => i)] as QuerySelection[]).map((value) => (
            <label key={value} className="segmented__option">
              <input
                type="radio" name={`${uid}-query`} value={value} checked={current === value}
                aria-label={value === 'all' ? 'All queries' : `${capitalise(labels[value])}${queries[value].flipped ? ', flipped' : ''}`}
                onChange={() => { setSelection(value); setActive(null); }}
              />
              <span>
                {value === 'all' ? 'All queries' : capitalise(labels[value])}
                {value !== 'all' && queries[value].flipped ? ' ↔' : ''}
              </span>
            </label>
          ))}
        </fieldset>
      </div>

      <div className="position-view__top">
        <figure className="position-original">
          <canvas
            ref={originalRef} className="pixel-canvas position-original__canvas"
            style={{ width: ORIGINAL_CSS_PX, height: ORIGINAL_CSS_PX }} role="img"
            aria-label={`Probe image ${index + 1} with the reference box and ${queries.length} query boxes`}
          />
          <figcaption>image {index + 1}: where the views were cropped</figcaption>
        </figure>
        <div className="position-view__side">
          <ul className="position-boxes" aria-label="Views">
            <li>
              <span className="position-boxes__swatch" style={{ borderColor: REFERENCE_COLOR, borderStyle: example.reference.flipped ? 'dashed' : 'solid' }} />
              reference{example.reference.flipped && ' ↔ flipped'} · teacher sees {seen} of {cells} patches
            </li>
            {queries.map((q, i) => (
              <li key={i} className={shown.includes(i) ? undefined : 'position-boxes__dim'}>
                <span className="position-boxes__swatch" style={{ borderColor: queryColor(i), borderStyle: q.flipped ? 'dashed' : 'solid' }} />
                {labels[i]} query{q.flipped && ' ↔ flipped'} · {q.grid}×{q.grid} patches
                {q.role === 'random' && analysed[i].counts.unused > 0 && `, ${q.grid * q.grid - analysed[i].counts.unused} sent to the student`}
              </li>
            ))}
          </ul>
          <p className="position-view__accuracy" data-testid="position-accuracy">
            <span className="position-view__big">position accuracy {formatPercent(accuracyOf(exampleCounts))}</span>{' '}
            (chance {formatPercent(chance)}) on image {index + 1}: {exampleCounts.correct} of{' '}
            {exampleCounts.correct + exampleCounts.wrong} query patches on the reference ·{' '}
            {formatPercent(probe.accuracy)} over all probe images
          </p>
        </div>
      </div>

      <div
        className={`position-figure${allMode ? ' position-figure--all' : ''}`}
        data-testid="position-figure"
        data-correct={counts.correct} data-wrong={counts.wrong} data-outside={counts.outside} data-unused={counts.unused}
        style={{ maxWidth: W, aspectRatio: `${W} / ${H}` }}
        onPointerLeave={() => { if (!live?.pinned) setActive(null); }}
        onClick={(e) => { if (!(e.target as Element).hasAttribute('data-patch')) setActive(null); }}
      >
        <canvas
          ref={referenceRef} className="pixel-canvas position-figure__layer" style={box(ref)} role="img"
          aria-label={`Reference view, ${grid}×${grid} patches, ${cells - seen} masked out`}
        />
        {queries.map((q, i) => {
          const r = layout.queries[i];
          return r ? (
            <canvas
              key={i} ref={(el) => { queryRefs.current[i] = el; }} className="pixel-canvas position-figure__layer"
              style={box(r)} role="img" aria-label={`${labels[i]} query${q.flipped ? ', flipped' : ''}`}
            />
          ) : null;
        })}

        <svg className="position-figure__svg" viewBox={`0 0 ${W} ${H}`} aria-hidden="true">
          <defs>
            <pattern id={`${uid}-mask`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <rect width="6" height="6" fill="rgba(16, 19, 28, 0.68)" />
              <line x1="0" y1="0" x2="0" y2="6" stroke="rgba(255, 255, 255, 0.32)" strokeWidth="2" />
            </pattern>
            <pattern id={`${uid}-outside`} width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
              <rect width="5" height="5" fill="rgba(235, 237, 241, 0.55)" />
              <line x1="0" y1="0" x2="0" y2="5" stroke="rgba(91, 100, 117, 0.75)" strokeWidth="1.4" />
            </pattern>
          </defs>
          {/* The reference: masked patches hatched dark, then the patch grid. */}
          {Array.from(example.reference.kept, (k, r) => (k ? null : (
            <rect key={r} {...patchRect(ref, grid, r)} fill={`url(#${uid}-mask)`} data-masked="" />
          )))}
          <GridLines rect={ref} grid={grid} color="rgba(255, 255, 255, 0.55)" />
          <rect {...ref} className="position-figure__frame" stroke={REFERENCE_COLOR}
            strokeDasharray={example.reference.flipped ? '6 4' : undefined} />
          <text x={ref.x} y={ref.y - 6} className="position-figure__label">
            reference{example.reference.flipped ? ' ↔' : ''} · teacher sees {seen}/{cells} patches
          </text>
          {shown.map((qi) => (
            <QueryMarks key={qi} rect={layout.queries[qi]!} query={queries[qi]} status={analysed[qi].status}
              color={queryColor(qi)} label={labels[qi]} unusedCount={analysed[qi].counts.unused} outsideFill={`url(#${uid}-outside)`} />
          ))}
        </svg>

        {heatRow && (
          <canvas
            ref={heatRef} className="pixel-canvas position-figure__layer position-figure__heat" style={box(ref)}
            data-testid="position-heatmap" data-query={live!.query} data-patch={live!.patch}
            data-argmax={analysed[live!.query].argmax[live!.patch]} data-target={activeQuery!.targets[live!.patch]}
            data-status={activeStatus} role="img"
            aria-label={`Predicted position of ${labels[live!.query]} query patch ${rc(activeQuery!.grid, live!.patch)} over the reference`}
          />
        )}

        <svg className="position-figure__svg position-figure__svg--top" viewBox={`0 0 ${W} ${H}`}>
          <g opacity={lineOpacity} aria-hidden="true">
            {shown.map((qi) => (
              <Lines key={qi} rect={layout.queries[qi]!} query={queries[qi]} analysed={analysed[qi]} reference={ref}
                grid={grid} width={lineWidth} />
            ))}
          </g>
          {focused !== null && layout.queries[focused] && (
            <rect {...grow(layout.queries[focused]!, 3)} className="position-figure__focus" />
          )}
          {live && activeQuery && (
            <ActiveMarks rect={layout.queries[live.query]!} query={activeQuery} patch={live.patch}
              argmax={analysed[live.query].argmax[live.patch]} status={activeStatus!} reference={ref} grid={grid} />
          )}
          {shown.map((qi) => {
            const q = queries[qi];
            const r = layout.queries[qi]!;
            return (
              <g
                key={qi} className="position-figure__hits" tabIndex={0} role="group"
                aria-label={`${labels[qi]} query, ${q.grid} by ${q.grid} patches: arrow keys move between patches`}
                onFocus={(e) => {
                  if (e.currentTarget.matches(':focus-visible')) {
                    setFocused(qi);
                    onQueryFocus(qi);
                  }
                }}
                onBlur={() => {
                  setFocused(null);
                  if (live?.keyboard) setActive(null);
                }}
                onKeyDown={(e) => onQueryKey(qi, e)}
              >
                {Array.from({ length: q.grid * q.grid }, (_, p) => (
                  <rect
                    key={p} {...patchRect(r, q.grid, p)} className="position-figure__hit"
                    data-testid="position-patch" data-query={qi} data-patch={p} data-status={analysed[qi].status[p]}
                    onPointerEnter={() => onPatchEnter(qi, p)}
                    onClick={() => onPatchClick(qi, p)}
                  />
                ))}
              </g>
            );
          })}
        </svg>
      </div>

      <div className="position-view__bottom">
        <ul className="position-legend" aria-label="Legend">
          <li><LegendLine color={STATUS_COLORS.correct} /> correct <b>{counts.correct}</b></li>
          <li><LegendLine color={STATUS_COLORS.wrong} /> wrong <b>{counts.wrong}</b></li>
          <li>
            <svg className="position-legend__swatch" viewBox="0 0 14 14" aria-hidden="true">
              <rect width="14" height="14" fill={`url(#${uid}-outside)`} stroke="#8a90a0" />
              <path d="M3 3 L11 11 M11 3 L3 11" stroke="#5b6475" strokeWidth="1.5" />
            </svg>
            outside the reference, not in the loss <b>{counts.outside}</b>
          </li>
          {counts.unused > 0 && (
            <li>
              <span className="position-legend__box position-legend__box--unused" /> not sent to the student{' '}
              <b>{counts.unused}</b>
            </li>
          )}
          <li>
            <svg className="position-legend__swatch" viewBox="0 0 14 14" aria-hidden="true">
              <rect width="14" height="14" fill={`url(#${uid}-mask)`} />
            </svg>
            masked: the teacher did not see it
          </li>
        </ul>
        <Readout
          live={live} query={activeQuery} label={live ? labels[live.query] : ''} status={activeStatus}
          argmax={live ? analysed[live.query].argmax[live.patch] : -1} grid={grid} row={heatRow}
        />
      </div>
    </section>
  );
}

const grow = (r: Rect, by: number): Rect => ({ x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by });

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Inner grid lines of a grid×grid view. */
function GridLines({ rect, grid, color }: { rect: Rect; grid: number; color: string }) {
  let d = '';
  for (let k = 1; k < grid; k++) {
    const x = rect.x + (k * rect.width) / grid;
    const y = rect.y + (k * rect.height) / grid;
    d += `M${x} ${rect.y}V${rect.y + rect.height}M${rect.x} ${y}H${rect.x + rect.width}`;
  }
  return <path d={d} stroke={color} strokeWidth={1} fill="none" />;
}

/** A query's own marks: faded unused patches, hatched-and-crossed outside patches, grid, frame, label. */
function QueryMarks({ rect, query, status, color, label, unusedCount, outsideFill }: {
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
function Lines({ rect, query, analysed, reference, grid, width }: {
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
function ActiveMarks({ rect, query, patch, argmax, status, reference, grid }: {
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

function LegendLine({ color }: { color: string }) {
  return (
    <svg className="position-legend__swatch" viewBox="0 0 22 14" aria-hidden="true">
      <line x1="2" y1="11" x2="18" y2="4" stroke={color} strokeWidth="2.2" strokeLinecap="round" />
      <circle cx="18" cy="4" r="2.6" fill={color} />
    </svg>
  );
}

/** What the hovered patch's prediction says, in words and numbers. */
function Readout({ live, query, label, status, argmax, grid, row }: {
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
function drawPixels(canvas: HTMLCanvasElement, pixels: Float32Array, size: number): void {
  canvas.width = size;
  canvas.height = size;
  canvas.getContext('2d')?.putImageData(new ImageData(imageToRgba(pixels, 0, size), size, size), 0, 0);
}

/** The original, upscaled, with the reference box (dark, haloed) and each query's box (dimmed when not shown). */
function drawOriginal(canvas: HTMLCanvasElement, imageSize: number, example: PositionExample, shown: readonly number[]): void {
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

