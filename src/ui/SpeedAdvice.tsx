import { useState } from 'react';
import { runner } from '../state/runner';
import { actions, selectMethod, selectStatus, useAppStore, type StoreState } from '../state/store';

const selectBackend = (state: StoreState) => state.backend;
const selectPresetId = (state: StoreState) => state.experiment.presetId;

/**
 * On a software adapter (WebGPU or WebGL on the CPU, or the CPU backends) every step is about
 * 100× slower than on a GPU: says so in plain words, with the measured speed once there is
 * one, and offers the fastest preset that still shows the method working.
 */
export function SpeedAdvice() {
  const backend = useAppStore(selectBackend);
  const method = useAppStore(selectMethod);
  const presetId = useAppStore(selectPresetId);
  const status = useAppStore(selectStatus);
  const [dismissed, setDismissed] = useState(false);
  if (!backend?.software || dismissed) return null;
  const tiny = method.presets.find((p) => p.id === 'tiny');
  const speed = status && status.stepsPerSecond > 0 ? status.stepsPerSecond : null;
  const where = backend.name === 'cpu' || backend.name === 'wasm'
    ? `This page computes on the CPU (${backend.adapter}), not a GPU`
    : `This browser’s ${backend.name === 'webgpu' ? 'WebGPU' : 'WebGL'} runs on the CPU (${backend.adapter}), not a GPU`;
  return (
    <aside className="speed-advice" aria-label="Speed" data-testid="speed-advice">
      <p>
        <strong>Slow here.</strong> {where}: every step takes about 100× longer than on a graphics card
        {speed ? `; this run measures ${speed.toFixed(speed < 10 ? 2 : 1)} steps/s` : ''}.
        {' '}
        {tiny && presetId !== 'tiny'
          ? 'The Tiny preset (16 px images, a very small network) trains at about a step per second here and still shows the method’s mechanisms.'
          : 'Tiny is the fastest preset: expect about a step per second.'}
        {' '}A browser with hardware WebGPU (Chrome or Edge on a machine with a GPU) runs every preset.
      </p>
      <div className="speed-advice__actions">
        {tiny && presetId !== 'tiny' && (
          <button type="button" onClick={() => {
            actions.applyPreset('tiny');
            runner.reset();
          }}>Switch to Tiny</button>
        )}
        <button type="button" aria-label="Dismiss the speed advice" onClick={() => setDismissed(true)}>×</button>
      </div>
    </aside>
  );
}
