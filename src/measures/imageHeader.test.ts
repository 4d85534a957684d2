import { describe, expect, it } from 'vitest';
import { imageHeaderSize } from './imageHeader';

const bytes = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/**
 * Real files: a 37×21 canvas encoded by Chromium (canvas.toBlob) as PNG, JPEG (with an ICC
 * profile before the frame header) and WebP (extended VP8X, as Chromium writes it).
 */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAACUAAAAVCAYAAADB5CeuAAAAXklEQVR4AeySwQkAMAgDQ1fqUJ3JnbpTu4BgEB8KKeQXazxdd+/XTQsNn0KxS5lD6hgQiZ0645tDKjNdZY1IsTRFSqRYAqzPvSk7QCS2Qcbnhsp8VFmjUCxNkRpN6gMAAP//FcPxGAAAAAZJREFUAwCWw2NAhayE+wAAAABJRU5ErkJggg==';
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAVACUDASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAAAAYEBf/EACIQAAICAgIBBQEAAAAAAAAAAAABAgMEEQUSUSEiMUFh8P/EABYBAQEBAAAAAAAAAAAAAAAAAAAGBP/EAB8RAAIBBAIDAAAAAAAAAAAAAAABAwIEBRESIiExkf/aAAwDAQACEQMRAD8AnsHEszLXXU4qSj29z/vJoy+JvxseV1k6nGOtqLe/nXgcHkVY2XOd8usXBpPTfrteDo8ryOLfgW11W9py1pdWvtfhMV1yKRJLwUmSyWXiy8dvbxtwN07fFtab7dvS0vhPAA0lmAAAAAAAAAAAAf/Z';
const WEBP = 'UklGRoYCAABXRUJQVlA4WAoAAAAgAAAAJAAAFAAASUNDUMgBAAAAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADZWUDggmAAAAJAEAJ0BKiUAFQA+bTaXSKQjIiElaACADYliAND6gCyQMow8k8BH83T2qrmu4AD+2KFyM9ryuXjEn186nNNOV0eX/NJg+i/CFxCQa//App2tLhVrfgj1Of+K5a3//nMd6iy/kK1afN7H+y/5zdF/OPCR1Hqh/17b/9M3s/P63XqK//1c9g/5iLwv1sBYX2izlcHBMscUAAAA';

/** Little-endian bytes of a value. */
const le = (value: number, size: number) => Array.from({ length: size }, (_, i) => (value >>> (8 * i)) & 0xff);
const text = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

describe('image sizes from file headers', () => {
  it('reads PNG, JPEG and WebP files written by Chromium', () => {
    expect(imageHeaderSize(bytes(PNG))).toEqual({ format: 'PNG', width: 37, height: 21 });
    expect(imageHeaderSize(bytes(JPEG))).toEqual({ format: 'JPEG', width: 37, height: 21 });
    expect(imageHeaderSize(bytes(WEBP))).toEqual({ format: 'WebP', width: 37, height: 21 });
  });

  it('reads GIF, BMP and the simple WebP chunks as their specifications lay them out', () => {
    // GIF89a: logical screen width and height, 16-bit little-endian, after the 6-byte signature.
    expect(imageHeaderSize(Uint8Array.from([...text('GIF89a'), ...le(640, 2), ...le(480, 2), 0, 0, 0]))).toEqual({ format: 'GIF', width: 640, height: 480 });
    // BMP: BITMAPINFOHEADER width at 18 and height at 22 (negative: rows top-down).
    const bmp = [...text('BM'), ...le(0, 12), ...le(40, 4), ...le(3000, 4), ...le(-2000, 4)];
    expect(imageHeaderSize(Uint8Array.from(bmp))).toEqual({ format: 'BMP', width: 3000, height: 2000 });
    // WebP lossless (VP8L): signature 0x2f, then 14 bits width−1 and 14 bits height−1.
    const bits = (99 - 1) | ((50 - 1) << 14);
    const vp8l = [...text('RIFF'), ...le(0, 4), ...text('WEBPVP8L'), ...le(0, 4), 0x2f, ...le(bits, 4), 0, 0, 0, 0, 0];
    expect(imageHeaderSize(Uint8Array.from(vp8l))).toEqual({ format: 'WebP', width: 99, height: 50 });
    // WebP lossy (VP8): frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
    const vp8 = [...text('RIFF'), ...le(0, 4), ...text('WEBPVP8 '), ...le(0, 4), 0, 0, 0, 0x9d, 0x01, 0x2a, ...le(1920, 2), ...le(1080, 2)];
    expect(imageHeaderSize(Uint8Array.from(vp8))).toEqual({ format: 'WebP', width: 1920, height: 1080 });
  });

  it('finds a huge image’s size without the rest of the file', () => {
    const png = bytes(PNG).slice(0, 24);
    new DataView(png.buffer).setUint32(16, 20000);
    new DataView(png.buffer).setUint32(20, 15000);
    expect(imageHeaderSize(png)).toEqual({ format: 'PNG', width: 20000, height: 15000 });
  });

  it('says nothing about what it does not know', () => {
    expect(imageHeaderSize(Uint8Array.from(text('hello, world: not an image at all')))).toBeNull();
    expect(imageHeaderSize(new Uint8Array(0))).toBeNull();
    expect(imageHeaderSize(bytes(JPEG).slice(0, 40))).toBeNull(); // cut before the frame header
  });
});
