/**
 * The visitor's own images as a dataset. The page decodes the files, centre-crops them square
 * and keeps them at STORED_SIDE px as bytes (IndexedDB, never uploaded); a run gets the set with
 * its start request, and engine/data/images.ts splits it and shrinks it to the run's image size.
 * Pure typed arrays: no tfjs, no DOM (the page, the worker and Node share it).
 *
 * Own images have no object masks, and labels only when they came in one subfolder per class:
 * the evaluations that need masks (segmentation, fine-tuning, attention Jaccard) are skipped,
 * and kNN and the linear probe need at least two labels.
 */

/** Side in pixels at which an image set is kept; runs take 64, 32 or 16 from it by averaging. */
export const STORED_SIDE = 64;
/** Fewest images a set may have: the held-out probes take 8, and a batch needs the rest. */
export const MIN_IMAGES = 16;
/** Most images a set keeps (64×64×3 bytes each: 48 MB at the limit). */
export const MAX_IMAGES = 4096;
/** Dataset names that are built in, which an image set may not take. */
export const BUILT_IN_DATASETS: readonly string[] = ['shapes'];
/** The class name of an unlabelled set's images (one class: nothing to classify). */
export const UNLABELLED = 'unlabelled';
/** Held-out images the probes draw on (as the shapes dataset's PROBE_COUNT). */
export const PROBE_IMAGES = 8;
/** Most held-out images (the shapes dataset's embedding set has 160). */
const MAX_HELD_OUT = 160;

export interface ImageSetData {
  name: string;
  /** Side of the stored images in pixels (STORED_SIDE). */
  side: number;
  count: number;
  /** [count, side, side, 3] RGB bytes, row-major. */
  pixels: Uint8Array;
  /** [count] index into classNames. */
  labels: Int32Array;
  /** One name per label; a single entry means the set is unlabelled. */
  classNames: string[];
}

/** A name an image set can take, or why not (shown under the name field and in link notices). */
export function imageSetNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the image set a name.';
  if (trimmed.length > 40) return 'An image set’s name has at most 40 characters.';
  if (!/^[\p{L}\p{N}][\p{L}\p{N} _.()-]*$/u.test(trimmed)) {
    return 'An image set’s name starts with a letter or digit and has only letters, digits, spaces and _ . ( ) -.';
  }
  if (BUILT_IN_DATASETS.includes(trimmed.toLowerCase())) return `"${trimmed}" is a built-in dataset’s name.`;
  return null;
}

/** True when the set has at least two classes (kNN, the linear probe and DDeP need labels). */
export function isLabelled(set: { classNames: readonly string[] }): boolean {
  return set.classNames.length >= 2;
}

/**
 * Labels from where the files lay: the first folder below the folder all of them share. Files
 * in that shared folder itself form a class named after it. Fewer than two classes: unlabelled.
 *   animals/cat/1.jpg, animals/dog/2.jpg → cat, dog
 *   cat/1.jpg, dog/2.jpg (two folders dropped together) → cat, dog
 *   photos/1.jpg, photos/2.jpg, or loose files → unlabelled
 */
export function labelsFromPaths(paths: readonly string[]): { labels: Int32Array; classNames: string[] } {
  const folders = paths.map((path) => path.split('/').filter((part) => part !== '').slice(0, -1));
  let common = 0;
  if (folders.length > 0) {
    const first = folders[0];
    while (common < first.length && folders.every((f) => f.length > common && f[common] === first[common])) common++;
  }
  const sharedName = common > 0 ? folders[0][common - 1] : '';
  const names = folders.map((f) => (f.length > common ? f[common] : sharedName || UNLABELLED));
  const classNames = [...new Set(names)].sort((a, b) => a.localeCompare(b));
  if (classNames.length < 2) return { labels: new Int32Array(paths.length), classNames: [UNLABELLED] };
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { labels: Int32Array.from(names, (name) => index.get(name)!), classNames };
}

/**
 * Images [count, from, from, 3] as bytes → [count, to, to, 3] in [0, 1], each output pixel the
 * mean of the (from/to)² pixels it covers. `from` must be a multiple of `to`.
 */
export function shrinkImages(pixels: Uint8Array, count: number, from: number, to: number): Float32Array {
  if (from % to !== 0) throw new Error(`Images of ${from} px cannot be shrunk to ${to} px evenly.`);
  if (pixels.length !== count * from * from * 3) throw new Error(`Expected ${count * from * from * 3} bytes for ${count} images of ${from} px, got ${pixels.length}.`);
  const f = from / to;
  const scale = 1 / (255 * f * f);
  const out = new Float32Array(count * to * to * 3);
  for (let n = 0; n < count; n++) {
    const source = n * from * from * 3;
    const target = n * to * to * 3;
    for (let y = 0; y < to; y++) {
      for (let x = 0; x < to; x++) {
        let r = 0; let g = 0; let b = 0;
        for (let dy = 0; dy < f; dy++) {
          let at = source + ((y * f + dy) * from + x * f) * 3;
          for (let dx = 0; dx < f; dx++, at += 3) {
            r += pixels[at]; g += pixels[at + 1]; b += pixels[at + 2];
          }
        }
        const o = target + (y * to + x) * 3;
        out[o] = r * scale; out[o + 1] = g * scale; out[o + 2] = b * scale;
      }
    }
  }
  return out;
}

/** Held-out images for a set of `count`: a fifth, at least the probes' 8, at most 160. */
export function heldOutCount(count: number): number {
  return Math.min(MAX_HELD_OUT, Math.max(PROBE_IMAGES, Math.round(count / 5)));
}

/**
 * A short fingerprint of a set's pixels and labels: tells two sets of one name apart (imports).
 * Two 32-bit FNV-style lanes over the pixels taken four bytes at a time (a 4096-image set is
 * 50 MB: per-byte hashing would hold the page for hundreds of ms).
 */
export function imageSetDigest(set: ImageSetData): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const mix = (value: number) => {
    h1 = Math.imul(h1 ^ value, 0x01000193);
    h2 = Math.imul(h2 ^ value, 0x5bd1e995);
  };
  mix(set.count); mix(set.side);
  const { pixels } = set;
  const words = pixels.byteOffset % 4 === 0 ? Math.floor(pixels.length / 4) : 0;
  const view = new Uint32Array(pixels.buffer, pixels.byteOffset, words);
  for (let i = 0; i < words; i++) {
    const value = view[i];
    h1 = Math.imul(h1 ^ value, 0x01000193);
    h2 = Math.imul(h2 ^ value, 0x5bd1e995);
  }
  for (let i = words * 4; i < pixels.length; i++) mix(pixels[i]);
  for (let i = 0; i < set.labels.length; i++) mix(set.labels[i]);
  for (const name of set.classNames) for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
