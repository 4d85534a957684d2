import * as tf from '@tensorflow/tfjs';
import { fusedActive } from '../gpu/program';
import { fusedAdamW, fusedEma, sumsOfSquares } from './fused';

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay), over variables addressed by name.
 * tfjs has no AdamW and its optimizers cannot take a per-step weight decay or per-parameter
 * gradient clipping, so DINO's update is written out here:
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
 * Weight decay applies only to parameters of rank ≥ 2 (DINO's get_params_groups: biases and
 * norms are not regularised).
 */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamWStep {
  learningRate: number;
  weightDecay: number;
  /** Per-parameter gradient-norm clip (DINO's utils.clip_gradients); 0 = off. */
  clip: number;
  /**
   * Clip by the global norm of all gradients together (scenic's optimizers.clip_grads, used by
   * LOCA): every gradient is scaled by min(1, c / ‖g‖_global). 0 or absent = off.
   */
  globalClip?: number;
  /** Names to leave untouched this step (grad = None in PyTorch: no moment or decay update). */
  frozen?: (name: string) => boolean;
}

/** A variable's moments: separate m and v for the stock ops, one packed [m; v] buffer for the fused kernel. */
type Moments = { m: tf.Variable; v: tf.Variable; packed?: never } | { packed: tf.Variable; m?: never; v?: never };

export class AdamW {
  private readonly moments = new Map<string, Moments>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  /** Per-parameter step counts (torch keeps one per parameter: frozen ones lag). */
  private readonly counts = new Map<string, number>();
  /** The fused kernel's "no factor" input, made once. */
  private ones: tf.Tensor | null = null;

  constructor(private readonly variables: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    for (const [name, variable] of variables) {
      this.moments.set(name, tf.tidy(() => ({ m: tf.variable(tf.zerosLike(variable), false), v: tf.variable(tf.zerosLike(variable), false) })));
      this.counts.set(name, 0);
    }
  }

  /** The moments in the layout the path needs (converted once if the path changed: the fast path switched off). */
  private momentsFor(name: string, variable: tf.Variable, fused: boolean): Moments {
    const state = this.moments.get(name)!;
    if (fused && !state.packed) {
      const packed = tf.tidy(() => tf.variable(tf.concat([tf.reshape(state.m!, [-1]), tf.reshape(state.v!, [-1])]), false));
      state.m!.dispose();
      state.v!.dispose();
      this.moments.set(name, { packed });
    } else if (!fused && state.packed) {
      const n = variable.size;
      const [m, v] = tf.tidy(() => [0, n].map((start) => tf.variable(tf.reshape(tf.slice(state.packed!, start, n), variable.shape), false)));
      state.packed.dispose();
      this.moments.set(name, { m, v });
    }
    return this.moments.get(name)!;
  }

  /** Call inside tf.tidy. `grads` maps variable names to gradients. */
  apply(grads: Map<string, tf.Tensor>, step: AdamWStep): void {
    const { learningRate, weightDecay, clip } = step;
    let globalFactor: tf.Tensor | null = null;
    if (step.globalClip && step.globalClip > 0) {
      const squares = [...this.variables.keys()]
        .filter((name) => grads.has(name) && !step.frozen?.(name))
        .map((name) => tf.sum(tf.square(grads.get(name)!)));
      // addN in groups: one WebGPU shader binds each input as a storage buffer, and devices
      // allow as few as 8 per stage.
      let total: tf.Tensor | null = null;
      for (let i = 0; i < squares.length; i += 6) {
        const group = tf.addN(squares.slice(i, i + 6));
        total = total ? tf.add(total, group) : group;
      }
      if (total) globalFactor = tf.minimum(tf.div(step.globalClip, tf.sqrt(total)), 1);
    }
    const fused = fusedActive();
    if (fused && !this.ones) this.ones = tf.keep(tf.ones([1]));
    const ones = this.ones;
    // Per-parameter clipping on the fast path: every gradient's Σg², 7 per dispatch.
    const updated = [...this.variables.keys()].filter((name) => grads.has(name) && !step.frozen?.(name));
    const norms = new Map<string, { sums: tf.Tensor; slot: number }>();
    if (fused && clip > 0) sumsOfSquares(updated.map((name) => grads.get(name)!)).forEach((entry, i) => norms.set(updated[i], entry));
    for (const [name, variable] of this.variables) {
      const grad = grads.get(name);
      if (!grad || step.frozen?.(name)) continue;
      const count = (this.counts.get(name) ?? 0) + 1;
      this.counts.set(name, count);
      const state = this.momentsFor(name, variable, fused);
      if (state.packed) {
        const correction1 = 1 - this.beta1 ** count;
        fusedAdamW(variable, state.packed, grad, {
          beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
          stepSize: learningRate / correction1, sqrtCorrection2: Math.sqrt(1 - this.beta2 ** count),
          decay: variable.rank >= 2 ? 1 - learningRate * weightDecay : 1,
          clip, sumSquares: norms.get(name)?.sums ?? ones!, slot: norms.get(name)?.slot ?? 0, factor: globalFactor ?? ones!,
        });
        continue;
      }
      let g = grad;
      if (clip > 0) {
        // clip_coef = clip / (‖g‖ + 1e-6), applied only when < 1.
        const coefficient = tf.minimum(tf.div(clip, tf.add(tf.norm(g), 1e-6)), 1);
        g = tf.mul(g, coefficient);
      }
      if (globalFactor) g = tf.mul(g, globalFactor);
      const m = tf.add(tf.mul(state.m!, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(state.v!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      state.m!.assign(m);
      state.v!.assign(v);
      const correction1 = 1 - this.beta1 ** count;
      const correction2 = 1 - this.beta2 ** count;
      const decay = variable.rank >= 2 ? 1 - learningRate * weightDecay : 1;
      const denominator = tf.add(tf.div(tf.sqrt(v), Math.sqrt(correction2)), this.epsilon);
      const update = tf.mul(tf.div(m, denominator), learningRate / correction1);
      variable.assign(tf.sub(tf.mul(variable, decay), update));
    }
  }

  dispose(): void {
    for (const state of this.moments.values()) tf.dispose([state.m, state.v, state.packed].filter((t): t is tf.Variable => t !== undefined));
    this.ones?.dispose();
    this.ones = null;
    this.moments.clear();
  }
}

/** θ_t ← λ·θ_t + (1 − λ)·θ_s for every variable of the same name (DINO's teacher update). */
export function emaUpdate(target: Map<string, tf.Variable>, source: Map<string, tf.Variable>, momentum: number): void {
  const fused = fusedActive();
  for (const [name, variable] of target) {
    const online = source.get(name);
    if (!online) throw new Error(`EMA: no source variable named ${name}`);
    if (fused) {
      fusedEma(variable, online, momentum);
      continue;
    }
    variable.assign(tf.add(tf.mul(variable, momentum), tf.mul(online, 1 - momentum)));
  }
}
