/**
 * Issue 9.1/9.2: private namespaces and packages. A package is private when it or its namespace
 * is (`private` on either row); reads of a private package need read access
 * (core/src/authorize.ts). `object_references` says which packages reference each stored
 * object (files, derived files, version documents, npm tarballs), one row per package, so an
 * object read can tell in one indexed lookup whether the object belongs only to private packages
 * (docs/decisions/private-objects.md). It is filled here from what is stored, and kept by the
 * version and npm-tarball repositories as they write.
 */
export const statements = [
  `ALTER TABLE namespaces ADD COLUMN private boolean NOT NULL DEFAULT false`,
  `ALTER TABLE packages ADD COLUMN private boolean NOT NULL DEFAULT false`,
  `CREATE TABLE object_references (
    integrity text NOT NULL,
    package_id bigint NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    PRIMARY KEY (integrity, package_id)
  )`,
  `INSERT INTO object_references (integrity, package_id)
     SELECT integrity, package_id FROM versions
     UNION SELECT f.value, v.package_id FROM versions v, jsonb_each_text(v.files) f
     UNION SELECT d.value, v.package_id FROM versions v, jsonb_each_text(v.derived_files) d
     UNION SELECT t.integrity, v.package_id FROM npm_tarballs t JOIN versions v ON v.id = t.version_id
   ON CONFLICT DO NOTHING`,
];
