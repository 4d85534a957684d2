import { describe, expect, it } from 'vitest';
import {
  heldOutCount, imageSetDigest, imageSetNameProblem, isLabelled, labelsFromPaths, shrinkImages, STORED_SIDE, UNLABELLED,
} from './imageSets';

describe('labels from where the files lay', () => {
  it('takes the first folder below the shared one', () => {
    const { labels, classNames } = labelsFromPaths(['animals/dog/b.jpg', 'animals/cat/a.jpg', 'animals/cat/indoor/c.jpg', 'animals/dog/d.png']);
    expect(classNames).toEqual(['cat', 'dog']);
    expect(Array.from(labels)).toEqual([1, 0, 0, 1]);
  });

  it('takes the folders themselves when several were dropped together', () => {
    const { labels, classNames } = labelsFromPaths(['cat/a.jpg', 'dog/b.jpg', 'cat/c.jpg']);
    expect(classNames).toEqual(['cat', 'dog']);
    expect(Array.from(labels)).toEqual([0, 1, 0]);
  });

  it('gives files lying in the shared folder itself a class named after it', () => {
    const { labels, classNames } = labelsFromPaths(['pets/x.jpg', 'pets/cat/a.jpg']);
    expect(classNames).toEqual(['cat', 'pets']);
    expect(Array.from(labels)).toEqual([1, 0]);
  });

  it('leaves one folder or loose files unlabelled', () => {
    for (const paths of [['photos/a.jpg', 'photos/b.jpg'], ['a.jpg', 'b.jpg'], ['x/y/a.jpg', 'x/y/b.jpg']]) {
      const { labels, classNames } = labelsFromPaths(paths);
      expect(classNames).toEqual([UNLABELLED]);
      expect(Array.from(labels)).toEqual([0, 0]);
      expect(isLabelled({ classNames })).toBe(false);
    }
  });
});

describe('shrinking the stored images', () => {
  it('averages each block of pixels, in [0, 1]', () => {
    // One 4×4 image: red counts 0..15 along rows, green constant 255, blue 0.
    const pixels = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < 16; i++) { pixels[i * 3] = i; pixels[i * 3 + 1] = 255; }
    const out = shrinkImages(pixels, 1, 4, 2);
    // Top-left block holds 0, 1, 4, 5 → mean 2.5.
    expect(out[0]).toBeCloseTo(2.5 / 255, 6);
    expect(out[3]).toBeCloseTo(4.5 / 255, 6); // 2, 3, 6, 7
    expect(out[6]).toBeCloseTo(10.5 / 255, 6); // 8, 9, 12, 13
    expect(out[1]).toBeCloseTo(1, 6);
    expect(out[2]).toBe(0);
    expect(Array.from(shrinkImages(pixels, 1, 4, 4))).toEqual(Array.from(pixels, (v) => v / 255).map((v) => Math.fround(v)));
  });

  it('refuses sizes that do not divide, and bytes that do not fill the images', () => {
    expect(() => shrinkImages(new Uint8Array(64 * 64 * 3), 1, 64, 24)).toThrow(/cannot be shrunk to 24 px/);
    expect(() => shrinkImages(new Uint8Array(10), 1, 4, 2)).toThrow(/Expected 48 bytes/);
  });
});

describe('image set names', () => {
  it('takes letters, digits, spaces and a little punctuation, not the built-in names', () => {
    expect(imageSetNameProblem('My cats (2)')).toBeNull();
    expect(imageSetNameProblem('Fotos_2026.11')).toBeNull();
    expect(imageSetNameProblem('  ')).toMatch(/Give the image set a name/);
    expect(imageSetNameProblem('shapes')).toMatch(/built-in/);
    expect(imageSetNameProblem('a&b=c')).toMatch(/only letters, digits/);
    expect(imageSetNameProblem('x'.repeat(41))).toMatch(/at most 40/);
  });
});

describe('the held-out part and the fingerprint', () => {
  it('holds out a fifth, at least 8 and at most 160', () => {
    expect([16, 40, 41, 100, 800, 4096].map(heldOutCount)).toEqual([8, 8, 8, 20, 160, 160]);
  });

  it('tells sets apart by any byte or label', () => {
    const set = { name: 'a', side: STORED_SIDE, count: 1, pixels: new Uint8Array(STORED_SIDE * STORED_SIDE * 3), labels: new Int32Array(1), classNames: [UNLABELLED] };
    const digest = imageSetDigest(set);
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(imageSetDigest({ ...set, name: 'b' })).toBe(digest); // the name is not the content
    const changed = set.pixels.slice();
    changed[1000] = 1;
    expect(imageSetDigest({ ...set, pixels: changed })).not.toBe(digest);
  });
});
