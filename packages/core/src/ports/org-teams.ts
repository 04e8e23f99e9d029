export type TeamPermission = 'read' | 'write';

export interface OrgTeamRow {
  id: number;
  namespace_id: number;
  name: string;
  description: string;
  created_at: Date;
}

/** A grant as listed: a package (`namespace`/`name`) or, with both null, every package the team's namespace maintains. */
export interface TeamGrantRow {
  package_namespace: string | null;
  package_host: string | null;
  package_name: string | null;
  permission: TeamPermission;
}

/**
 * Teams inside a namespace (issue 9.5) and what they are granted. Access questions
 * (`permissionFor`) count a namespace-wide grant only for packages the team's namespace
 * maintains (accepted).
 */
export interface OrgTeamRepository {
  /** undefined when the namespace already has a team of that name */
  create(namespaceId: number, name: string, description: string): Promise<OrgTeamRow | undefined>;
  find(namespaceId: number, name: string): Promise<OrgTeamRow | undefined>;
  list(namespaceId: number): Promise<OrgTeamRow[]>;
  /** deletes the team, its members and grants; false when there was none */
  destroy(teamId: number): Promise<boolean>;
  /** false when the user was already in the team */
  addMember(teamId: number, userId: number): Promise<boolean>;
  removeMember(teamId: number, userId: number): Promise<boolean>;
  listMembers(teamId: number): Promise<string[]>;
  /** sets (or replaces) the grant on a package, or with null on the whole namespace */
  grant(teamId: number, packageId: number | null, permission: TeamPermission): Promise<void>;
  revoke(teamId: number, packageId: number | null): Promise<boolean>;
  listGrants(teamId: number): Promise<TeamGrantRow[]>;
  /** the strongest permission the user's teams give on each package (absent: none) */
  permissionsFor(userId: number, packageIds: readonly number[]): Promise<Map<number, TeamPermission>>;
  /** whether one of the user's teams of this namespace has a namespace-wide write grant (new packages) */
  mayWriteNamespace(userId: number, namespaceId: number): Promise<boolean>;
}
