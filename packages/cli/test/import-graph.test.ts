import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports and re-exports of a file, type-only ones included (a type cycle is a cycle of modules too). */
function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1] as string);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

/** Every cycle in the import graph, each as the list of files around it (from its smallest path). */
function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((file) => [file, localImports(file).filter((target) => files.includes(target))]));
  const cycles = new Map<string, string[]>();
  const walk = (file: string, stack: string[]) => {
    const at = stack.indexOf(file);
    if (at !== -1) {
      const cycle = stack.slice(at);
      const start = cycle.indexOf([...cycle].sort()[0] as string);
      const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
      cycles.set(rotated.join(' → '), rotated);
      return;
    }
    for (const next of graph.get(file) ?? []) walk(next, [...stack, file]);
  };
  for (const file of files) walk(file, []);
  return [...cycles.values()];
}

describe('the CLI sources (issue 13)', () => {
  it('have no import cycle', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 20, `found only ${files.length} files under ${SRC}`);
    const cycles = importCycles(files).map((cycle) => cycle.map((file) => relative(SRC, file)).join(' → '));
    assert.deepEqual(cycles, []);
  });
});
