import type { PackageRef } from '@entropic/core';
import { appError, type Host, parseNamespaceSegment, parsePackageName, parseVersion, type Version } from '@entropic/types';

export interface PackageParams {
  namespace: string;
  name: string;
}

/** Parses `:namespace` (`ns@host` or `ns`) and `:name` once, at the edge. */
export function parsePackageRef(params: PackageParams, localHost: Host): PackageRef {
  const ref = parseNamespaceSegment(params.namespace, localHost);
  return { ...ref, name: parsePackageName(params.name, ref.namespace) };
}

export function parseVersionParam(version: string): Version {
  return parseVersion(version);
}

/** The cache group of everything that describes one package. */
export function packageGroup(ref: PackageRef): string {
  return `pkg:${ref.namespace}@${ref.host}/${ref.name}`;
}

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw appError('INVALID_JSON', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** The body of `PUT …/access`: `{"private": true|false}`. */
export function requirePrivateField(body: unknown): boolean {
  const value = requireObjectBody(body).private;
  if (typeof value !== 'boolean') throw appError('INVALID_FIELD', 'The body must be {"private": true} or {"private": false}.');
  return value;
}
