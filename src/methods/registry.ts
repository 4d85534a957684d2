/**
 * The one list of methods. The UI, the URL codec, the CLI and the tests iterate over it;
 * adding a method means adding its folder and one line here.
 */
import { dinoDescription } from './dino/description';
import { locaDescription } from './loca/description';
import { depDescription } from './dep/description';
import { dreamTeacherDescription } from './dreamteacher/description';
import { itpnDescription } from './itpn/description';
import { byolDescription, mocoDescription, simclrDescription, simsiamDescription } from './lineage/descriptions';
import type { Lesson } from './collapse';
import type { MethodDescription } from './types';

export const methods: readonly MethodDescription[] = [
  dinoDescription, locaDescription, itpnDescription, depDescription, dreamTeacherDescription,
  simclrDescription, mocoDescription, byolDescription, simsiamDescription,
];

export const defaultMethodId = methods[0].id;

export function findMethod(id: string): MethodDescription | undefined {
  return methods.find((method) => method.id === id);
}

export function getMethod(id: string): MethodDescription {
  const method = findMethod(id);
  if (!method) throw new Error(`Unknown method "${id}". Known: ${methods.map((m) => m.id).join(', ')}`);
  return method;
}

/** A teaching comparison by id, with the method it belongs to. */
export function findLesson(id: string): { method: MethodDescription; lesson: Lesson } | undefined {
  for (const method of methods) {
    const lesson = method.lessons.find((l) => l.id === id);
    if (lesson) return { method, lesson };
  }
  return undefined;
}
