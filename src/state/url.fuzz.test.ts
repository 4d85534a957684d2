import { describe, expect, it } from 'vitest';
import { methods } from '../methods/registry';
import { decodeComparison, encodeComparison, RESERVED_KEYS } from './url';

/** mulberry32: a small seeded generator, so every run fuzzes the same links. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [...new Set([...RESERVED_KEYS, ...methods.flatMap((m) => m.settings.map((s) => s.urlKey)), 'zz', '', ' ', 'M'])];
const VALUES = [
  ...methods.map((m) => m.id), ...methods.flatMap((m) => m.presets.map((p) => p.id)), ...methods.flatMap((m) => m.lessons.map((l) => l.id)),
  '0', '1', '-1', '0.5', '1e-3', '0x10', '+1', 'NaN', 'Infinity', '1e999', '', ' ', 'on', 'true', 'vit', 'cnn', '16', '32', '64',
  '%', '%E0%A4%A', '%FF', '%00', '%3Cb%3Ex%3C%2Fb%3E', '<img src=x onerror=alert(1)>', 'ü', '名前', '🙂', 'x'.repeat(500),
];
const SEPARATORS = ['&', '&', '&', ';', '#', '&&', '='];

function fuzzLink(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const parts: string[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const r = random();
    parts.push(r < 0.1 ? pick(VALUES) : r < 0.15 ? pick(KEYS) : `${pick(KEYS)}=${pick(VALUES)}`);
    if (i < count - 1) parts.push(pick(SEPARATORS));
  }
  return `${random() < 0.2 ? 'http://localhost:5173/' : ''}${random() < 0.9 ? '#' : ''}${parts.join('')}`;
}

// Issue 22: a seeded fuzz of the link decoder. Every link is either clean (it decodes without a
// notice, and what it decodes to survives encoding and decoding again) or yields notices, none
// of which quotes an unbounded piece of the link; nothing throws.
describe('link decoder under fuzzing', () => {
  it('never throws; a clean link round-trips; every notice stays short', () => {
    const random = generator(22);
    let clean = 0;
    for (let i = 0; i < 400; i++) {
      const link = fuzzLink(random);
      const decoded = decodeComparison(link);
      for (const notice of decoded.notices) expect(notice.length, `${link.slice(0, 120)} → ${notice.slice(0, 120)}`).toBeLessThan(400);
      if (decoded.refused) continue;
      const again = decodeComparison(`#${encodeComparison(decoded.comparison)}`);
      expect(again.comparison, link.slice(0, 200)).toEqual(decoded.comparison);
      if (decoded.notices.length === 0) clean++;
      else expect(decoded.notices.every((n) => n.trim().length > 0)).toBe(true);
    }
    expect(clean).toBeGreaterThan(0); // the generator also writes valid links
  });
});
