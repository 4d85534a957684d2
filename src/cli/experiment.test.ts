import { describe, expect, it } from 'vitest';
import { formatEvaluation } from './experiment';

describe('formatEvaluation', () => {
  it('tabulates every score the record has, trained beside untrained, with the difference', () => {
    const text = formatEvaluation({
      step: 150, ms: 1,
      scores: { knn: 0.14375, linear: 0.1875, fineTune: [0.52, 0.66, 0.645] },
      baseline: { knn: 0.0875, linear: 0.2, fineTune: [0.5, 0.6, 0.6] },
    });
    const [header, rule, ...rows] = text.split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['score', 'step 150', 'untrained', 'Δ']);
    expect(rule).toMatch(/^-+( +-+)+$/);
    expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
      ['kNN', '0.144', '0.087', '+0.056'],
      ['Linear', '0.188', '0.200', '-0.013'],
      ['Fine-tune mIoU 1%', '0.520', '0.500', '+0.020'],
      ['Fine-tune mIoU 10%', '0.660', '0.600', '+0.060'],
      ['Fine-tune mIoU 100%', '0.645', '0.600', '+0.045'],
    ]);
  });
});
