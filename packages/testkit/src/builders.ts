import type { VersionDocument } from '@entropic/types';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { encodePublishBody, type PublishBody } from './multipart.ts';

export interface PublishOptions extends Partial<PublishBody> {
  token?: string;
}

/** Publishes through the real route; returns the raw response (tests assert on it). */
export async function publish(
  app: FastifyInstance,
  spec: string,
  version: string,
  options: PublishOptions = {},
): Promise<LightMyRequestResponse> {
  const { payload, contentType } = await encodePublishBody({
    files: options.files ?? { 'index.js': `module.exports = ${JSON.stringify(`${spec}@${version}`)};\n` },
    ...(options.fields ? { fields: options.fields } : {}),
    ...(options.signatures ? { signatures: options.signatures } : {}),
  });
  return app.inject({
    method: 'PUT',
    url: `/packages/package/${spec}/versions/${version}`,
    headers: { 'content-type': contentType, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    payload,
  });
}

/** Publishes and insists on success. */
export async function publishVersion(
  app: FastifyInstance,
  spec: string,
  version: string,
  options: PublishOptions = {},
): Promise<VersionDocument> {
  const response = await publish(app, spec, version, options);
  if (response.statusCode !== 201) throw new Error(`publish ${spec}@${version} failed: ${response.statusCode} ${response.body}`);
  return response.json() as VersionDocument;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
