import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specFromCanonical } from '../src/parse-package-spec.ts';
import { placePackages } from '../src/place-packages.ts';
import type { GraphNode, PackageGraph } from '../src/resolve-package-graph.ts';

const H = 'h:1';
const EMPTY = { files: {}, dependencies: {}, devDependencies: {}, peerDependencies: {}, optionalDependencies: {}, bundledDependencies: {} };

/** `graph({ 'a@1': ['b@1'] }, ['a@1'])`: names are short, in namespace `ns` (installed at @ns/<name>). */
function graph(deps: Record<string, string[]>, root: string[]): PackageGraph {
  const id = (short: string) => {
    const [name, version] = short.split('@') as [string, string];
    return `ns@${H}/${name}@${version}`;
  };
  const nodes = new Map<string, GraphNode>();
  for (const [short, children] of Object.entries(deps)) {
    const [name, version] = short.split('@') as [string, string];
    nodes.set(id(short), {
      id: id(short),
      spec: specFromCanonical(`ns@${H}/${name}`, version),
      version,
      integrity: 'sha512-x',
      document: EMPTY,
      optional: false,
      edges: new Map(children.map((c) => [`ns@${H}/${c.split('@')[0]}`, id(c)])),
    });
  }
  return { root: new Map(root.map((r) => [`ns@${H}/${r.split('@')[0]}`, id(r)])), nodes };
}

function layout(g: PackageGraph): Record<string, string> {
  return Object.fromEntries(placePackages(g).map((p) => [p.path, p.id.split('/').pop() as string]));
}

/** Node's lookup: from a package directory, the first node_modules/<name> walking up. */
function lookup(placed: Record<string, string>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/@ns/${name}`;
    if (placed[candidate]) return placed[candidate];
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

describe('placePackages', () => {
  it('hoists everything to the top when nothing conflicts', () => {
    const g = graph({ 'a@1': ['b@1'], 'b@1': ['c@1'], 'c@1': [] }, ['a@1']);
    assert.deepEqual(layout(g), { 'node_modules/@ns/a': 'a@1', 'node_modules/@ns/b': 'b@1', 'node_modules/@ns/c': 'c@1' });
  });

  it('nests a conflicting version under its dependent', () => {
    const g = graph({ 'a@1': ['c@2'], 'b@1': ['c@1'], 'c@1': [], 'c@2': [] }, ['a@1', 'b@1', 'c@1']);
    const placed = layout(g);
    assert.equal(placed['node_modules/@ns/c'], 'c@1');
    assert.equal(placed['node_modules/@ns/a/node_modules/@ns/c'], 'c@2');
    assert.equal(lookup(placed, 'node_modules/@ns/a', 'c'), 'c@2');
    assert.equal(lookup(placed, 'node_modules/@ns/b', 'c'), 'c@1');
  });

  it('never shadows what an already placed package resolved to', () => {
    // x resolves d@1 from the top; y (under x) needs d@2 and must not hoist it into x's node_modules.
    const g = graph({ 'x@1': ['d@1', 'y@1'], 'y@1': ['d@2'], 'd@1': [], 'd@2': [], 'z@1': ['y@2'], 'y@2': [] }, ['x@1', 'z@1']);
    const placed = layout(g);
    for (const [path, id] of Object.entries(placed)) {
      const node = g.nodes.get(`ns@${H}/${id}`) as GraphNode;
      for (const target of node.edges.values()) {
        const [name] = (target.split('/').pop() as string).split('@') as [string];
        assert.equal(lookup(placed, path, name), target.split('/').pop(), `${path} → ${name}`);
      }
    }
  });

  it('handles cycles', () => {
    const g = graph({ 'a@1': ['b@1'], 'b@1': ['a@1'] }, ['a@1']);
    assert.deepEqual(layout(g), { 'node_modules/@ns/a': 'a@1', 'node_modules/@ns/b': 'b@1' });
  });
});
