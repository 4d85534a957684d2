import { describe, expect, it } from 'vitest';
import { decodeImages, describeSkipped, looksLikeImage, suggestedName } from './decodeImages';

// Decoding itself needs a browser (createImageBitmap, OffscreenCanvas): e2e/images.spec.ts.
describe('before any decoding', () => {
  it('refuses an empty folder with its own message', async () => {
    await expect(decodeImages([], 'empty')).rejects.toThrow(/no files in what you dropped \(an empty folder\?\)/);
  });

  it('tells images from other files by type or name, not system files', () => {
    expect(looksLikeImage({ name: 'a.JPG', type: '' })).toBe(true);
    expect(looksLikeImage({ name: 'photo', type: 'image/heic' })).toBe(true);
    expect(looksLikeImage({ name: 'notes.txt', type: 'text/plain' })).toBe(false);
    expect(looksLikeImage({ name: '.DS_Store', type: '' })).toBe(false);
  });

  it('names the first skipped files and counts the rest', () => {
    const skipped = ['a.txt', 'b.pdf', 'c.doc', 'd.zip'].map((path) => ({ path, reason: 'not an image' }));
    expect(describeSkipped(skipped)).toBe('4 files skipped: a.txt (not an image), b.pdf (not an image), c.doc (not an image) and 1 more.');
    expect(describeSkipped(skipped.slice(0, 1))).toBe('1 file skipped: a.txt (not an image).');
    expect(describeSkipped([])).toBe('');
  });

  it('suggests the shared top folder as the set’s name', () => {
    const picked = (paths: string[]) => paths.map((path) => ({ file: new File([], path.split('/').pop()!), path }));
    expect(suggestedName(picked(['animals/cat/1.jpg', 'animals/dog/2.jpg']))).toBe('animals');
    expect(suggestedName(picked(['cat/1.jpg', 'dog/2.jpg']))).toBe('My images');
    expect(suggestedName(picked(['1.jpg', '2.jpg']))).toBe('My images');
    // Issue 22: a folder whose name is not a valid set name is not refused; the name is made valid.
    expect(suggestedName(picked(['Ferien & Urlaub!/a/1.jpg', 'Ferien & Urlaub!/b/2.jpg']))).toBe('Ferien Urlaub');
    expect(suggestedName(picked(['_raw/1.jpg', '_raw/2.jpg']))).toBe('raw');
    expect(suggestedName(picked(['shapes/1.jpg', 'shapes/2.jpg']))).toBe('My images'); // a built-in dataset's name
    expect(suggestedName(picked(['!!!/1.jpg']))).toBe('My images');
  });
});
