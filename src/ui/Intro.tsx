import { useState } from 'react';
import { runner } from '../state/runner';
import { actions, useAppStore, type StoreState } from '../state/store';
import { landingExperiment } from '../state/url';

const selectOpen = (state: StoreState) => state.introOpen;
const selectBackend = (state: StoreState) => state.backend;

/**
 * "Start here": what self-supervised learning is, what the page shows, and one button that
 * starts a guided first run (SimCLR's learn preset, the one the study shows learning), after
 * which it says what to watch and when. Shown on a first visit; reopened from the header.
 */
export function Intro() {
  const open = useAppStore(selectOpen);
  const backend = useAppStore(selectBackend);
  const [guided, setGuided] = useState<null | { wasm: boolean }>(null);
  if (!open) return null;
  const start = () => {
    // On a software GPU (SwiftShader: 0.2 steps/s here) the 800 steps take over an hour;
    // WebAssembly does them in about three minutes on the same CPU (5–6 steps/s).
    const wasm = Boolean(backend?.software && (backend.name === 'webgpu' || backend.name === 'webgl'));
    if (wasm) runner.useBackend('wasm');
    setGuided({ wasm });
    runner.requestOpen({ runs: [{ experiment: landingExperiment(), name: 'First run' }], focus: 0, lesson: null }, true, 'link');
  };
  return (
    <section className="intro" aria-labelledby="intro-title" data-testid="intro">
      <h2 id="intro-title">Start here</h2>
      {!guided ? (
        <>
          <p>
            <strong>Self-supervised learning</strong> trains a network on images without labels. The method makes up a task from
            the images themselves: recognise two crops of one picture as the same (SimCLR, DINO), find where a patch came from
            (LOCA), repaint what was masked or denoise what was noised (iTPN, DeP). Solving it teaches features that later make
            labels cheap.
          </p>
          <p>
            This page trains such methods in your browser, on your GPU, and shows them learning: the loss, the signs of
            collapse (when every image maps to the same point), attention maps and what each method predicts. Switch a
            mechanism off to watch a run fail; a link replays the same run anywhere.
          </p>
          <div className="intro__actions">
            <button type="button" className="primary" onClick={start}>Start a guided first run</button>
            <button type="button" onClick={() => actions.setIntroOpen(false)}>Close</button>
          </div>
        </>
      ) : (
        <>
          <p>The first run trains SimCLR on 16 px coloured shapes: a small CNN, 800 steps, evaluated every 250. What to watch:</p>
          {guided.wasm && (
            <p data-testid="intro-wasm">
              This browser’s GPU support runs on the CPU, so the run computes with WebAssembly instead: about three minutes
              for the 800 steps on a 2-core machine, where the software GPU would take over an hour.
            </p>
          )}
          <ol>
            <li><strong>Loss</strong> (the first chart) falls within the first hundred steps: each view learns to pick out its partner among the batch.</li>
            <li><strong>Embedding std</strong> in the collapse panel stays well above zero: the other images in the batch keep the embedding spread out.</li>
            <li>
              <strong>Results</strong>: at step 250 and on, the frozen features sort held-out shapes they never trained on. In our
              seeded study the kNN accuracy after 800 steps was 0.48, against 0.19 for the untrained network and 0.27 for raw pixels.
            </li>
          </ol>
          <p>Then open a lesson from the runs bar (“Open a teaching comparison”) to see a mechanism switched off.</p>
          <div className="intro__actions">
            <button type="button" onClick={() => actions.setIntroOpen(false)}>Close</button>
          </div>
        </>
      )}
    </section>
  );
}
