import { createToken, listTokens, revokeToken, type TokenScope } from '@entropic/core';
import { type AppError, appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderPage, sendPage } from './layout.ts';
import { csrfToken, requireSessionUser, setFlash } from './session.ts';
import { EXPIRY_CHOICES, type TokensPageModel, tokensPage } from './views/tokens-page.ts';

type Form = Record<string, string | undefined>;

function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** /www/tokens: create (the value is shown once, in the response to the form), list and revoke. */
export function registerTokenPages(www: FastifyInstance): void {
  const { deps } = www;

  const renderTokensPage = async (request: FastifyRequest, options: { created?: string; error?: string; form?: Form } = {}) => {
    const user = requireSessionUser(request);
    const model: TokensPageModel = {
      host: deps.config.host,
      csrfToken: csrfToken(request),
      tokens: await listTokens(deps, { userId: user.id }),
      created: options.created,
      form: options.form ?? {},
    };
    return renderPage(request, {
      title: `Tokens for ${user.name}`,
      ...(options.error ? { error: options.error } : {}),
      body: tokensPage(model),
    });
  };

  www.get('/tokens', async (request, reply) => sendPage(reply, await renderTokensPage(request)));

  www.post('/tokens', async (request, reply) => {
    const user = requireSessionUser(request);
    const form = (request.body ?? {}) as Form;
    if (form.action === 'create') {
      const scope: TokenScope = form.scope === 'read' ? 'read' : 'publish';
      if (form.scope !== undefined && form.scope !== 'read' && form.scope !== 'publish') {
        return sendPage(reply, await renderTokensPage(request, { error: 'The scope must be read or publish.', form }), 400);
      }
      const choice = EXPIRY_CHOICES.find((c) => c.value === (form.expires ?? 'never'));
      if (!choice) return sendPage(reply, await renderTokensPage(request, { error: 'Choose when the token expires.', form }), 400);
      const expiresAt = choice.value === 'never' ? null : new Date(Date.now() + Number(choice.value) * 86_400_000);
      try {
        const created = await createToken(deps, {
          userId: user.id,
          description: form.description ?? '',
          scope,
          expiresAt,
          namespaces: commaList(form.namespaces),
          packages: commaList(form.packages),
          cidrs: commaList(form.cidrs),
          automation: form.automation === 'on',
          actor: request.principal,
        });
        return sendPage(reply, await renderTokensPage(request, { created: created.token }), 201);
      } catch (error) {
        if (!isAppError(error) || error.status >= 500) throw error;
        return sendPage(reply, await renderTokensPage(request, { error: (error as AppError).message, form }), error.status);
      }
    }
    if (form.action === 'revoke') {
      await revokeToken(deps, { userId: user.id, tokenId: form.id ?? '', actor: request.principal });
      setFlash(request, 'The token was revoked. Clients using it are signed out.');
      return reply.redirect('/www/tokens', 303);
    }
    throw appError('BAD_REQUEST', 'Unknown action.');
  });
}
