import type { PackageDocument } from '@entropic/types';
import semver from 'semver';
import { cliError } from './cli-error.ts';
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
  /** dependency canonical name → node id */
  edges: Map<string, string>;
}

export interface PackageGraph {
  root: Map<string, string>;
  nodes: Map<string, GraphNode>;
}

/** Highest non-yanked version satisfying the range, or the version a tag points at. */
export function pickVersion(doc: PackageDocument, spec: PackageSpec): string {
  const versions = Object.keys(doc.versions);
  if (isTag(spec.range)) {
    const tagged = doc.tags[spec.range];
    if (tagged && doc.versions[tagged]) return tagged;
    if (spec.range === 'latest') {
      const highest = semver.maxSatisfying(versions, '*');
      if (highest) return highest;
    }
    throw cliError(
      'UNKNOWN_TAG',
      `${spec.canonical} has no tag "${spec.range}"${versions.length === 0 ? ' and no installable versions' : ''}.`,
      `Tags: ${Object.keys(doc.tags).join(', ') || 'none'}.`,
    );
  }
  const picked = semver.maxSatisfying(versions, spec.range);
  if (!picked) {
    throw cliError(
      'NO_MATCHING_VERSION',
      `No version of ${spec.canonical} satisfies "${spec.range}".`,
      versions.length > 0 ? `Available: ${semver.rsort(versions).slice(0, 8).join(', ')}.` : 'It has no installable versions.',
    );
  }
  return picked;
}

/** Dependencies a package's own install pulls in: dependencies, peers (npm 7+), optionals. */
function transitiveRequests(doc: CanonicalDocument): DependencyRequest[] {
  const out: DependencyRequest[] = [];
  const seen = new Set<string>();
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
 * version; each version's document fetched through its integrity (package → version → files);
 * `onNode` lets the caller start downloading files while the rest resolves.
 */
export async function resolvePackageGraph(
  source: PackageSource,
  requests: DependencyRequest[],
  onNode?: (node: GraphNode) => void,
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

  async function resolveEdge(request: DependencyRequest): Promise<GraphNode> {
    const { document: doc, version } = await source.pick(request.spec);
    const id = `${request.spec.canonical}@${version}`;
    let pending = loading.get(id);
    if (!pending) {
      pending = (async () => {
        const integrity = doc.versions[version] as string;
        const document = await source.getDocument(integrity, id);
        const node: GraphNode = { id, spec: request.spec, version, integrity, document, edges: new Map() };
        nodes.set(id, node);
        onNode?.(node);
        track(visit(node, transitiveRequests(document)));
        return node;
      })();
      loading.set(id, pending);
    }
    return pending;
  }

  async function visit(node: { edges: Map<string, string> }, deps: DependencyRequest[]): Promise<void> {
    await Promise.all(
      deps.map(async (request) => {
        let child: GraphNode;
        try {
          child = await resolveEdge(request);
        } catch (error) {
          if (request.optional) return;
          throw error;
        }
        node.edges.set(request.spec.canonical, child.id);
      }),
    );
  }

  const root = { edges: new Map<string, string>() };
  track(visit(root, requests));
  while (walks.length > 0) await Promise.all(walks.splice(0));
  return { root: root.edges, nodes };
}
