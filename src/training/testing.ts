/**
 * Helpers the method tests share: a trainer's weights as plain arrays, which of them changed,
 * a few steps with their metric records, and one kind of probe. Test support only.
 */
import type { Trainer } from './trainer';
import type { ProbeKind, ProbeTypes } from '../methods/probes';

/** Copies of the trainer's saved tensors (those whose name passes `filter`), by name. */
export async function weightsOf(trainer: Trainer, filter: (name: string) => boolean = () => true): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(trainer.instance.save())) {
    if (filter(name)) out[name] = ((await tensor.data()) as Float32Array).slice();
  }
  return out;
}

/** Names whose values differ between two snapshots of the same weights. */
export const changedNames = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
  Object.keys(a).filter((name) => a[name].some((v, i) => v !== b[name][i]));

/** `count` steps, each closing its metrics window: their records, in order. */
export async function stepRecords(trainer: Trainer, count: number): Promise<Record<string, number>[]> {
  const records: Record<string, number>[] = [];
  for (let i = 0; i < count; i++) {
    const pending = trainer.runStep(true);
    if (pending) records.push((await pending).values);
  }
  return records;
}

/** The trainer's probe payload of one kind (throws when the method sends none). */
export async function probeOf<K extends ProbeKind>(trainer: Trainer, kind: K): Promise<ProbeTypes[K]> {
  const probe = (await trainer.probe()).find((p) => p.kind === kind);
  if (!probe) throw new Error(`no ${kind} probe`);
  return probe as ProbeTypes[K];
}
