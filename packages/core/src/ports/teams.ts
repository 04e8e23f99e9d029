export interface TeamRepository {
  /** An accepted (not merely invited) member of the namespace. */
  isAcceptedMember(userId: number, namespaceId: number): Promise<boolean>;
  /** An accepted member of an accepted maintainer namespace of the package. */
  isMaintainer(userId: number, packageId: number): Promise<boolean>;
}
