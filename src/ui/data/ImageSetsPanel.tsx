import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { STORED_SIDE } from '../../measures/imageSets';
import { pickedFromDrop, pickedFromInput, type PickedFile } from '../../state/decodeImages';
import { describeSet, imageSets, useImageStore, type ImageSetSummary } from '../../state/imageSets';
import { actions, useAppStore, type StoreState } from '../../state/store';
import './imageSets.css';

const selectDataset = (state: StoreState) => String(state.experiment.values.dataset);
const selectSets = (state: { sets: ImageSetSummary[] | null }) => state.sets;
const selectAdding = (state: { adding: { name: string; done: number; total: number } | null }) => state.adding;

/**
 * "Your images" in the data settings: add files or a folder (picked or dropped) as a named set
 * kept in this browser, watch them decode, and pick or delete the sets kept.
 */
export function ImageSetsPanel() {
  const sets = useImageStore(selectSets);
  const adding = useImageStore(selectAdding);
  const dataset = useAppStore(selectDataset);
  const [name, setName] = useState('');
  const [over, setOver] = useState(false);
  const nameId = useId();
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // `webkitdirectory` is not in React's attribute list: set it on the element.
    folderInput.current?.setAttribute('webkitdirectory', '');
  }, []);

  const add = async (picked: PickedFile[]) => {
    if (await imageSets.addPicked(picked, name)) setName('');
  };
  const onInput = (input: HTMLInputElement | null) => {
    if (!input?.files) return;
    const picked = pickedFromInput(input.files);
    input.value = ''; // the same files can be picked again
    void add(picked);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation(); // the page's own drop handler would take it too
    setOver(false);
    void pickedFromDrop(event.dataTransfer).then(add);
  };

  return (
    <section className="image-sets" aria-label="Your images">
      <h3 className="image-sets__title">Your images</h3>
      <div
        className={`image-sets__drop${over ? ' image-sets__drop--over' : ''}`}
        onDragOver={(event) => { event.preventDefault(); event.stopPropagation(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="image-drop"
      >
        <p className="help">
          Drop image files or a folder here, or pick them. They are decoded and kept in this browser only, never uploaded.
          One subfolder per class gives labels, for kNN and the linear probe.
        </p>
        <div className="image-sets__row">
          <label htmlFor={nameId}>Name</label>
          <input id={nameId} type="text" value={name} maxLength={40} placeholder="from the folder"
            onChange={(event) => setName(event.target.value)} disabled={adding !== null} />
        </div>
        <div className="image-sets__row">
          <button type="button" onClick={() => filesInput.current?.click()} disabled={adding !== null}>Add images…</button>
          <button type="button" onClick={() => folderInput.current?.click()} disabled={adding !== null}>Add a folder…</button>
          <input ref={filesInput} type="file" accept="image/*" multiple hidden data-testid="image-files"
            onChange={(event) => onInput(event.currentTarget)} />
          <input ref={folderInput} type="file" multiple hidden data-testid="image-folder"
            onChange={(event) => onInput(event.currentTarget)} />
        </div>
      </div>
      {adding && (
        <div className="image-sets__progress" role="status">
          <progress value={adding.done} max={Math.max(1, adding.total)} aria-label={`Decoding ${adding.name}`} />
          <span>Decoding “{adding.name}”: {adding.done} of {adding.total}</span>
          <button type="button" onClick={() => imageSets.cancel()}>Cancel</button>
        </div>
      )}
      {sets && sets.length > 0 && (
        <ul className="image-sets__list">
          {sets.map((set) => (
            <ImageSetItem key={set.name} set={set} selected={set.name === dataset} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ImageSetItem({ set, selected }: { set: ImageSetSummary; selected: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current) drawThumbnails(canvas.current, set.preview, set.previewCount, STORED_SIDE);
  }, [set]);
  const remove = () => {
    if (window.confirm(`Delete the image set "${set.name}" from this browser? Saved runs that trained on it can no longer train on.`)) {
      void imageSets.remove(set.name);
    }
  };
  return (
    <li className={`image-set${selected ? ' image-set--selected' : ''}`} data-testid="image-set">
      <canvas ref={canvas} className="image-set__thumbs pixel-canvas" role="img" aria-label={`Some images of ${set.name}`} />
      <div className="image-set__text">
        <strong>{set.name}</strong>
        <span className="help">{describeSet(set)}</span>
      </div>
      <div className="image-set__actions">
        {selected
          ? <span className="image-set__badge">Dataset</span>
          : <button type="button" onClick={() => actions.setValue('dataset', set.name)}>Use</button>}
        <button type="button" onClick={remove} aria-label={`Delete ${set.name}`}>Delete</button>
      </div>
    </li>
  );
}

/** Draws `count` RGB images of `side` px side by side. */
export function drawThumbnails(canvas: HTMLCanvasElement, rgb: Uint8Array, count: number, side: number): void {
  canvas.width = side * Math.max(1, count);
  canvas.height = side;
  const context = canvas.getContext('2d');
  if (!context || count === 0) return;
  const image = context.createImageData(side * count, side);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const from = ((n * side + y) * side + x) * 3;
        const to = (y * side * count + n * side + x) * 4;
        image.data[to] = rgb[from];
        image.data[to + 1] = rgb[from + 1];
        image.data[to + 2] = rgb[from + 2];
        image.data[to + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
}
