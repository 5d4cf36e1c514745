// A real OpenID Connect provider for the single sign-on tests: panva's certified `oidc-provider`
// (a devDependency), on a free loopback port, with discovery, JWKS, the authorization code flow
// (PKCE required) and RP-initiated logout. Only the sign-in screen is ours: a form naming the
// account, which the tests post with plain HTTP; the account's `amr` and `acr` say how it signed in.
//
//   node tests/oidc/provider.mjs settings.json
//   settings: {"clients": [<client metadata>...], "accounts": {"<id>": {"email": ..., "email_verified": true,
//              "name": ..., "groups": [...], "amr": ["pwd", "otp"], "acr": "..."}}}
// Prints one line of JSON once listening: {"issuer": "http://127.0.0.1:<port>"}.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = settings.accounts;

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  use: 'sig',
  alg: 'RS256',
};

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: settings.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // Scope-requested claims go in the ID token itself, as Entra ID and Okta can be set to do.
    conformIdTokenClaims: false,
    // How the person signed in (acr, amr) rides on the openid scope, so every ID token says it.
    claims: {
      iss: null,
      sid: null,
      openid: ['sub', 'groups', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    acrValues: ['urn:heat:test:one-factor', 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><html lang="en"><title>Test provider: sign out</title>
<main><h1>Sign out of the test provider?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></main></html>`;
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const { amr, acr, ...claims } = account;
          return { sub: id, ...claims };
        },
      };
    },
    // HEAT is a first-party client: no consent screen, every requested scope granted.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    const match = path.match(/^\/interaction\/([\w-]+)$/);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(`<!DOCTYPE html><html lang="en"><title>Test provider: sign in</title>
<main><h1>Test provider</h1><form method="post" action="${escape(path)}">
<label for="login">Account</label> <input id="login" name="login"> <button>Sign in</button></form></main></html>`);
        return;
      }
      const login = (await readForm(req)).get('login');
      const account = accounts[login];
      if (!account) {
        res.statusCode = 400;
        res.end('No such account');
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: login, amr: account.amr, acr: account.acr } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.statusCode = 400;
      res.end(String(error));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
