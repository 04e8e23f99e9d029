import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { countPublishRequest, type PublishPart, publishVersion, signVersionDocument } from '@entropic/core';
import { appError, isAppError, truncate } from '@entropic/types';
import busboy from 'busboy';
import type { FastifyInstance } from 'fastify';
import { type PackageParams, parsePackageRef, parseVersionParam } from './refs.ts';

export function registerPublishRoute(app: FastifyInstance): void {
  const { deps } = app;
  app.put<{ Params: PackageParams & { version: string } }>(
    '/packages/package/:namespace/:name/versions/:version',
    {
      // Before any body parser runs: a JSON body here is a 415, not a JSON syntax error.
      preParsing: async (request) => {
        if (!/^multipart\/form-data\s*;/i.test(request.headers['content-type'] ?? '')) {
          throw appError('UNSUPPORTED_MEDIA_TYPE', 'Publish with a multipart/form-data body (API.md §5).');
        }
      },
    },
    async (request, reply) => {
      const ref = parsePackageRef(request.params, deps.host);
      const version = parseVersionParam(request.params.version);
      await countPublishRequest(deps, { principal: request.principal, perHour: deps.config.security.publishesPerHour });
      const contentType = request.headers['content-type'] as string;
      const body = decodeBody(request.raw);
      const parts = multipartParts(body, contentType, deps.limits.maxFiles);
      try {
        const result = await publishVersion(deps, { principal: request.principal, ref, version, parts });
        // the document recorded, with the host's signed version statement, as a GET answers it
        return reply.code(201).send(signVersionDocument(result.document, (statement) => deps.keyring.sign(statement)));
      } catch (error) {
        // Stop parsing a body we refuse, but read (and drop) a bounded rest of it before answering:
        // closing while the client still writes makes it see EPIPE instead of our answer.
        parts.abort();
        if (!(await drainRequest(request.raw, DRAIN_MAX_BYTES, DRAIN_MAX_MS))) reply.header('connection', 'close');
        // A part's stream fails with busboy's plain Error when the body is malformed or cut off;
        // answer with the multipart failure (400) rather than a 500.
        throw isAppError(error) ? error : (parts.failure() ?? error);
      }
    },
  );
}

const DRAIN_MAX_BYTES = 32 * 1024 * 1024;
const DRAIN_MAX_MS = 3000;

/** Resolves true when the request body ended within the bounds, false when it would not. */
function drainRequest(raw: IncomingMessage, maxBytes: number, maxMs: number): Promise<boolean> {
  if (raw.readableEnded || raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('close', onClose);
    raw.on('error', onClose);
    raw.resume();
  });
}

function decodeBody(raw: IncomingMessage): Readable {
  const encoding = (raw.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity' || encoding === '') return raw;
  let decoder: ReturnType<typeof createGunzip>;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = createGunzip();
  else if (encoding === 'deflate') decoder = createInflate();
  else throw appError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${truncate(encoding)}" is not supported; use gzip or deflate.`);
  raw.on('error', (error) => decoder.destroy(error));
  return raw.pipe(decoder);
}

type AbortableParts = AsyncIterable<PublishPart> & { abort(): void; failure(): Error | undefined };

/**
 * Adapts busboy's events to an async iterator of parts. Busboy waits for each file stream to be
 * consumed before it reads on, so the body flows straight into the blob store.
 */
function multipartParts(body: Readable, contentType: string, maxFiles: number): AbortableParts {
  const queue: PublishPart[] = [];
  let failure: Error | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { fieldSize: 1024 * 1024, fields: 1000, files: maxFiles + 1, parts: maxFiles + 1001, headerPairs: 100 },
      preservePath: true,
      defParamCharset: 'utf8',
    });
  } catch (error) {
    throw appError('INVALID_MULTIPART', 'The multipart body has no boundary.', { cause: error });
  }
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) {
      failure ??= appError('INVALID_FIELD', `The field "${name}" is larger than 1 MiB.`);
    }
    queue.push({ kind: 'field', name, value });
    notify();
  });
  parser.on('file', (_name, stream, info) => {
    // A part nobody reads yet is destroyed with the parser's error (a truncated body): without a
    // listener that error would be uncaught and end the process. The failure is reported below.
    stream.on('error', () => {});
    queue.push({ kind: 'file', filename: info.filename ?? '', stream });
    notify();
  });
  const limit = (what: string) => () => {
    failure ??= appError(what === 'files' ? 'TOO_MANY_FILES' : 'INVALID_MULTIPART', `The body has too many ${what}.`);
    notify();
  };
  parser.on('filesLimit', limit('files'));
  parser.on('fieldsLimit', limit('fields'));
  parser.on('partsLimit', limit('parts'));
  parser.on('error', (error: Error) => {
    failure ??= appError('INVALID_MULTIPART', `The multipart body is malformed: ${error.message}`, { cause: error });
    notify();
  });
  parser.on('close', () => {
    finished = true;
    notify();
  });
  body.on('error', (error) => {
    const e = error as { code?: string };
    failure ??= e.code?.startsWith('Z_')
      ? appError('INVALID_MULTIPART', 'The compressed body could not be decompressed.', { cause: error })
      : appError('INVALID_MULTIPART', 'The upload was cut off.', { cause: error });
    parser.destroy();
    notify();
  });
  body.pipe(parser);
  const iterator = async function* (): AsyncGenerator<PublishPart> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        if (failure) {
          if (next.kind === 'file') next.stream.resume();
          throw failure;
        }
        yield next;
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  return {
    [Symbol.asyncIterator]: iterator,
    failure: () => failure,
    abort() {
      body.unpipe(parser);
      for (const part of queue) if (part.kind === 'file') part.stream.resume();
      body.resume();
    },
  };
}
