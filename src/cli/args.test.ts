import { describe, expect, it } from 'vitest';
import { parseTrainArgs, UsageError } from './args';

describe('npm run train arguments', () => {
  it('defaults to the first method, default preset, cpu', () => {
    const args = parseTrainArgs([]);
    expect(args.experiment.methodId).toBe('dino');
    expect(args.experiment.presetId).toBe('default');
    expect(args.backend).toBe('cpu');
  });

  it('takes a link, a preset, settings by name or URL key, steps and seed', () => {
    const args = parseTrainArgs([
      '--url', 'http://localhost:5173/#m=dino&p=tiny&s=4&lr=0.05',
      '--set', 'teacherTemperature=0.07', '--set', 'c=0', '--steps', '30', '--seed', '9',
      '--backend', 'webgpu', '--log-every', '5',
    ]);
    expect(args.experiment.presetId).toBe('tiny');
    expect(args.experiment.values).toMatchObject({
      learningRate: 0.05, teacherTemperature: 0.07, centering: false, totalSteps: 30, seed: 9, imageSize: '16',
    });
    expect(args.backend).toBe('webgpu');
    expect(args.logEvery).toBe(5);
  });

  it.each([
    [['--frobnicate'], 'Unknown argument "--frobnicate"'],
    [['--steps'], '--steps needs a value'],
    [['--backend', 'tpu'], '--backend must be cpu, wasm or webgpu'],
    [['--log-every', '0'], '--log-every must be a positive whole number'],
    [['--set', 'lr'], '--set expects key=value'],
    [['--set', 'nope=1'], 'Unknown setting "nope"'],
    [['--set', 'lr=abc'], 'Learning rate (lr) must be a number'],
    [['--set', 'b=0x10'], 'Batch size (b) must be a number written in decimals, got "0x10"'],
    [['--set', 'b=+16'], 'Batch size (b) must be a number written in decimals'],
    [['--steps', '2.5'], 'must be a whole number'],
    [['--method', 'simclr9'], 'Unknown method "simclr9"'],
    [['--preset', 'huge'], 'Unknown preset "huge"'],
    [['--url', '#m=dino&zz=1'], 'Bad --url: Unknown setting "zz"'],
    [['--set', 'w=90'], 'Width 90 must be divisible by the number of heads 4'],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe('parseTrainArgs --compare', () => {
  const link = '#m=dino&p=tiny&s=2&name=healthy;m=dino&p=tiny&s=2&c=0&name=no%20centering';

  it('reads every run of a comparison link, with --steps and --set applied to each', () => {
    const args = parseTrainArgs(['--compare', link, '--steps', '30', '--set', 'lr=0.01']);
    expect(args.comparison?.map((r) => r.name)).toEqual(['healthy', 'no centering']);
    for (const run of args.comparison!) {
      expect(run.experiment.values.totalSteps).toBe(30);
      expect(run.experiment.values.learningRate).toBe(0.01);
      expect(run.experiment.values.seed).toBe(2);
    }
    expect(args.comparison![1].experiment.values.centering).toBe(false);
  });

  it('refuses flags that contradict the link, and bad links', () => {
    expect(() => parseTrainArgs(['--compare', link, '--preset', 'tiny'])).toThrow(/--compare takes its runs from the link/);
    expect(() => parseTrainArgs(['--compare', '#m=dino&lr=abc'])).toThrow(/Bad --compare link: .*must be a number/);
  });

  it('refuses links from a newer version, and the browser’s own image sets', () => {
    expect(() => parseTrainArgs(['--url', '#ver=2&m=dino'])).toThrow(/Bad --url: This link was made by a newer version/);
    expect(() => parseTrainArgs(['--compare', '#ver=9&m=dino;m=dino'])).toThrow(/Bad --compare link: .*link version 9/);
    expect(() => parseTrainArgs(['--method', 'dino', '--set', 'dataset=my photos'])).toThrow(/"my photos" is one of your image sets: .* the CLI trains on shapes/);
  });
});
