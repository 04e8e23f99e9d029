/**
 * Issue 10.5: a namespace's own release-age quarantine for the versions published in it (hours;
 * null: the operator's MIN_RELEASE_AGE_HOURS alone). The stricter of the two applies.
 */
export const statements = [`ALTER TABLE namespaces ADD COLUMN min_release_age_hours integer`];
