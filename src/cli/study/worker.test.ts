import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import type { StudyTask } from '../study';

describe('a study worker', () => {
  // A study killed mid-cell (kill <pid>, a crash) used to leave its workers training on for
  // minutes, each holding a core: one was found at 61 % CPU with no parent. A worker now exits
  // as soon as its channel to the study closes.
  it('stops training when the study that forked it goes away', async () => {
    const study = join(import.meta.dirname, '..', 'study.ts');
    const worker = spawn(process.execPath, ['--import', 'tsx', study, '--worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    // A cell far too long to finish: SimCLR's tiny preset for 100,000 steps on the cpu backend.
    const task: StudyTask = {
      kind: 'cell', key: 'test', label: 'simclr', methodId: 'simclr', backend: 'cpu',
      values: { ...presetValues(findMethod('simclr')!, 'tiny'), totalSteps: 100_000, seed: 1 },
    };
    const training = new Promise<void>((resolve) => worker.on('message', (m: { type: string; stage?: string }) => {
      if (m.type === 'progress' && m.stage === 'training') resolve();
    }));
    worker.send(task);
    await training;
    worker.disconnect(); // what the worker sees when its study dies
    const code = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 20_000))]);
    if (code === 'running') worker.kill('SIGKILL');
    expect(code).toBe(1);
  }, 120_000);
});
