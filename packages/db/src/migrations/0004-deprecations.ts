/**
 * npm's deprecation (issue 17.5 / 17.12): a maintainer's message stored with the version. It is
 * not a yank: the version keeps its tags and stays resolvable by ranges; clients show the message.
 * null: not deprecated.
 */
export const statements = [`ALTER TABLE versions ADD COLUMN deprecated text`];
