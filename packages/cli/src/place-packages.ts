import { cliError } from './cli-error.ts';
import { installName } from './parse-package-spec.ts';
import type { PackageGraph } from './resolve-package-graph.ts';

export interface Placement {
  /** posix path from the project root, e.g. `node_modules/@ns/a/node_modules/b` */
  path: string;
  id: string;
}

interface Slot {
  id: string | null;
  path: string;
  parent: Slot | null;
  children: Map<string, Slot>;
  /** install name → the slot this package's require() finds */
  resolved: Map<string, Slot>;
}

function isAncestor(ancestor: Slot, slot: Slot | null): boolean {
  for (let s = slot; s; s = s.parent) if (s === ancestor) return true;
  return false;
}

function* subtree(slot: Slot): Generator<Slot> {
  yield slot;
  for (const child of slot.children.values()) yield* subtree(child);
}

/**
 * Lays the graph out as a hoisted node_modules tree that Node's resolution walks correctly:
 * each package goes as high as it can without clashing with another version of the same name
 * on its path and without shadowing what an already-placed package resolved to. Breadth-first,
 * so direct dependencies win the top level.
 */
export function placePackages(graph: PackageGraph): Placement[] {
  const root: Slot = { id: null, path: '', parent: null, children: new Map(), resolved: new Map() };
  const queue: Slot[] = [root];
  const nameOf = (id: string) => installName((graph.nodes.get(id) as NonNullable<ReturnType<typeof graph.nodes.get>>).spec.ref);

  while (queue.length > 0) {
    const parent = queue.shift() as Slot;
    const edges = parent.id === null ? graph.root : (graph.nodes.get(parent.id)?.edges ?? new Map<string, string>());
    for (const targetId of [...edges.values()].sort()) {
      const name = nameOf(targetId);
      // Walk up while the name is free; stop at a slot that already has it.
      const path: Slot[] = [];
      let found: Slot | undefined;
      for (let s: Slot | null = parent; s; s = s.parent) {
        const existing = s.children.get(name);
        if (existing) {
          found = existing;
          break;
        }
        path.push(s);
      }
      if (found && found.id === targetId) {
        parent.resolved.set(name, found);
        continue;
      }
      // Candidates from the highest free slot down to the parent; take the first that shadows nobody.
      let chosen: Slot | undefined;
      for (let i = path.length - 1; i >= 0; i--) {
        const candidate = path[i] as Slot;
        const shadows = [...subtree(candidate)].some((s) => {
          const target = s.resolved.get(name);
          return target !== undefined && target.id !== targetId && !isAncestor(candidate, target.parent);
        });
        if (!shadows) {
          chosen = candidate;
          break;
        }
      }
      if (!chosen) {
        throw cliError(
          'LAYOUT_CONFLICT',
          `Cannot place ${targetId} in node_modules without breaking another package.`,
          'Report this with your Package.toml.',
        );
      }
      if (chosen.path.split('/node_modules/').length > 64) {
        throw cliError(
          'LAYOUT_CONFLICT',
          `The dependency tree nests too deeply at ${targetId}.`,
          'Check for version cycles in your dependencies.',
        );
      }
      const slot: Slot = {
        id: targetId,
        path: `${chosen.path ? `${chosen.path}/` : ''}node_modules/${name}`,
        parent: chosen,
        children: new Map(),
        resolved: new Map(),
      };
      chosen.children.set(name, slot);
      parent.resolved.set(name, slot);
      queue.push(slot);
    }
  }
  const out: Placement[] = [];
  for (const slot of subtree(root)) if (slot.id !== null) out.push({ path: slot.path, id: slot.id });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
