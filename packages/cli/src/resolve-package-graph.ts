import semver from 'semver';
import type { PlatformFields } from './package-platform.ts';
import type { CanonicalDocument, PackageSource } from './package-source.ts';
import { isTag, type PackageSpec, specFromCanonical } from './parse-package-spec.ts';

export interface DependencyRequest {
  spec: PackageSpec;
  /** Failures to resolve are skipped rather than fatal. */
  optional: boolean;
}

export interface GraphNode {
  /** `<canonical>@<version>` */
  id: string;
  spec: PackageSpec;
  version: string;
  integrity: string;
  document: CanonicalDocument;
  /** the maintainer's deprecation message (npm deprecate), when the version was resolved against the registry and is deprecated */
  deprecated?: string;
  /** dependency canonical name → node id */
  edges: Map<string, string>;
  /** every edge that reaches it is an optional dependency (a failure or another platform skips it) */
  optional: boolean;
  /** its `os`/`cpu`/`libc`, read when an optional edge reached it first */
  platform?: PlatformFields;
}

export interface PackageGraph {
  root: Map<string, string>;
  nodes: Map<string, GraphNode>;
}

/**
 * Dependencies a package's own install pulls in: dependencies, peers (npm 7+), optionals; not
 * its bundled dependencies, which its own files carry under its node_modules (as npm).
 */
function transitiveRequests(doc: CanonicalDocument): DependencyRequest[] {
  const out: DependencyRequest[] = [];
  const seen = new Set<string>(Object.keys(doc.bundledDependencies ?? {}));
  const add = (map: Record<string, string>, optional: boolean) => {
    for (const [name, range] of Object.entries(map)) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ spec: specFromCanonical(name, range), optional });
    }
  };
  add(doc.dependencies, false);
  add(doc.peerDependencies, false);
  add(doc.optionalDependencies, true);
  return out;
}

/**
 * Resolves the whole graph from the registry, in parallel: every edge to the highest satisfying
 * version (or to a `locked` version that still satisfies it); each version's document fetched
 * through its integrity (package → version → files); `onNode` lets the caller start downloading
 * files while the rest resolves.
 */
/** A version an earlier lockfile pinned, offered for an edge while it still satisfies the range. */
export interface LockedChoice {
  version: string;
  integrity: string;
}

/**
 * Finds what the earlier lockfile answered for an edge: `holder` is the id of the depending
 * package (`null` for the project), `spec` the request.
 */
export type LockedVersions = (holder: string | null, spec: PackageSpec) => LockedChoice | undefined;

export async function resolvePackageGraph(
  source: PackageSource,
  requests: DependencyRequest[],
  onNode?: (node: GraphNode) => void,
  locked?: LockedVersions,
  /** reads a package's platform fields (its package.json) when an optional edge reaches it first */
  platformOf?: (node: GraphNode) => Promise<PlatformFields | undefined>,
): Promise<PackageGraph> {
  const nodes = new Map<string, GraphNode>();
  const loading = new Map<string, Promise<GraphNode>>();
  // Subtrees are walked in the background; a node is usable (for edges) as soon as its own
  // document is verified, which also makes cycles harmless.
  const walks: Promise<void>[] = [];
  const track = (walk: Promise<void>) => {
    walk.catch(() => {}); // awaited below; this only keeps a late failure from being "unhandled"
    walks.push(walk);
  };

  async function resolveEdge(holder: string | null, request: DependencyRequest): Promise<GraphNode> {
    // Like npm: a version the lockfile already pinned is kept while it satisfies the range, with
    // no metadata request; everything else resolves against the registry.
    const kept = isTag(request.spec.range) ? undefined : locked?.(holder, request.spec);
    let version: string;
    let integrity: string;
    let deprecated: string | undefined;
    if (kept) ({ version, integrity } = kept);
    else {
      const picked = await source.pick(request.spec);
      version = picked.version;
      integrity = picked.document.versions[version] as string;
      deprecated = picked.document.deprecated?.[version];
    }
    const id = `${request.spec.canonical}@${version}`;
    if (!kept) resolvedAnew.add(id);
    let pending = loading.get(id);
    if (!pending) {
      pending = (async () => {
        const document = await source.getDocument(integrity, id, { ref: request.spec.ref, version });
        const node: GraphNode = { id, spec: request.spec, version, integrity, document, edges: new Map(), optional: request.optional };
        if (deprecated !== undefined) node.deprecated = deprecated;
        if (request.optional && platformOf) {
          const platform = await platformOf(node);
          if (platform) node.platform = platform;
        }
        nodes.set(id, node);
        onNode?.(node);
        track(visit(node, transitiveRequests(document)));
        return node;
      })();
      loading.set(id, pending);
    }
    return pending;
  }

  /** holder → dependency → the range it asked for (to dedupe kept versions afterwards) */
  const ranges = new Map<{ edges: Map<string, string> }, Map<string, string>>();
  /** ids some edge resolved against the registry (not kept from the lockfile) */
  const resolvedAnew = new Set<string>();

  async function visit(node: { id?: string; edges: Map<string, string> }, deps: DependencyRequest[]): Promise<void> {
    ranges.set(node, new Map(deps.map((d) => [d.spec.canonical, d.spec.range])));
    await Promise.all(
      deps.map(async (request) => {
        let child: GraphNode;
        try {
          child = await resolveEdge(node.id ?? null, request);
        } catch (error) {
          if (request.optional) return;
          throw error;
        }
        if (!request.optional) child.optional = false;
        node.edges.set(request.spec.canonical, child.id);
      }),
    );
  }

  const root = { edges: new Map<string, string>() };
  track(visit(root, requests));
  while (walks.length > 0) await Promise.all(walks.splice(0));
  if (locked) dedupeKept(root, nodes, ranges, resolvedAnew);
  return { root: root.edges, nodes };
}

/**
 * A kept (locked) version can sit beside a newer version of the same package that a changed
 * range brought in. Like npm, an edge whose range that newly resolved version also satisfies
 * moves to it (versions both kept from the lockfile stay as they were); versions nothing
 * reaches any more are dropped.
 */
function dedupeKept(
  root: { edges: Map<string, string> },
  nodes: Map<string, GraphNode>,
  ranges: Map<{ edges: Map<string, string> }, Map<string, string>>,
  resolvedAnew: Set<string>,
): void {
  const byName = new Map<string, GraphNode[]>();
  for (const node of nodes.values()) byName.set(node.spec.canonical, [...(byName.get(node.spec.canonical) ?? []), node]);
  if ([...byName.values()].every((list) => list.length === 1)) return;
  for (const holder of [root, ...nodes.values()]) {
    for (const [name, id] of holder.edges) {
      const range = ranges.get(holder)?.get(name);
      const current = nodes.get(id);
      if (range === undefined || isTag(range) || !current) continue;
      let best = current;
      for (const other of byName.get(name) ?? []) {
        if (resolvedAnew.has(other.id) && semver.gt(other.version, best.version) && semver.satisfies(other.version, range)) best = other;
      }
      if (best !== current) holder.edges.set(name, best.id);
    }
  }
  const reached = new Set<string>();
  const queue = [...root.edges.values()];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const next of nodes.get(id)?.edges.values() ?? []) queue.push(next);
  }
  for (const id of [...nodes.keys()]) if (!reached.has(id)) nodes.delete(id);
}
