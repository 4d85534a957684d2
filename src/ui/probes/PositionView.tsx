/**
 * LOCA's position prediction on a fixed probe image: the reference view (most patches masked
 * out for the teacher), the query views, and for every query patch a line to the reference patch
 * the student predicts it lies on — green when right, red when wrong. Hovering (focusing,
 * tapping) a query patch shows its whole predicted distribution as a heat map on the reference.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import './probes.css';
import './position.css';
import { actions, selectProbe, useAppStore, type StoreState } from '../../state/store';
import { scheduleDraw } from '../drawQueue';
import { PositionLegend, PositionPickers } from './PositionControls';
import type { PositionExample } from '../../methods/probes';
import {
  ActiveMarks, GridLines, Lines, ORIGINAL_CSS_PX, QueryMarks, REFERENCE_COLOR, Readout, drawOriginal,
  drawPixels, grow, pct, queryColor, rc, type Active, type Analysed,
} from './PositionMarks';
import {
  accuracyOf, addCounts, chanceLevel, countStatuses, formatPercent, heatmapRgba, layoutFigure,
  nextPatch, patchRect, predictionRow, queryLabels, queryStatuses, shownQueries, type QuerySelection, type Rect,
} from './positionDraw';

const selectPosition = selectProbe('position');
const selectProbeImage = (s: StoreState) => s.probeImage;

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
  const queries = useMemo(() => example?.queries ?? [], [example]);
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

  useEffect(() => scheduleDraw(originalRef, () => {
    if (!probe || !example) return;
    if (originalRef.current) drawOriginal(originalRef.current, probe.imageSize, example, shown);
    if (referenceRef.current) drawPixels(referenceRef.current, example.reference.pixels, example.reference.size);
    example.queries.forEach((q, i) => {
      const canvas = queryRefs.current[i];
      if (canvas) drawPixels(canvas, q.pixels, q.size);
    });
  }), [probe, example, shown]);

  const activeQuery = live ? queries[live.query] : null;
  const activeStatus = live ? analysed[live.query].status[live.patch] : null;
  const heatRow = activeQuery && live && activeStatus !== 'unused'
    ? predictionRow(activeQuery.predictions, grid, live.patch)
    : null;

  useEffect(() => scheduleDraw(heatRef, () => {
    const canvas = heatRef.current;
    if (!canvas || !heatRow) return;
    canvas.width = grid;
    canvas.height = grid;
    canvas.getContext('2d')?.putImageData(new ImageData(heatmapRgba(heatRow), grid, grid), 0, 0);
  }), [heatRow, grid]);

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
    if (e.key === 'Escape') {
      setActive(null);
      return;
    }
    const patch = nextPatch(e.key, queries[qi].grid, live?.query === qi ? live.patch : 0);
    if (patch === null) return;
    e.preventDefault();
    setActive({ query: qi, patch, pinned: true, keyboard: true });
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

      <PositionPickers
        name={uid} images={probe.examples.length} image={index} queries={queries} labels={labels} selection={current}
        onImage={(i) => { actions.setProbeImage(i); setActive(null); }}
        onSelection={(value) => { setSelection(value); setActive(null); }}
      />

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
        <PositionLegend counts={counts} uid={uid} />
        <Readout
          live={live} query={activeQuery} label={live ? labels[live.query] : ''} status={activeStatus}
          argmax={live ? analysed[live.query].argmax[live.patch] : -1} grid={grid} row={heatRow}
        />
      </div>
    </section>
  );
}
