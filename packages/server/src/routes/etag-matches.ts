/**
 * `If-None-Match` with the weak comparison of RFC 9110 §13.1.2: `*`, a comma-separated list,
 * and `W/` prefixes all match, as caches and browsers send them.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}
