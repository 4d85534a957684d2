import { describe, expect, it } from 'vitest';
import { savedAgo } from './SavedRuns';

describe('the saved-runs list', () => {
  it('says how long ago it was saved', () => {
    const now = Date.UTC(2026, 10, 29, 12);
    expect(savedAgo(now - 20_000, now)).toBe('just now');
    expect(savedAgo(now - 4 * 60_000, now)).toBe('4 min ago');
    expect(savedAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
  });
});
