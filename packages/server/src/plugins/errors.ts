import { isDatabaseUnavailable } from '@entropic/db';
import { type AppError, appError, type ErrorBody, isAppError, truncate } from '@entropic/types';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Maps every failure to `{message, code}` once, at the edge. Programmer errors become a bare 500. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailable(error)) {
    return appError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly.', {
      cause: error,
      headers: { 'Retry-After': '2' },
    });
  }
  const e = error as FastifyError & { type?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return appError('UNSUPPORTED_MEDIA_TYPE', 'That content type is not accepted here.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return appError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return appError('INVALID_JSON');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return appError('URI_TOO_LONG');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return appError('BAD_REQUEST');
    default:
      break;
  }
  if (e instanceof SyntaxError && (e as { statusCode?: number }).statusCode === 400) return appError('INVALID_JSON');
  if (e.validation) return appError('BAD_REQUEST', truncate(String(e.message), 200));
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return appError('BAD_REQUEST', 'The request is malformed.');
  return appError('INTERNAL', undefined, { cause: error });
}

/** HTTP headers that belong to an error code: the domain names the failure, the edge speaks HTTP. */
const CODE_HEADERS: Partial<Record<string, Record<string, string>>> = {
  UNAUTHENTICATED: { 'WWW-Authenticate': 'Bearer' },
  INVALID_TOKEN: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
};

/** The Retry-After value an error asks for, if any. */
export function retryAfterOf(error: AppError): string | undefined {
  if (error.retryAfterSeconds !== undefined) return String(Math.max(0, Math.ceil(error.retryAfterSeconds)));
  return error.headers?.['Retry-After'];
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorBody = { message: error.message, code: error.code };
  if (error.hint) body.hint = error.hint;
  const codeHeaders = CODE_HEADERS[error.code];
  if (codeHeaders) reply.headers(codeHeaders);
  if (error.headers) reply.headers(error.headers);
  const retryAfter = retryAfterOf(error);
  if (retryAfter) reply.header('Retry-After', retryAfter);
  else if (error.status === 503) reply.header('Retry-After', '2');
  return reply.code(error.status).type('application/json; charset=utf-8').send(body);
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or hook runs
 * (a URL it cannot decode, a parameter over `maxParamLength`) leave through the same mapping.
 */
export function sendFrameworkError(error: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, toAppError(error));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toAppError(error);
    if (mapped.status >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
    else request.log.debug({ code: mapped.code }, mapped.message);
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, appError('NOT_FOUND', `No route for ${request.method} ${truncate(request.url.split('?')[0] ?? '')}.`)),
  );
}
