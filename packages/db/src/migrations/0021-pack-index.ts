/**
 * Issue 14 (with 12): the pack index of packed blob storage, shared by every instance that shares
 * the database and the bucket (docs/decisions/packed-storage.md, "Index: a port"). `pack_index_log`
 * is the same ordered log of lines as the local `index.log`; an append takes the one row of
 * `pack_index_head` for update, so positions are handed out and committed in the same order and a
 * reader reading on from a position never skips a line. `pack_leases`: who packs or compacts now,
 * until when (renewed while working; a holder that dies stops renewing).
 */
export const statements = [
  `CREATE TABLE pack_index_log (
    seq bigint PRIMARY KEY,
    line jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE pack_index_head (
    id smallint PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL
  )`,
  `INSERT INTO pack_index_head (id, seq) VALUES (1, 0)`,
  `CREATE TABLE pack_leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
  )`,
];
