import {
  approveWrite,
  countSignInAttempt,
  findWriteApproval,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  recordSignIn,
  startPasskeyRegistration,
  startPasskeySignIn,
} from '@entropic/core';
import { appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { retryAfterOf } from '../plugins/errors.ts';
import { html, type SafeHtml } from './html.ts';
import { csrfField, renderPage, sendPage } from './layout.ts';
import { afterSignInPath } from './login-pages.ts';
import { ensureSession, requireSessionUser, sessionFingerprint, setFlash, signIn } from './session.ts';

type JsonBody = { Body: { name?: unknown; response?: unknown } | undefined };

/**
 * The passkey ceremonies' JSON endpoints, called by /www/static/passkeys.js (the pages' buttons):
 * `…/options` answers what `navigator.credentials.create()` / `.get()` take, the other checks what
 * the authenticator made. Both are POSTs with the form's CSRF token (`_csrf` in the JSON body);
 * the challenge is bound to this browser session. Expected failures answer `{message, code}`.
 */
export function registerPasskeyPages(www: FastifyInstance): void {
  const { deps } = www;
  const relyingParty = deps.config.security.relyingParty;
  const bindingOf = (request: FastifyRequest) => sessionFingerprint(ensureSession(request));

  www.post('/account/passkeys/options', async (request, reply) =>
    json(reply, async () => {
      requireSessionUser(request);
      return startPasskeyRegistration(deps, { principal: request.principal, relyingParty, binding: bindingOf(request) });
    }),
  );

  www.post<JsonBody>('/account/passkeys', async (request, reply) =>
    json(reply, async () => {
      requireSessionUser(request);
      const name = typeof request.body?.name === 'string' ? request.body.name : '';
      const added = await finishPasskeyRegistration(deps, {
        principal: request.principal,
        relyingParty,
        binding: bindingOf(request),
        response: request.body?.response,
        name,
      });
      setFlash(request, `Passkey "${added.name}" added: you can sign in with it.`);
      return { ...added, redirect: '/www/account/security' };
    }),
  );

  // passwordless from /www/login, or the second step on /www/login/second-factor (that user's passkeys only)
  // Each attempt is counted once, when its challenge is made: every answer needs a stored challenge,
  // so this also bounds the challenges one address can make the store keep.
  www.post('/login/passkey/options', async (request, reply) =>
    json(reply, async () => {
      const waiting = request.webSession?.data.awaitingSecondFactor;
      await countSignInAttempt(deps, {
        ...(waiting ? { account: (await deps.repos.users.findById(waiting.userId))?.name ?? '' } : {}),
        address: request.ip,
        limits: deps.config.signInLimits,
      });
      return startPasskeySignIn(deps, {
        relyingParty,
        binding: bindingOf(request),
        ...(waiting ? { userId: waiting.userId } : {}),
      });
    }),
  );

  www.post<JsonBody>('/login/passkey', async (request, reply) =>
    json(reply, async () => {
      const waiting = request.webSession?.data.awaitingSecondFactor;
      const result = await finishPasskeySignIn(deps, {
        relyingParty,
        binding: bindingOf(request),
        response: request.body?.response,
        address: request.ip,
      });
      const user = await deps.repos.users.findById(result.userId);
      if (!user) throw new Error('a passkey without its user');
      // the challenge was bound to the waiting user: a second step signs in that user only
      const method = result.passwordless ? 'passkey' : `${waiting?.method ?? 'unknown'}+passkey`;
      const session = await signIn(request, user, { secondFactor: true });
      delete session.data.awaitingSecondFactor;
      await recordSignIn(deps, {
        principal: { userId: user.id, username: user.name, scope: 'session', address: request.ip },
        method,
      });
      return { redirect: afterSignInPath(request) };
    }),
  );
}

/**
 * /www/approve/:id: npm's web second-factor flow for passkey users (npm opens this page when a
 * write answers OTP_REQUIRED with an authUrl). Signed in with the passkey, the user approves;
 * npm's poll of the doneUrl then gets a one-time code. A user not signed in goes to the login
 * page first and comes back.
 */
export function registerWriteApprovalPages(www: FastifyInstance): void {
  const { deps } = www;
  const page = (request: FastifyRequest, body: SafeHtml, error?: string) =>
    renderPage(request, { title: 'Approve a write', body, ...(error ? { error } : {}) });
  const done = html`<p data-testid="approved">Approved. Go back to your terminal: the command goes on by itself.</p>`;

  www.get<{ Params: { id: string } }>('/approve/:id', async (request, reply) => {
    requireSessionUser(request);
    const approval = await findWriteApproval(deps, { principal: request.principal, id: request.params.id });
    if (!approval) throw appError('NOT_FOUND', 'This approval is unknown, expired or not yours; run the command again.');
    if (approval.approved) return sendPage(reply, page(request, done));
    const body = html`<form method="post" action="/www/approve/${request.params.id}" class="card">
          ${csrfField(request)}
          <p>A command-line write (npm or ds) made with one of your tokens is waiting for your second factor. Approve it only if you just started it.</p>
          <button type="submit">Approve</button>
        </form>`;
    return sendPage(reply, page(request, body));
  });

  www.post<{ Params: { id: string } }>('/approve/:id', async (request, reply) => {
    requireSessionUser(request);
    await approveWrite(deps, { principal: request.principal, id: request.params.id });
    return sendPage(reply, page(request, done));
  });
}

/** Answers the handler's value as JSON, or an expected failure as `{message, code}` with its status. */
async function json(reply: FastifyReply, handler: () => Promise<unknown>): Promise<FastifyReply> {
  try {
    return reply.type('application/json; charset=utf-8').send(await handler());
  } catch (error) {
    if (!isAppError(error) || error.status >= 500) throw error;
    const retryAfter = retryAfterOf(error);
    if (retryAfter) reply.header('Retry-After', retryAfter);
    return reply.code(error.status).type('application/json; charset=utf-8').send({ message: error.message, code: error.code });
  }
}
