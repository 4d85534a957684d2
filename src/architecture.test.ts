/**
 * The layer rule of DESIGN.md as a test (our lint rule): dependencies point downward only.
 *   ui → state → worker/methods → engine
 * engine and methods never import React, zustand or the DOM (they run in a Worker and in
 * Node); the page (ui, state) never imports tfjs, and imports engine/worker code for types only.
 * measures/ sits beside them all: pure typed-array maths that any layer may import and that
 * imports nothing outside itself (no tfjs, no DOM).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

interface Import { source: string; typeOnly: boolean }

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const match of text.matchAll(pattern)) {
    found.push({ source: match[3] ?? match[4], typeOnly: Boolean(match[2]) });
  }
  return found;
}

const layer = (file: string) => relative(root, file).split('/')[0];
const files = sourceFiles(root);

describe('layers', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const file of files) {
    const name = relative(root, file);
    const where = layer(file);
    const imports = importsOf(file);
    if (where === 'engine' || where === 'methods' || where === 'worker' || where === 'cli') {
      it(`${name} uses no React, zustand or DOM`, () => {
        const bad = imports.filter((i) => /^(react|react-dom|zustand)(\/|$)/.test(i.source));
        expect(bad.map((i) => i.source)).toEqual([]);
        if (where !== 'worker' && where !== 'cli') {
          expect(readFileSync(file, 'utf8')).not.toMatch(/\b(document|window)\.\w/);
        }
      });
    }
    if (where === 'engine') {
      it(`${name} imports methods, state and ui for types at most`, () => {
        const bad = imports.filter((i) => !i.typeOnly && /\.\.\/(methods|state|ui|worker)\b|^\.\.\/\.\.\/(methods|state|ui|worker)\b/.test(i.source));
        expect(bad.map((i) => i.source)).toEqual([]);
      });
    }
    if (where === 'measures') {
      it(`${name} is pure: imports only measures, no tfjs or DOM`, () => {
        const bad = imports.filter((i) => !/^\.\/[^/]+$/.test(i.source));
        expect(bad.map((i) => i.source)).toEqual([]);
        expect(readFileSync(file, 'utf8')).not.toMatch(/\b(document|window)\.\w/);
      });
    }
    if (where === 'ui' || where === 'state') {
      it(`${name} does not load tfjs or engine code`, () => {
        const bad = imports.filter((i) =>
          i.source.startsWith('@tensorflow/') || (!i.typeOnly && /(^|\/)(engine|worker)\//.test(i.source)));
        expect(bad.map((i) => i.source)).toEqual([]);
      });
    }
    it(`${name} never calls dataSync or arraySync`, () => {
      expect(readFileSync(file, 'utf8')).not.toMatch(/\.(dataSync|arraySync)\(/);
    });
  }
});
