import { useState } from 'react';
import { backendChoice } from '../state/backendChoice';
import { runner } from '../state/runner';
import { actions, selectMethod, selectStatus, useAppStore, type StoreState } from '../state/store';

const selectBackend = (state: StoreState) => state.backend;
const selectPresetId = (state: StoreState) => state.experiment.presetId;

/**
 * Speeds measured in headless Chromium on this project's 2-core test machine without a GPU
 * (docs/NOTES.md, "WebAssembly in the browser"): DINO's Tiny preset trains at 0.74 steps/s on
 * SwiftShader's WebGPU and at 21 steps/s on tfjs's WebAssembly backend; SimCLR's Learn preset at
 * 5.2 steps/s on WebAssembly.
 */
export const MEASURED = { swiftshaderTiny: 0.74, wasmTiny: 21, wasmLearn: 5.2 };

/**
 * On a software adapter (WebGPU or WebGL on the CPU, or the CPU backends) every step is far
 * slower than on a graphics card: says so in plain words, with the measured speed once there is
 * one, and offers the fastest working choice — WebAssembly, which on a CPU is many times faster
 * than a software GPU, and the Tiny preset.
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
  const measured = speed ? `; this run measures ${speed.toFixed(speed < 10 ? 2 : 1)} steps/s` : '';
  const onWasm = backend.name === 'wasm';
  const offerTiny = tiny && presetId !== 'tiny' && (!onWasm || presetId === 'default');
  let text: string;
  if (onWasm) {
    text = `This page computes with WebAssembly on the CPU (${backend.adapter.replace(/^CPU \((.*)\)$/, '$1')})${backendChoice() === 'wasm' ? ', as you chose' : ''}${measured}. `
      + `The Tiny and Learn presets train in minutes here (DINO Tiny about ${MEASURED.wasmTiny} steps/s, SimCLR Learn about ${MEASURED.wasmLearn} on a 2-core machine); `
      + 'the Default presets are sized for a graphics card.';
  } else {
    const where = backend.name === 'cpu'
      ? `This page computes on the CPU in plain JavaScript (${backend.adapter})`
      : `This browser’s ${backend.name === 'webgpu' ? 'WebGPU' : 'WebGL'} runs on the CPU (${backend.adapter}), not a graphics card`;
    text = `${where}${measured}. WebAssembly computes the same training on the CPU many times faster: on a 2-core test machine DINO’s Tiny preset `
      + `trained at ${MEASURED.wasmTiny} steps/s with WebAssembly against ${MEASURED.swiftshaderTiny} on a software WebGPU. `
      + 'A browser with a hardware GPU (Chrome or Edge on a machine with a graphics card) is faster still.';
  }
  return (
    <aside className="speed-advice" aria-label="Speed" data-testid="speed-advice">
      <p>
        <strong>{onWasm ? 'On the CPU.' : 'Slow here.'}</strong> {text}
      </p>
      <div className="speed-advice__actions">
        {!onWasm && (
          <button type="button" className="primary" onClick={() => runner.useBackend('wasm')}>Compute with WebAssembly</button>
        )}
        {offerTiny && (
          <button type="button" onClick={() => {
            actions.applyPreset('tiny');
            runner.reset();
          }}>Switch to Tiny</button>
        )}
        {onWasm && backendChoice() === 'wasm' && (
          <button type="button" onClick={() => runner.useBackend(null)}>Use WebGPU again</button>
        )}
        <button type="button" aria-label="Dismiss the speed advice" onClick={() => setDismissed(true)}>×</button>
      </div>
    </aside>
  );
}
