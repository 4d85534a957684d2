/**
 * The position view's controls and legend: which probe image and which query to show, and what
 * the marks mean with their counts. Stateless: PositionView holds the state.
 */
import type { PositionQuery } from '../../methods/probes';
import { LegendLine, capitalise } from './PositionMarks';
import { STATUS_COLORS, type QuerySelection, type StatusCounts } from './positionDraw';

export interface PositionPickersProps {
  /** Prefix of the radio groups' names (unique per view). */
  name: string;
  images: number;
  image: number;
  queries: readonly PositionQuery[];
  labels: readonly string[];
  selection: QuerySelection;
  onImage: (index: number) => void;
  onSelection: (selection: QuerySelection) => void;
}

export function PositionPickers({ name, images, image, queries, labels, selection, onImage, onSelection }: PositionPickersProps) {
  return (
    <div className="probe-controls">
      <fieldset className="segmented" data-testid="position-image-picker">
        <legend>Probe image</legend>
        {Array.from({ length: images }, (_, i) => (
          <label key={i} className="segmented__option">
            <input
              type="radio" name={`${name}-image`} value={i} checked={i === image}
              onChange={() => onImage(i)}
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
              type="radio" name={`${name}-query`} value={value} checked={selection === value}
              aria-label={value === 'all' ? 'All queries' : `${capitalise(labels[value])}${queries[value].flipped ? ', flipped' : ''}`}
              onChange={() => onSelection(value)}
            />
            <span>
              {value === 'all' ? 'All queries' : capitalise(labels[value])}
              {value !== 'all' && queries[value].flipped ? ' ↔' : ''}
            </span>
          </label>
        ))}
      </fieldset>
    </div>
  );
}

/** What the marks mean, with the counts of the queries shown; `uid` names the view's SVG patterns. */
export function PositionLegend({ counts, uid }: { counts: StatusCounts; uid: string }) {
  return (
    <ul className="probe-legend-list position-legend" aria-label="Legend">
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
  );
}
