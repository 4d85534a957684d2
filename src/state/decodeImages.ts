/**
 * Turns files the visitor dropped or picked into an image set: each file is decoded by the
 * browser (createImageBitmap, off the main thread), centre-cropped square, resized to
 * STORED_SIDE px and kept as RGB bytes. Nothing leaves the machine. Files that are not images,
 * that cannot be decoded or that are too big are skipped and named; a set with too few images
 * is refused whole.
 */
import { imageHeaderSize } from '../measures/imageHeader';
import {
  imageSetNameProblem, labelsFromPaths, MAX_IMAGES, MIN_IMAGES, STORED_SIDE, type ImageSetData,
} from '../measures/imageSets';

/** A file and where it lay below what was dropped ("animals/cat/1.jpg"; the bare name for loose files). */
export interface PickedFile {
  file: File;
  path: string;
}

/** Files larger than this are not decoded (a photo is a few MB; this is far past any). */
export const MAX_FILE_BYTES = 64 * 2 ** 20;
/** Images with more pixels than this are skipped: decoding them takes seconds and hundreds of MB. */
export const MAX_PIXELS = 50_000_000;
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|avif|ico|svg)$/i;

export interface Skipped {
  path: string;
  reason: string;
}

export interface DecodeResult {
  set: ImageSetData;
  skipped: Skipped[];
  /** Images past MAX_IMAGES that were left out. */
  leftOut: number;
}

export class ImageSetError extends Error {
  constructor(message: string, readonly skipped: Skipped[] = []) {
    super(message);
  }
}

/** Whether a file looks like an image by its type or name (system files like .DS_Store are not). */
export function looksLikeImage(file: { name: string; type: string }): boolean {
  return file.type.startsWith('image/') || IMAGE_EXTENSIONS.test(file.name);
}

/** "3 files skipped: a.txt (not an image), …" — the first few named. */
export function describeSkipped(skipped: readonly Skipped[], shown = 3): string {
  if (skipped.length === 0) return '';
  const named = skipped.slice(0, shown).map((s) => `${s.path} (${s.reason})`).join(', ');
  const more = skipped.length > shown ? ` and ${skipped.length - shown} more` : '';
  return `${skipped.length} file${skipped.length > 1 ? 's' : ''} skipped: ${named}${more}.`;
}

/** Bytes read to find an image's size (a JPEG's frame header may follow a large EXIF block). */
const HEADER_BYTES = 256 * 1024;
const tooManyPixels = (width: number, height: number) => `${width}×${height} px, more than ${MAX_PIXELS / 1e6} megapixels`;

/** One file → STORED_SIDE² RGB bytes, or the reason it cannot be. */
async function decodeOne(file: File, context: OffscreenCanvasRenderingContext2D): Promise<Uint8Array | string> {
  if (file.size === 0) return 'empty file';
  if (file.size > MAX_FILE_BYTES) return `${Math.round(file.size / 2 ** 20)} MB, larger than ${MAX_FILE_BYTES / 2 ** 20} MB`;
  // A huge image is refused from its header, before the browser spends memory decoding it.
  const header = imageHeaderSize(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
  if (header && header.width * header.height > MAX_PIXELS) return tooManyPixels(header.width, header.height);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return looksLikeImage(file) ? 'could not be decoded' : 'not an image';
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_PIXELS) return tooManyPixels(width, height);
    const side = Math.min(width, height);
    const square = await createImageBitmap(bitmap, Math.floor((width - side) / 2), Math.floor((height - side) / 2), side, side, {
      resizeWidth: STORED_SIDE, resizeHeight: STORED_SIDE, resizeQuality: 'high',
    });
    // Transparent pixels show white, as an image viewer would.
    context.fillStyle = '#fff';
    context.fillRect(0, 0, STORED_SIDE, STORED_SIDE);
    context.drawImage(square, 0, 0);
    square.close();
    const rgba = context.getImageData(0, 0, STORED_SIDE, STORED_SIDE).data;
    const rgb = new Uint8Array(STORED_SIDE * STORED_SIDE * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i]; rgb[j + 1] = rgba[i + 1]; rgb[j + 2] = rgba[i + 2];
    }
    return rgb;
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes the files into a set named `name`, reporting progress after each file. Throws an
 * ImageSetError when nothing usable is left (no files, no images, fewer than MIN_IMAGES) or when
 * `signal` aborts; nothing is kept then.
 */
export async function decodeImages(
  picked: readonly PickedFile[], name: string,
  onProgress: (done: number, total: number) => void = () => {}, signal?: AbortSignal,
): Promise<DecodeResult> {
  if (picked.length === 0) throw new ImageSetError('There were no files in what you dropped (an empty folder?).');
  const sorted = [...picked].sort((a, b) => a.path.localeCompare(b.path));
  const skipped: Skipped[] = [];
  const candidates: PickedFile[] = [];
  for (const item of sorted) {
    if (item.file.name.startsWith('.')) continue; // .DS_Store and friends: not the visitor's images
    if (!looksLikeImage(item.file) && item.file.type !== '') skipped.push({ path: item.path, reason: 'not an image' });
    else candidates.push(item);
  }
  const canvas = new OffscreenCanvas(STORED_SIDE, STORED_SIDE);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new ImageSetError('This browser cannot draw images off screen, so it cannot read them.');
  const kept: { path: string; rgb: Uint8Array }[] = [];
  let leftOut = 0;
  for (let i = 0; i < candidates.length; i++) {
    if (signal?.aborted) throw new ImageSetError('Adding the images was cancelled; nothing was kept.');
    if (kept.length >= MAX_IMAGES) {
      leftOut = candidates.length - i;
      break;
    }
    const { file, path } = candidates[i];
    const result = await decodeOne(file, context);
    if (typeof result === 'string') skipped.push({ path, reason: result });
    else kept.push({ path, rgb: result });
    onProgress(i + 1, candidates.length);
  }
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  if (kept.length === 0) {
    throw new ImageSetError(`None of the ${picked.length} file${picked.length > 1 ? 's' : ''} is an image this browser can read. ${describeSkipped(skipped)}`, skipped);
  }
  if (kept.length < MIN_IMAGES) {
    throw new ImageSetError(`An image set needs at least ${MIN_IMAGES} images (8 are held out for the probes); ` +
      `only ${kept.length} could be read. ${describeSkipped(skipped)}`.trim(), skipped);
  }
  const { labels, classNames } = labelsFromPaths(kept.map((k) => k.path));
  const area = STORED_SIDE * STORED_SIDE * 3;
  const pixels = new Uint8Array(kept.length * area);
  kept.forEach((k, i) => pixels.set(k.rgb, i * area));
  return { set: { name: name.trim(), side: STORED_SIDE, count: kept.length, pixels, labels, classNames }, skipped, leftOut };
}

/** The files of a <input type="file"> (with `webkitdirectory`, their paths below the folder). */
export function pickedFromInput(files: FileList | readonly File[]): PickedFile[] {
  return Array.from(files, (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/**
 * The files of a drop, folders walked (their paths kept for labels). Items must be read
 * synchronously in the drop handler, so this takes the entries first and walks them after.
 */
export async function pickedFromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(transfer.items, (item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() ?? null : null));
  if (entries.every((entry) => entry === null)) return pickedFromInput(transfer.files);
  const out: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most ~100 entries per call: read until it returns none.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) if (entry) await walk(entry, '');
  return out;
}

/**
 * A name for a new set from what was picked: the shared top folder, else "My images". The
 * visitor typed no name, so a folder name that is not a valid set name is made one (other
 * characters become spaces, "Ferien & Urlaub!" → "Ferien Urlaub") rather than refused.
 */
export function suggestedName(picked: readonly PickedFile[]): string {
  const tops = new Set(picked.map((p) => (p.path.includes('/') ? p.path.split('/')[0] : '')));
  const [top] = [...tops];
  if (tops.size !== 1 || !top) return 'My images';
  const cleaned = top.replace(/[^\p{L}\p{N} _.()-]+/gu, ' ').replace(/\s+/g, ' ').replace(/^[^\p{L}\p{N}]+/u, '').slice(0, 40).trim();
  return cleaned === '' || imageSetNameProblem(cleaned) !== null ? 'My images' : cleaned;
}
