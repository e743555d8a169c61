import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Layers from the bottom up (DESIGN.md): a file may import from its own layer and those below. */
const LAYERS = ['domain', 'store', 'app', 'jobs', 'http', 'cli'];

/** Every source file and the source files it imports values from (type-only imports leave no edge at run time). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    const imported = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm)].map((m) =>
      path.normalize(path.join(path.dirname(file), m[1])).replace(/\.js$/, '.ts'),
    );
    graph.set(path.normalize(file), imported);
  }
  return graph;
}

const layerOf = (file: string) => LAYERS.indexOf(file.split(path.sep)[0]);

describe('the shape of src', () => {
  const graph = importGraph();

  it('finds the source files and their imports', () => {
    assert.ok(graph.size > 50, `only ${graph.size} files read`);
    assert.ok(graph.get(path.join('app', 'object.ts'))?.includes(path.join('domain', 'error.ts')));
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const trail: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      trail.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      trail.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    assert.deepEqual(cycles, []);
  });

  it('imports point down the layers only', () => {
    const upward = [...graph].flatMap(([file, imported]) =>
      imported.filter((target) => layerOf(file) >= 0 && layerOf(target) > layerOf(file)).map((target) => `${file} -> ${target}`),
    );
    assert.deepEqual(upward, []);
  });
});
