import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const run = (args: string[]) =>
  spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/train.ts', ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
  });

describe('npm run train (process)', () => {
  it('prints one JSON object per logged step and a summary', () => {
    const result = run(['--preset', 'tiny', '--steps', '10', '--log-every', '5', '--seed', '3']);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((l) => l.step ?? 'summary')).toEqual([5, 10, 'summary']);
    for (const line of lines.slice(0, 2)) {
      for (const key of ['loss', 'teacherEntropy', 'kl', 'batchMeanEntropy', 'centerNorm', 'embeddingStd', 'rankMe', 'learningRate']) {
        expect(Number.isFinite(line[key])).toBe(true);
      }
    }
    expect(lines[2]).toMatchObject({ summary: true, method: 'dino', backend: 'cpu', steps: 10, collapse: null });
  });

  it('--compare trains every run of a link and prints one table row per run', () => {
    const result = run(['--compare', '#m=dino&p=tiny&s=1&name=healthy;m=dino&p=tiny&s=1&c=0&name=no%20centering', '--steps', '10', '--set', 'me=5']);
    expect(result.status).toBe(0);
    const [header, rule, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^run\s+steps\s+loss\s+H\(P_t\)\s+KL/);
    expect(header).toContain('RankMe');
    expect(rule).toMatch(/^-+/);
    expect(rows.map((row) => row.split(/\s{2,}/)[0])).toEqual(['healthy', 'no centering']);
    // The ‖C‖ column: the run without centering keeps its center at 0.
    const column = header.split(/\s{2,}/).indexOf('‖C‖');
    expect(Number(rows[0].split(/\s{2,}/)[column])).toBeGreaterThan(0);
    expect(Number(rows[1].split(/\s{2,}/)[column])).toBe(0);
  });

  it('exits 2 with the message and the usage on a bad argument', () => {
    const result = run(['--set', 'lr=abc']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: Learning rate (lr) must be a number');
    expect(result.stderr).toContain('Usage: npm run train');
  });
});
