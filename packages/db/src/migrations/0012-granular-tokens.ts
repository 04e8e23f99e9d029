/**
 * Issue 9.3: granular tokens. A token may be limited to named namespaces and packages of this
 * registry (names, not ids: a token's limits read the same in a listing, and local names never
 * change), to client addresses (CIDR blocks), and marked as an automation token (CI: it will skip
 * the interactive second factor, nothing else). Empty arrays mean "no limit". `prefix` is the
 * first characters of the secret, shown in listings (npm's `token` field) so a user can tell
 * tokens apart; the rest is only ever stored hashed.
 */
export const statements = [
  `ALTER TABLE tokens ADD COLUMN namespaces jsonb NOT NULL DEFAULT '[]'`,
  `ALTER TABLE tokens ADD COLUMN packages jsonb NOT NULL DEFAULT '[]'`,
  `ALTER TABLE tokens ADD COLUMN cidrs jsonb NOT NULL DEFAULT '[]'`,
  `ALTER TABLE tokens ADD COLUMN automation boolean NOT NULL DEFAULT false`,
  `ALTER TABLE tokens ADD COLUMN prefix text NOT NULL DEFAULT 'ent_v1_'`,
];
