/**
 * Issue 17.11: a version published with `npm publish` is served with the exact tarball npm
 * uploaded (the integrity npm printed, that lockfiles and provenance attestations bind), recorded
 * with the version as source `published`; its files are exploded into the store as before.
 */
export const statements = [
  `ALTER TABLE npm_tarballs DROP CONSTRAINT npm_tarballs_source_check`,
  `ALTER TABLE npm_tarballs ADD CONSTRAINT npm_tarballs_source_check CHECK (source IN ('built', 'upstream', 'published'))`,
];
