import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';

/**
 * Parameters are plain nested objects whose leaves are tf.Variables. Names come from the
 * path ("blocks.0.qkv.weight"), never from index arithmetic, so the optimizer, EMA,
 * save/load and weight-decay rules all address weights by name.
 */
/**
 * `T` checked as a parameter tree: every leaf a tf.Variable, null (a part a configuration leaves
 * out, e.g. HiViT's stages in the plain ViT), or a plain number, string or
 * boolean of configuration (skipped by namedVariables, copied by cloneTree). The helpers below
 * take any such `T`, so a network's own interface (UNetParams, ViTParams …) goes in without a
 * cast, and a tree with a plain tensor or a function among its leaves fails tsc.
 */
export type Params<T> = T extends tf.Variable | null | undefined | number | boolean | string ? T
  : T extends tf.Tensor ? never
  : T extends (...args: never[]) => unknown ? never
  : T extends object ? { readonly [K in keyof T]: Params<T[K]> }
  : never;

export function namedVariables<T>(tree: T & Params<T>, prefix = ''): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== 'object') return;
    if (node instanceof tf.Variable) {
      out.set(path, node);
    } else if (Array.isArray(node)) {
      node.forEach((child, i) => walk(child, path ? `${path}.${i}` : String(i)));
    } else {
      for (const [key, child] of Object.entries(node as object)) walk(child, path ? `${path}.${key}` : key);
    }
  };
  walk(tree, prefix);
  return out;
}

/** A deep copy with new variables (the teacher starts as an exact copy of the student). */
export function cloneTree<T>(tree: T & Params<T>, trainable: boolean): T {
  const copy = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (node instanceof tf.Variable) return fromTensor(() => tf.clone(node), trainable);
    if (Array.isArray(node)) return node.map(copy);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node as object)) out[key] = copy(child);
    return out;
  };
  return copy(tree) as T;
}

/**
 * Weights to save, each variable named `<group>.<name>` (`student.`, `teacher.` …), groups in
 * the order given; a missing group (no teacher in this configuration) adds nothing.
 */
export function prefixedWeights(
  groups: Record<string, Map<string, tf.Variable> | null | undefined>, out: tf.NamedTensorMap = {},
): tf.NamedTensorMap {
  for (const [prefix, variables] of Object.entries(groups)) {
    if (variables) for (const [name, v] of variables) out[`${prefix}.${name}`] = v;
  }
  return out;
}

/**
 * A checkpoint's load: assigns `weights[name]` to every variable of `saved` (what the
 * method's save() returns), naming the first tensor the checkpoint lacks.
 */
export function assignSaved(saved: tf.NamedTensorMap, weights: tf.NamedTensorMap): void {
  for (const [name, variable] of Object.entries(saved)) {
    const value = weights[name];
    if (!value) throw new Error(`Checkpoint has no tensor named ${name}`);
    (variable as tf.Variable).assign(value);
  }
}

export function disposeTree<T>(tree: T & Params<T>): void {
  for (const variable of namedVariables(tree).values()) variable.dispose();
}

/** Initialisers drawn from the seeded CPU stream: identical on every backend. */
export function truncatedNormalVariable(rng: Rng, shape: number[], std: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.truncatedNormal(std);
  return fromTensor(() => tf.tensor(values, shape));
}

/**
 * tf.variable(t) shares t's storage and leaves t alive: build the initial value in a tidy so
 * only the variable remains (tidy never disposes variables).
 */
function fromTensor(make: () => tf.Tensor, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable));
}

/** PyTorch's default Linear/Conv init (kaiming_uniform with a = √5): U(±1/√fan_in). */
export function fanInUniformVariable(rng: Rng, shape: number[], fanIn: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniform(-bound, bound);
  return fromTensor(() => tf.tensor(values, shape));
}

export function constantVariable(shape: number[], value: number): tf.Variable {
  return fromTensor(() => tf.fill(shape, value));
}
