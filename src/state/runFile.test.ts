import { describe, expect, it } from 'vitest';
import { STORED_SIDE, type ImageSetData } from '../measures/imageSets';
import { dinoDescription } from '../methods/dino/description';
import { decodeRunFile, encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION, RunFileError, type RunFile } from './runFile';
import { presetValues } from './url';

function file(overrides: Partial<RunFile> = {}): RunFile {
  const weights = {
    'student.blocks.0.qkv.weight': { shape: [2, 3], data: Float32Array.from([0.1, -2.5e-8, 3.4028235e38, -0, 1 / 3, Math.PI]) },
    'teacher.center': { shape: [4], data: Float32Array.from([1, 2, 3, 4]) },
  };
  return {
    format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: '2026-11-29T08:00:00.000Z', lesson: 'remove-centering', focus: 1,
    runs: [
      {
        name: 'healthy', methodId: 'dino', presetId: 'tiny', values: { ...presetValues(dinoDescription, 'tiny'), seed: 3 },
        step: 20, elapsedMs: 1234.5,
        history: { steps: [10, 20], series: { loss: [4.1, 3.9], teacherEntropy: [Number.NaN, 2.2], rankMe: [Infinity, -Infinity] } },
        evaluations: [{ step: 20, scores: { knn: 0.2, linear: 0.25, segmentation: [0.5, 0.6, 0.7] }, baseline: { knn: 0.1, linear: 0.1 }, ms: 900 }],
        weights,
      },
      {
        name: 'untrained', methodId: 'dino', presetId: 'tiny', values: presetValues(dinoDescription, 'tiny'),
        step: 0, elapsedMs: 0, history: { steps: [], series: {} }, evaluations: [], weights: null,
      },
    ],
    imageSets: [],
    ...overrides,
  };
}

const bytes = (a: Float32Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const refused = (text: string) => {
  try {
    decodeRunFile(text);
  } catch (error) {
    expect(error).toBeInstanceOf(RunFileError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('the export file', () => {
  it('round-trips: weights bit for bit, history with its NaN gaps and infinities, settings, evaluations', () => {
    const original = file();
    const back = decodeRunFile(encodeRunFile(original));
    expect(back.lesson).toBe('remove-centering');
    expect(back.focus).toBe(1);
    expect(back.runs.map((r) => [r.name, r.step, r.elapsedMs])).toEqual([['healthy', 20, 1234.5], ['untrained', 0, 0]]);
    expect(back.runs[0].values).toEqual(original.runs[0].values);
    expect(back.runs[0].history.steps).toEqual([10, 20]);
    expect(back.runs[0].history.series.teacherEntropy[0]).toBeNaN();
    expect(back.runs[0].history.series.rankMe).toEqual([Infinity, -Infinity]);
    expect(back.runs[0].evaluations).toEqual(original.runs[0].evaluations);
    for (const [name, entry] of Object.entries(original.runs[0].weights!)) {
      const loaded = back.runs[0].weights![name];
      expect(loaded.shape).toEqual(entry.shape);
      expect(loaded.data).toBeInstanceOf(Float32Array);
      expect(bytes(loaded.data)).toEqual(bytes(entry.data)); // −0 and 1/3 included
    }
    expect(back.runs[1].weights).toBeNull();
  });

  it('fills settings the file predates with their defaults', () => {
    const original = file();
    delete (original.runs[0].values as Record<string, unknown>).momentumTeacher;
    const back = decodeRunFile(encodeRunFile(original));
    expect(back.runs[0].values.momentumTeacher).toBe(true);
  });

  it('refuses what it cannot use, each with its own message', () => {
    const good = encodeRunFile(file());
    expect(refused('PNG\u0000\u0001 binary junk')).toMatch(/not an SSL Playground export: it is not JSON/);
    expect(refused(good.slice(0, good.length / 2))).toMatch(/not JSON text .*cut short/);
    expect(refused(JSON.stringify({ name: 'package', version: '1.0.0' }))).toMatch(/no "format": "ssl-playground-runs" marker/);
    expect(refused(encodeRunFile(file({ version: RUN_FILE_VERSION + 1 })))).toMatch(/newer version of SSL Playground \(file format 3\).*Reload the page/);
    expect(refused(encodeRunFile(file({ runs: [] })))).toMatch(/holds no runs/);

    const foreignMethod = file();
    foreignMethod.runs[0].methodId = 'mae-v9';
    expect(refused(encodeRunFile(foreignMethod))).toMatch(/Run 1 .* uses the method "mae-v9", which this version does not have/);

    const badSetting = file();
    badSetting.runs[1].values = { ...badSetting.runs[1].values, batchSize: 100000 };
    expect(refused(encodeRunFile(badSetting))).toMatch(/Run 2 .* refuses: Batch size .* between 2 and 512/);

    const badWeights = file();
    badWeights.runs[0].weights!['teacher.center'] = { shape: [5], data: Float32Array.from([1, 2, 3, 4]) };
    expect(refused(encodeRunFile(badWeights))).toMatch(/weight "teacher.center" of shape \[5\] holding 4 numbers/);

    // Issue 22: a file whose weights hold NaN is refused at import, naming the tensor.
    const poisoned = file();
    poisoned.runs[0].weights!['student.blocks.0.qkv.weight'].data = Float32Array.from([0.1, Number.NaN, Infinity, 0, Number.NaN, 1]);
    expect(refused(encodeRunFile(poisoned))).toMatch(/weight "student.blocks.0.qkv.weight" holding 3 of 6 values that are NaN or infinite/);

    const noWeights = file();
    noWeights.runs[0].weights = null;
    expect(refused(encodeRunFile(noWeights))).toMatch(/has no weights, though it trained/);

    const tooFar = file();
    tooFar.runs[0].step = 10_000;
    expect(refused(encodeRunFile(tooFar))).toMatch(/says it trained 10000 steps of \d+/);

    const badHistory = file();
    badHistory.runs[0].history.series.loss = [1];
    expect(refused(encodeRunFile(badHistory))).toMatch(/metric "loss" whose values do not match its steps/);

    expect(refused(good.replace(/"base64":"[^"]{4}/, '"base64":"!!!!'))).toMatch(/damaged: an array’s data is not valid base64/);
  });
});

/** A set of 16 images whose bytes count up, in two classes. */
function imageSet(): ImageSetData {
  const count = 16;
  const pixels = Uint8Array.from({ length: count * STORED_SIDE * STORED_SIDE * 3 }, (_, i) => (i * 7) % 256);
  return { name: 'my cats', side: STORED_SIDE, count, pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 2), classNames: ['cat', 'dog'] };
}

describe('image sets in the export file (format 2)', () => {
  it('round-trip byte for byte with their labels and class names', () => {
    const set = imageSet();
    const back = decodeRunFile(encodeRunFile(file({ imageSets: [set] }))).imageSets;
    expect(back).toHaveLength(1);
    expect([back[0].name, back[0].count, back[0].classNames]).toEqual(['my cats', 16, ['cat', 'dog']]);
    expect(Array.from(back[0].labels)).toEqual(Array.from(set.labels));
    expect(back[0].pixels).toEqual(set.pixels);
  });

  it('reads a format 1 file (before image sets) as having none', () => {
    const old = JSON.parse(encodeRunFile(file())) as Record<string, unknown>;
    old.version = 1;
    delete old.imageSets;
    expect(decodeRunFile(JSON.stringify(old)).imageSets).toEqual([]);
  });

  it('refuses a set that is not whole', () => {
    const cut = imageSet();
    cut.pixels = cut.pixels.slice(1);
    expect(refused(encodeRunFile(file({ imageSets: [cut] })))).toMatch(/Image set 1 .* pixels that do not fill its images/);
    const labels = imageSet();
    labels.labels[3] = 2;
    expect(refused(encodeRunFile(file({ imageSets: [labels] })))).toMatch(/labels that do not match its images/);
    const named = imageSet();
    named.name = 'shapes';
    expect(refused(encodeRunFile(file({ imageSets: [named] })))).toMatch(/name this version refuses \(shapes\)/);
    const few = imageSet();
    few.count = 4;
    expect(refused(encodeRunFile(file({ imageSets: [few] })))).toMatch(/holds 4 images/);
  });
});
