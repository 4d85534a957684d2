/**
 * Seeded random links for fuzzing the link decoder (state/url.fuzz.test.ts in Node, and
 * e2e/links.spec.ts pasted into the page): keys and values the app knows and values it must
 * refuse (hex numbers, broken percent-encoding, markup, emoji, very long text), joined by
 * `&`, `;`, a stray `#` or `=`. The same seed gives the same links.
 */
import { methods } from '../methods/registry';
import { RESERVED_KEYS } from './url';

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

/** `count` links from `seed`. */
export function fuzzLinks(seed: number, count: number): string[] {
  const random = generator(seed);
  return Array.from({ length: count }, () => fuzzLink(random));
}
