import { cancelCliLogin, completeCliLogin, createToken, findCliLogin, revokeToken } from '@entropic/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderPage, sendPage } from './layout.ts';
import { csrfToken, requireSessionUser } from './session.ts';
import { cliLoginPage, cliLoginTitle } from './views/cli-login-page.ts';
import { linkPage } from './views/link-page.ts';

/**
 * /www/cli-login: the signed-in user confirms (or refuses) the login of the command-line client
 * that sent them here. Confirming mints a publish token that the client's next poll receives.
 * Asking first matters: a login link can be sent to someone by whoever started the login.
 */
export function registerCliLoginPages(www: FastifyInstance): void {
  const { deps } = www;

  const pendingLogin = async (request: FastifyRequest) => {
    const session = request.webSession;
    const id = session?.data.cli;
    if (!session || !id) return undefined;
    const login = await findCliLogin(deps, { id });
    if (!login) {
      delete session.data.cli;
      session.dirty = true;
      return undefined;
    }
    return { id, hostname: login.hostname };
  };

  const finished = (request: FastifyRequest, title: string, message: string) =>
    renderPage(request, { title, notice: message, body: linkPage({ href: '/www/tokens', text: 'Your tokens' }) });

  www.get('/cli-login', async (request, reply) => {
    const user = requireSessionUser(request);
    const login = await pendingLogin(request);
    if (!login)
      return sendPage(
        reply,
        finished(request, 'No login waiting', 'No command-line login is waiting for you. Run the login command again if you need one.'),
        404,
      );
    const page = renderPage(request, {
      title: cliLoginTitle(login.hostname),
      body: cliLoginPage({ csrfToken: csrfToken(request), username: user.name, hostname: login.hostname }),
    });
    return sendPage(reply, page);
  });

  www.post('/cli-login', async (request, reply) => {
    const user = requireSessionUser(request);
    const login = await pendingLogin(request);
    if (!login)
      return sendPage(reply, finished(request, 'No login waiting', 'That command-line login expired or was already finished.'), 404);
    const session = request.webSession!;
    delete session.data.cli;
    session.dirty = true;
    const action = (request.body as Record<string, string | undefined> | undefined)?.action;
    if (action !== 'confirm') {
      await cancelCliLogin(deps, { id: login.id });
      return sendPage(reply, finished(request, 'Login cancelled', 'The command-line login was cancelled.'));
    }
    const description = login.hostname ? `CLI login on ${login.hostname}` : 'CLI login (web)';
    const { token, info } = await createToken(deps, { userId: user.id, description, scope: 'publish', actor: request.principal });
    try {
      await completeCliLogin(deps, { id: login.id, token });
    } catch (error) {
      // the login expired in between: the token must not outlive it
      await revokeToken(deps, { userId: user.id, tokenId: info.id, actor: request.principal });
      throw error;
    }
    return sendPage(reply, finished(request, 'Logged in', 'You are logged in on the command line. You may close this window.'));
  });
}
