import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { startWriteApproval } from '@entropic/core';
import { isDatabaseUnavailable } from '@entropic/db';
import { type AppError, appError, type ErrorBody, type ErrorCode, errorCatalogue, isAppError, truncate } from '@entropic/types';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `npm`: the route speaks the npm protocol, its error bodies also carry the message as `error` */
    errorShape?: ErrorShape;
  }
}

/** Entropic's `{message, code, hint?}`, or that plus `error` (what the npm CLI prints) on npm routes. */
export type ErrorShape = 'entropic' | 'npm';

/**
 * The longest message or hint an error body carries. Messages quote user input cut short
 * (`truncate`) where they are written; this bound at the one exit holds for every message,
 * also one a future route forgets to cut.
 */
export const MAX_ERROR_TEXT = 400;

/** A framework error with no code of its own keeps its HTTP meaning. */
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** Maps every failure to `{message, code}` once, at the edge. Programmer errors become a bare 500. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailable(error)) {
    return appError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly.', {
      cause: error,
      retryAfterSeconds: 2,
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
    return appError(CODE_OF_STATUS[e.statusCode] ?? 'BAD_REQUEST');
  return appError('INTERNAL', undefined, { cause: error });
}

/**
 * HTTP headers that belong to an error code: the domain names the failure, the edge speaks HTTP.
 * A malformed Authorization header says so with `details.bearerError` (RFC 6750 §3.1).
 */
function codeHeaders(error: AppError): Record<string, string> | undefined {
  if (error.code === 'UNAUTHENTICATED') return { 'WWW-Authenticate': 'Bearer' };
  // npm reads `WWW-Authenticate: OTP` as "ask for a one-time password" (EOTP)
  if (error.code === 'OTP_REQUIRED' || error.code === 'OTP_INVALID') return { 'WWW-Authenticate': 'OTP' };
  // the id token of a trusted-publishing exchange is a bearer credential too (RFC 6750 §3.1)
  if (error.code === 'OIDC_TOKEN_INVALID') return { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
  if (error.code === 'INVALID_TOKEN') {
    const bearerError = error.details?.bearerError === 'invalid_request' ? 'invalid_request' : 'invalid_token';
    return { 'WWW-Authenticate': `Bearer error="${bearerError}"` };
  }
  return undefined;
}

/** The Retry-After value an error asks for, if any. */
export function retryAfterOf(error: AppError): string | undefined {
  if (error.retryAfterSeconds !== undefined) return String(Math.max(0, Math.ceil(error.retryAfterSeconds)));
  return undefined;
}

/**
 * The JSON body of an error: `{message, code, hint?}`, its texts bounded. npm shows only the
 * status line and an error body's `error` field, so on npm routes the message goes there too.
 */
export function errorBody(error: Pick<AppError, 'message' | 'code' | 'hint'>, shape: ErrorShape = 'entropic'): ErrorBody {
  const body: ErrorBody = { message: truncate(error.message, MAX_ERROR_TEXT - 1), code: error.code };
  if (error.hint) body.hint = truncate(error.hint, MAX_ERROR_TEXT - 1);
  if (shape === 'npm') body.error = body.hint ? `${body.message} ${body.hint}` : body.message;
  return body;
}

/**
 * Marks every route registered in `scope` (an encapsulated plugin) as an npm protocol route, so
 * its errors leave in the npm shape: those of its handlers and hooks, and the framework's once the
 * route is known (a body too large, bad JSON). What the router refuses before it has found a route
 * (a parameter over its limit, a URL that does not decode) has no route, so no npm shape.
 */
export function useNpmErrorShape(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, errorShape: 'npm' };
  });
}

export function sendError(reply: FastifyReply, error: AppError, extra: Record<string, string> = {}): FastifyReply {
  const body = { ...errorBody(error, reply.request?.routeOptions?.config?.errorShape), ...extra };
  const headers = codeHeaders(error);
  if (headers) reply.headers(headers);
  const retryAfter = retryAfterOf(error);
  if (retryAfter) reply.header('Retry-After', retryAfter);
  else if (error.status === 503) reply.header('Retry-After', '2');
  return reply.code(error.status).type('application/json; charset=utf-8').send(body);
}

/**
 * The answer `sendError` gives for `appError(code, message)`, without making the error: for hot
 * paths that answer an expected 4xx many times a second (an unknown npm name), where capturing a
 * stack and going through the error handler would cost more than a cached answer.
 */
export function sendErrorMessage(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const body = errorBody({ code, message, hint: undefined }, reply.request?.routeOptions?.config?.errorShape);
  return reply.code(errorCatalogue[code].status).type('application/json; charset=utf-8').send(body);
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or hook runs
 * (a URL it cannot decode, a parameter over `maxParamLength`) leave through the same mapping.
 */
export function sendFrameworkError(error: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, toAppError(error));
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request (a
 * request line and headers over 16 KiB, a malformed request, a client too slow to send its
 * headers) is answered in the same shape, then the connection is closed.
 */
export function sendClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? appError('HEADERS_TOO_LARGE')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? appError('REQUEST_TIMEOUT')
        : appError('BAD_REQUEST');
  this.log.debug({ err: error, code: mapped.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(mapped));
    socket.write(
      `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toAppError(error);
    if (mapped.status >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
    else request.log.debug({ code: mapped.code }, mapped.message);
    if (mapped.code === 'OTP_REQUIRED' && mapped.details?.webApproval === true && request.principal) {
      // npm's web second-factor flow: it opens authUrl and polls doneUrl for the one-time password
      const id = await startWriteApproval(app.deps, { userId: request.principal.userId });
      const base = app.deps.config.externalUrl;
      return sendError(reply, mapped, { authUrl: `${base}/www/approve/${id}`, doneUrl: `${base}/-/v1/second-factor/poll/${id}` });
    }
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, appError('NOT_FOUND', `No route for ${request.method} ${truncate(request.url.split('?')[0] ?? '')}.`)),
  );
}
