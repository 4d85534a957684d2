import { describe, expect, it } from 'vitest';
import { fuzzLinks } from './fuzzLinks';
import { decodeComparison, encodeComparison } from './url';

// Issue 22: a seeded fuzz of the link decoder. Every link is either clean (it decodes without a
// notice, and what it decodes to survives encoding and decoding again) or yields notices, none
// of which quotes an unbounded piece of the link; nothing throws.
describe('link decoder under fuzzing', () => {
  it('never throws; a clean link round-trips; every notice stays short', () => {
    let clean = 0;
    for (const link of fuzzLinks(22, 400)) {
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
