import { ClientError } from './client-error.ts';
import type { RawResponse } from './registry-transport.ts';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function hintFor(status: number, registry: string): string | undefined {
  if (status === 401) return `Run \`ds login --registry ${registry}\` or set ENTROPIC_TOKEN.`;
  if (status === 429) return 'Wait a moment and try again.';
  if (status >= 500) return 'The registry had a problem; try again later.';
  return undefined;
}

/**
 * The ClientError for an error response: the registry's own `{message, code, hint}` when it sent
 * them, else a code and hint for the status (a short plain-text body becomes the message).
 */
export async function responseError(raw: RawResponse, registry: string): Promise<ClientError> {
  let text = '';
  try {
    text = await raw.body.text();
  } catch {
    // the body is only used for the message
  }
  let message: string | undefined;
  let code: string | undefined;
  let hint: string | undefined;
  let details: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; code?: unknown; hint?: unknown; authUrl?: unknown; doneUrl?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
    if (typeof parsed.code === 'string') code = parsed.code;
    if (typeof parsed.hint === 'string') hint = parsed.hint;
    // npm's web second-factor flow: a page to approve on and a URL to poll, both on the registry's own origin
    const origin = new URL(registry).origin;
    const sameOrigin = (value: unknown) => typeof value === 'string' && URL.canParse(value) && new URL(value).origin === origin;
    if (sameOrigin(parsed.authUrl) && sameOrigin(parsed.doneUrl)) details = { authUrl: parsed.authUrl, doneUrl: parsed.doneUrl };
  } catch {
    if (text && text.length < 200 && !text.includes('<')) message = text.trim();
  }
  const status = raw.status;
  return new ClientError(
    code ?? STATUS_CODES[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'BAD_REQUEST'),
    message ?? `The registry answered ${status}.`,
    { status, hint: hint ?? hintFor(status, registry), ...(details ? { details } : {}) },
  );
}

/** The ClientError for a registry that could not be reached (DNS, refused, reset…). */
export function networkError(error: unknown, registry: string): ClientError {
  const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
  return new ClientError('NETWORK_ERROR', `Could not reach the registry at ${registry}: ${reason}.`, {
    hint: 'Check the URL (--registry or ENTROPIC_REGISTRY) and your network connection.',
    cause: error,
  });
}
