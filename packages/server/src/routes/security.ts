import {
  type AuditPage,
  auditEntryJson,
  getNamespaceSecondFactor,
  listNamespaceAudit,
  listOwnAudit,
  pageLimit,
  setNamespaceSecondFactor,
} from '@entropic/core';
import { appError, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance, FastifyReply } from 'fastify';

type AuditQuery = { Querystring: { limit?: string; cursor?: string; format?: string } };

/** JSON (`{objects, next}`) or, with `?format=jsonl`, JSON lines (one entry a line) for export. */
export function sendAuditPage(reply: FastifyReply, page: AuditPage, format: string | undefined, filename: string): FastifyReply {
  const objects = page.entries.map(auditEntryJson);
  if (format === 'jsonl') {
    if (page.next) reply.header('link', `<?format=jsonl&cursor=${page.next}>; rel="next"`);
    return reply
      .type('application/jsonl; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}.jsonl"`)
      .send(objects.map((o) => `${JSON.stringify(o)}\n`).join(''));
  }
  if (format !== undefined && format !== 'json') throw appError('BAD_REQUEST', '"format" must be json or jsonl.');
  return reply.send({ objects, next: page.next ?? null });
}

/** The audit log (own actions, a namespace's events) and a namespace's second-factor requirement. */
export function registerSecurityRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/namespaces/namespace/:namespace';

  app.get<AuditQuery>('/auth/audit', async (request, reply) => {
    const { limit, cursor, format } = request.query;
    const page = await listOwnAudit(deps, { principal: request.principal, limit: pageLimit(limit), ...(cursor ? { cursor } : {}) });
    return sendAuditPage(reply, page, format, 'audit');
  });

  app.get<AuditQuery & { Params: { namespace: string } }>(`${base}/audit`, async (request, reply) => {
    const { limit, cursor, format } = request.query;
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    const page = await listNamespaceAudit(deps, {
      principal: request.principal,
      ref,
      limit: pageLimit(limit),
      ...(cursor ? { cursor } : {}),
    });
    return sendAuditPage(reply, page, format, `audit-${ref.namespace}`);
  });

  app.get<{ Params: { namespace: string } }>(`${base}/second-factor`, async (request) =>
    getNamespaceSecondFactor(deps, { ref: parseNamespaceSegment(request.params.namespace, deps.host) }),
  );

  app.put<{ Params: { namespace: string }; Body: { required?: unknown } }>(`${base}/second-factor`, async (request) => {
    const required = (request.body as { required?: unknown } | undefined)?.required;
    if (typeof required !== 'boolean') throw appError('INVALID_FIELD', '"required" must be true or false.');
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    const { message: _message, ...result } = await setNamespaceSecondFactor(deps, { principal: request.principal, ref, required });
    return result;
  });
}
