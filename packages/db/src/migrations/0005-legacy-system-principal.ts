/**
 * The `legacy` mirror writes as a system principal with the `mirror-legacy` capability (core's
 * authorize.ts), so the `legacy` user that 0003 created for it to impersonate goes: a user row
 * with a membership of the `legacy` namespace was a way in (an operator could mint it a token).
 * The name stays reserved (RESERVED_NAMES, and the `legacy` namespace itself).
 */
const legacyUser = `SELECT id FROM users WHERE name = 'legacy'`;

export const statements = [
  `DELETE FROM tokens WHERE user_id IN (${legacyUser})`,
  `DELETE FROM identities WHERE user_id IN (${legacyUser})`,
  `UPDATE namespace_members SET invited_by = NULL WHERE invited_by IN (${legacyUser})`,
  `DELETE FROM namespace_members WHERE user_id IN (${legacyUser})`,
  `DELETE FROM users WHERE name = 'legacy'`,
];
