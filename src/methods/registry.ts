/**
 * The one list of methods. The UI, the URL codec, the CLI and the tests iterate over it;
 * adding a method means adding its folder and one line here.
 */
import { dinoDescription } from './dino/description';
import type { MethodDescription } from './types';

export const methods: readonly MethodDescription[] = [dinoDescription];

export const defaultMethodId = methods[0].id;

export function findMethod(id: string): MethodDescription | undefined {
  return methods.find((method) => method.id === id);
}

export function getMethod(id: string): MethodDescription {
  const method = findMethod(id);
  if (!method) throw new Error(`Unknown method "${id}". Known: ${methods.map((m) => m.id).join(', ')}`);
  return method;
}
