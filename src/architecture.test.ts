/**
 * The layer rule of DESIGN.md as a test: dependencies point downward only, and no module
 * imports itself back through others.
 *
 *   ui → state → (worker types) ; worker, cli → training → methods → engine ; measures below all
 *
 * LAYERS below is the one table of which layer may import which (a value import needs the layer
 * in `imports`; a type-only import may also name `types`). engine and methods never import React,
 * zustand or the DOM (they run in a Worker and in Node); the page (ui, state) never imports
 * tfjs. measures/ is pure typed-array maths that any layer may import and that imports nothing
 * outside itself.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = join(__dirname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    // Tests, and the modules only tests import (`*.testing.ts`, e.g. the PyTorch parity harness),
    // may reach across layers; the rule is for the code that ships.
    return /\.(ts|tsx)$/.test(name) && !/\.(test|testing)\.tsx?$/.test(name) ? [path] : [];
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

interface Layer {
  /** Layers whose values this layer may import. */
  imports: readonly string[];
  /** Further layers it may import types from (erased at build time). */
  types?: readonly string[];
  /** Single modules of other layers it may import (a path under src/, without extension). */
  modules?: readonly string[];
}

/** Who may import whom. A layer always imports itself; main.tsx is the page's entry. */
const LAYERS: Record<string, Layer> = {
  measures: { imports: [] },
  engine: { imports: ['measures'] },
  methods: { imports: ['engine', 'measures'] },
  training: { imports: ['methods', 'engine', 'measures'] },
  worker: { imports: ['training', 'methods', 'engine', 'measures'] },
  // The PyTorch export: settings and weights in, file contents out (no tfjs).
  // shapes.ts is pure typed arrays (no tfjs): the export ships the run's training images.
  export: { imports: ['methods', 'measures'], modules: ['engine/data/shapes'] },
  // The CLI reads links and presets as the page does.
  cli: { imports: ['training', 'methods', 'engine', 'measures', 'export'], modules: ['state/url', 'state/runFile'] },
  state: { imports: ['methods', 'measures', 'export'], types: ['worker', 'training', 'engine'] },
  ui: { imports: ['state', 'methods', 'measures'], types: ['worker'] },
  'main.tsx': { imports: ['ui', 'state'] },
};

/** The file a relative import names (src-relative path with extension), or null for a package. */
function resolveImport(file: string, source: string): string | null {
  if (!source.startsWith('.')) return null;
  const base = resolve(dirname(file), source);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return relative(root, base);
}

function disallowed(file: string, imports: Import[]): string[] {
  const from = layer(file);
  const rule = LAYERS[from];
  if (!rule) return [`${from}: a layer missing from LAYERS`];
  return imports.flatMap((i) => {
    const target = resolveImport(file, i.source);
    if (!target) return [];
    const to = target.split('/')[0];
    if (to === from) return [];
    if (rule.imports.includes(to)) return [];
    if (i.typeOnly && rule.types?.includes(to)) return [];
    if (rule.modules?.includes(target.replace(/\.tsx?$/, ''))) return [];
    return [`${i.typeOnly ? 'type ' : ''}${i.source}`];
  });
}

/** Every cycle in the import graph of the source files, as the files around it. */
function importCycles(): string[][] {
  const graph = new Map(files.map((file) => [
    relative(root, file),
    importsOf(file).map((i) => resolveImport(file, i.source)).filter((t): t is string => t !== null),
  ]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

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
    it(`${name} imports only the layers LAYERS allows it`, () => {
      expect(disallowed(file, imports)).toEqual([]);
    });
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

  it('no shipped module imports a test-only one (*.testing.ts)', () => {
    const bad = files.flatMap((file) => importsOf(file).filter((i) => /\.testing$/.test(i.source)).map((i) => `${relative(root, file)} → ${i.source}`));
    expect(bad).toEqual([]);
  });

  it('no import cycles (type-only imports included)', () => {
    expect(importCycles()).toEqual([]);
  });
});
