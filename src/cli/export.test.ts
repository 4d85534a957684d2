import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunData } from '../engine/data/dataset';
import { readCommon } from '../engine/runConfig';
import { decodeSafetensors } from '../export/safetensors';
import { encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION } from '../state/runFile';
import { presetValues } from '../state/url';
import { findMethod, methods } from '../methods/registry';
import { exportProblem } from '../export/project';
import { scratchDir } from '../export/scratchDir.testing';
import { parseExportArgs, writeProject } from './export';

describe('npm run export', () => {
  it('writes train.py, config.json and README.md for a link', () => {
    const out = join(scratchDir('cli-export-'), 'simclr');
    const args = parseExportArgs(['--link', '#m=simclr&p=learn&s=4', '--out', out]);
    expect(writeProject(args).sort()).toEqual(['README.md', 'config.json', 'shapes.safetensors', 'train.py']);
    // --data shapes: the very images the run trains on in the app (RunData, the same settings).
    const shapes = decodeSafetensors(readFileSync(join(out, 'shapes.safetensors'))).tensors;
    const data = new RunData(readCommon(args.request.values), undefined);
    expect(shapes.images.shape).toEqual([2048, 16, 16, 3]);
    expect(shapes.images.data).toEqual(data.train.images);
    expect(Array.from(shapes.labels.data)).toEqual(Array.from(data.train.labels));
    data.dispose();
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ methodId: 'simclr', step: 0, values: { backbone: 'cnn', seed: 4, batchSize: 64 } });
    expect(config.link).toMatch(/^#m=simclr/);
    const script = readFileSync(join(out, 'train.py'), 'utf8');
    expect(script).toContain('SimCLR (Chen');
    // One file: the shared parts (common.py, vit.py) are in it, no marker is left.
    expect(script).toContain('def load_safetensors');
    expect(script).toContain('def vit_forward');
    expect(script).not.toMatch(/\{\{\w+\}\}/);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('0.1 × 64 / 256 = 0.025');
  });

  it('exports a saved run with its weights as weights.safetensors', () => {
    const values = presetValues(findMethod('byol')!, 'learn');
    const weights = { 'online.backbone.convs.0.kernel': { shape: [1, 2], data: new Float32Array([0.5, -1]) } };
    const file = encodeRunFile({
      format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: '2026-12-07T00:00:00Z', lesson: null, focus: 0, imageSets: [],
      runs: [{ name: 'Run 1', methodId: 'byol', presetId: 'learn', values, step: 12, elapsedMs: 1000, history: { steps: [], series: {} }, evaluations: [], weights }],
    });
    const out = scratchDir('cli-export-run-');
    writeProject(parseExportArgs(['--run', 'runs.json', '--out', out], () => file));
    expect(readdirSync(out).sort()).toEqual(['README.md', 'config.json', 'shapes.safetensors', 'train.py', 'weights.safetensors']);
    const saved = decodeSafetensors(readFileSync(join(out, 'weights.safetensors')));
    expect(saved.tensors['online.backbone.convs.0.kernel'].data).toEqual(new Float32Array([0.5, -1]));
    expect(saved.metadata.step).toBe('12');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).step).toBe(12);
  });

  it('exports every method of the registry (a new method needs its train.py), MoCo v2’s queue and DDeP too', () => {
    for (const method of methods) expect(exportProblem(method.id, presetValues(method, 'default')), method.id).toBeNull();
    expect(exportProblem('nope', {})).toMatch(/no method "nope"/);
    // A setting the app refuses is refused here too, in the app's words.
    const moco = presetValues(findMethod('moco')!, 'learn');
    expect(exportProblem('moco', { ...moco, queueSize: 128, momentumEncoder: false })).toMatch(/turn the momentum encoder on/);
    expect(exportProblem('dino', { ...presetValues(findMethod('dino')!, 'default'), heads: 5 })).toMatch(/divisible by the number of heads/);
    expect(parseExportArgs(['--link', '#m=moco&qs=256', '--out', 'x']).request.values.queueSize).toBe(256);
    expect(parseExportArgs(['--link', '#m=dep&p=ddep', '--out', 'x']).request.values.variant).toBe('DDeP');
  });

  it('refuses what it cannot export, with the reason', () => {
    expect(() => parseExportArgs(['--link', '#m=simclr&p=learn'])).toThrow(/--out DIR is required/);
    expect(() => parseExportArgs(['--out', 'x'])).toThrow(/exactly one of --link and --run/);
    expect(() => parseExportArgs(['--link', '#m=nope', '--out', 'x'])).toThrow(/Bad --link/);
    expect(() => parseExportArgs(['--run', 'f.json', '--out', 'x'], () => '{"format": "other"}')).toThrow(/--run f.json/);
  });
});
