declare module 'npm-packlist' {
  interface PacklistTree {
    path: string;
    package: Record<string, unknown>;
    isProjectRoot: boolean;
    edgesOut: Map<string, unknown>;
  }
  export default function packlist(tree: PacklistTree, options?: { path?: string }): Promise<string[]>;
}
