import {
  type AccountUser,
  confirmTotpEnrolment,
  countSignInAttempt,
  disableTotp,
  getSecondFactorStatus,
  listOwnAudit,
  listPasskeys,
  MAX_PAGE_SIZE,
  pendingTotpEnrolment,
  recordSignIn,
  removePasskey,
  secondFactorsOf,
  setTotpForWrites,
  startTotpEnrolment,
  verifySecondFactor,
} from '@entropic/core';
import { appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderSVG } from 'uqr';
import { sendAuditPage } from '../routes/security.ts';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { afterSignInPath } from './login-pages.ts';
import { csrfToken, requireSessionUser, setFlash, signIn, touchSession } from './session.ts';
import { AUDIT_PAGE_SIZE, auditPage } from './views/audit-page.ts';
import { passkeysSection } from './views/passkey-views.ts';
import { secondFactorPage, securityPage } from './views/security-page.ts';

type Form = Record<string, string | undefined>;
const formOf = (request: FastifyRequest): Form => (request.body ?? {}) as Form;

/** /www/account/security: set up, confirm and turn off an authenticator app (TOTP). */
export function registerSecurityPages(www: FastifyInstance): void {
  const { deps } = www;

  const render = async (request: FastifyRequest, options: { error?: string; recoveryCodes?: string[] } = {}) => {
    const user = requireSessionUser(request);
    const status = await getSecondFactorStatus(deps, { userId: user.id });
    const pending = status.pending ? await pendingTotpEnrolment(deps, { principal: request.principal }) : undefined;
    const enrolment = pending ? { ...pending, qrSvg: renderSVG(pending.uri, { border: 2 }) } : undefined;
    const passkeys = await listPasskeys(deps, { principal: request.principal });
    return renderPage(request, {
      title: 'Account security',
      ...(options.error ? { error: options.error } : {}),
      body: html`${securityPage({ csrfToken: csrfToken(request), status, enrolment, recoveryCodes: options.recoveryCodes })}
        ${passkeysSection({ csrfToken: csrfToken(request), passkeys })}`,
    });
  };

  www.get('/account/security', async (request, reply) => sendPage(reply, await render(request)));

  www.get<{ Querystring: { cursor?: string } }>('/account/audit', async (request, reply) => {
    requireSessionUser(request);
    const { cursor } = request.query;
    const page = await listOwnAudit(deps, { principal: request.principal, limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    const body = auditPage({ page, base: '/www/account/audit', exportUrl: '/www/account/audit.jsonl' });
    return sendPage(reply, renderPage(request, { title: 'Your audit log', body }));
  });

  // the export for a browser (session cookie); API clients use GET /auth/audit?format=jsonl
  www.get<{ Querystring: { cursor?: string } }>('/account/audit.jsonl', async (request, reply) => {
    requireSessionUser(request);
    const { cursor } = request.query;
    const page = await listOwnAudit(deps, { principal: request.principal, limit: MAX_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    return sendAuditPage(reply, page, 'jsonl', 'audit');
  });

  www.post('/account/security', async (request, reply) => {
    requireSessionUser(request);
    const form = formOf(request);
    const code = (form.code ?? '').slice(0, 64);
    const forWrites = form.forWrites === 'on';
    try {
      switch (form.action) {
        case 'start':
          await startTotpEnrolment(deps, { principal: request.principal });
          return reply.redirect('/www/account/security', 303);
        case 'confirm': {
          const { recoveryCodes } = await confirmTotpEnrolment(deps, { principal: request.principal, code, forWrites });
          // this session has just proven the second factor
          touchSession(request).data.secondFactor = true;
          return sendPage(reply, await render(request, { recoveryCodes }), 200);
        }
        case 'for-writes':
          await setTotpForWrites(deps, { principal: request.principal, code, forWrites });
          setFlash(request, forWrites ? 'Writes now need a code.' : 'Writes no longer need a code.');
          return reply.redirect('/www/account/security', 303);
        case 'remove-passkey':
          await removePasskey(deps, { principal: request.principal, id: (form.passkey ?? '').slice(0, 256) });
          setFlash(request, 'The passkey was removed.');
          return reply.redirect('/www/account/security', 303);
        case 'disable':
          await disableTotp(deps, { principal: request.principal, code });
          setFlash(request, 'Two-factor authentication is off.');
          return reply.redirect('/www/account/security', 303);
        default:
          throw appError('BAD_REQUEST', 'Unknown action.');
      }
    } catch (error) {
      if (!isAppError(error) || error.status >= 500 || error.code === 'CSRF_FAILED') throw error;
      return sendPage(reply, await render(request, { error: error.message }), error.status);
    }
  });
}

/**
 * /www/login/second-factor: after the password (or provider), a user with a second factor types a
 * code or a recovery code; only then is the session signed in. Attempts count against the
 * sign-in limits of the account and address.
 */
export function registerSecondFactorSignIn(www: FastifyInstance): void {
  const { deps } = www;
  const page = async (request: FastifyRequest, userId: number, error?: string) =>
    renderPage(request, {
      title: 'Two-factor authentication',
      ...(error ? { error } : {}),
      body: secondFactorPage({ csrfToken: csrfToken(request), factors: await secondFactorsOf(deps, { userId }) }),
    });

  www.get('/login/second-factor', async (request, reply) => {
    const waiting = request.webSession?.data.awaitingSecondFactor;
    if (!waiting) return reply.redirect('/www/login', 303);
    return sendPage(reply, await page(request, waiting.userId));
  });

  www.post('/login/second-factor', async (request: FastifyRequest, reply: FastifyReply) => {
    const waiting = request.webSession?.data.awaitingSecondFactor;
    if (!waiting) return reply.redirect('/www/login', 303);
    const user = await deps.repos.users.findById(waiting.userId);
    if (!user) return reply.redirect('/www/login', 303);
    await countSecondFactorAttempt(www, request, user);
    const principal = { userId: user.id, username: user.name, scope: 'session' as const, address: request.ip };
    const method = await verifySecondFactor(deps, { principal, code: (formOf(request).code ?? '').slice(0, 64) });
    if (!method)
      return sendPage(reply, await page(request, user.id, 'That code is not right (or was used already). Try the next one.'), 401);
    const session = await signIn(request, user, { secondFactor: true });
    delete session.data.awaitingSecondFactor;
    await recordSignIn(deps, { principal: { ...principal }, method: `${waiting.method}+${method}` });
    return reply.redirect(afterSignInPath(request), 303);
  });
}

async function countSecondFactorAttempt(www: FastifyInstance, request: FastifyRequest, user: AccountUser): Promise<void> {
  await countSignInAttempt(www.deps, { account: user.name, address: request.ip, limits: www.deps.config.signInLimits });
}
