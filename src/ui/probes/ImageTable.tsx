/**
 * The image grid the denoising, feature and reconstruction views share: a head row of column
 * titles, then one row per probe image (or level), each cell a PixelCanvas, with an optional
 * leading column (a row's name) and trailing column (its numbers). Every row is the same grid,
 * so the head lines up with every row; a view's own stylesheet rearranges the cells when its
 * container is narrow (`.<view> .image-table__cell--<role>`) and shows each cell's label then.
 */
import type { CSSProperties, ReactNode } from 'react';
import './imageTable.css';
import { PixelCanvas } from './PixelCanvas';

export interface ImageColumn {
  /** The cell's key in a row, its `data-part` and its class `image-table__cell--<role>`. */
  role: string;
  title: string;
  symbol: string;
  /** The column's tooltip, on the head and on every cell. */
  help: string;
  /** Extra classes on each of the column's cells (e.g. a view's dimming of untrained maps). */
  className?: string;
}

export interface ImageCell {
  rgba: Uint8ClampedArray<ArrayBuffer>;
  /** Pixels per side of this cell's image (levels of a pyramid differ); drawn at the table's side. */
  size: number;
  /** What assistive technology reads for this image. */
  label: string;
  /** A line under the image (e.g. its error). */
  note?: ReactNode;
}

export interface ImageRow {
  key: string | number;
  /** The row's group label: "Probe image 3". */
  label: string;
  /** `data-*` attributes tests and styles read (`{ 'data-index': 2 }`). */
  data?: Record<`data-${string}`, string | number>;
  /** The cells by column role; a missing one leaves its place empty. */
  cells: Partial<Record<string, ImageCell>>;
  /** The leading and trailing columns' contents (the table's `lead` / `tail` must be set). */
  lead?: ReactNode;
  tail?: ReactNode;
}

export interface ImageTableProps {
  columns: readonly ImageColumn[];
  rows: readonly ImageRow[];
  /** CSS side of every image, a whole multiple of each image's pixels (cellSide and friends). */
  side: number;
  /** Each row's test id (`denoising-row`), and each canvas's (`denoising-canvas`). */
  rowTestId: string;
  canvasTestId: string;
  /** A leading column: its head and its width (a CSS length). */
  lead?: { head: ReactNode; width: string };
  /** A trailing column: its head, tooltip and width (a CSS track size). */
  tail?: { head: ReactNode; help: string; width: string };
  /** More classes on the table (a view's own layout rules). */
  className?: string;
}

export function ImageTable({ columns, rows, side, rowTestId, canvasTestId, lead, tail, className }: ImageTableProps) {
  const template = [lead?.width, `repeat(${columns.length}, var(--image-table-cell))`, tail?.width].filter(Boolean).join(' ');
  const style = { '--image-table-cell': `${side}px`, '--image-table-columns': template } as CSSProperties;
  return (
    <div className={`image-table${className ? ` ${className}` : ''}`} style={style}>
      <div className="image-table__row image-table__row--head" aria-hidden="true">
        {lead && <span className="image-table__head image-table__head--lead">{lead.head}</span>}
        {columns.map((c) => (
          <span key={c.role} className={`image-table__head image-table__head--${c.role}`} title={c.help}>
            {c.title}
            <span className="image-table__symbol">{c.symbol}</span>
          </span>
        ))}
        {tail && <span className="image-table__head image-table__head--tail" title={tail.help}>{tail.head}</span>}
      </div>
      {rows.map((row) => (
        <div key={row.key} className="image-table__row" data-testid={rowTestId} role="group" aria-label={row.label} {...row.data}>
          {row.lead}
          {columns.map((c) => {
            const cell = row.cells[c.role];
            return (
              <figure key={c.role} className={`probe-figure image-table__cell image-table__cell--${c.role}${c.className ? ` ${c.className}` : ''}`} title={c.help}>
                {cell && (
                  <PixelCanvas
                    rgba={cell.rgba} size={cell.size} side={side} part={c.role} label={cell.label}
                    className="probe-canvas" testid={canvasTestId}
                  />
                )}
                {/* One caption per figure: the label alone (shown in a narrow layout), or the note with the label. */}
                {cell?.note === undefined ? (
                  <figcaption className="image-table__label">{c.title} {c.symbol}</figcaption>
                ) : (
                  <figcaption className="image-table__caption">
                    <span className="image-table__label">{c.title} {c.symbol}</span>
                    <span className="image-table__note">{cell.note}</span>
                  </figcaption>
                )}
              </figure>
            );
          })}
          {row.tail}
        </div>
      ))}
    </div>
  );
}
