// A real OpenID provider for the sign-in tests: panva's certified oidc-provider, configured
// from a JSON file the test fixture writes (issuer, port, signing keys, clients, accounts).
// It listens on 127.0.0.1 only, keeps everything in memory and prints "ready" once listening.
// Its development login form (devInteractions) signs in whichever account name is typed;
// consent is granted at once, as an authority's own first-party application would be.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { accounts } = config;
const SCOPES = 'openid profile email';

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['a-test-only-cookie-key'] },
  // The claims go into the ID token itself (as Entra ID puts groups there), not only userinfo.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'groups', 'teams'],
    email: ['email'],
  },
  ttl: { IdToken: config.idTokenSeconds ?? 3600, Session: 3600, Interaction: 600 },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES);
    grant.addOIDCClaims(['preferred_username', 'name', 'groups', 'teams', 'email']);
    await grant.save();
    return grant;
  },
});

const server = createServer(provider.callback());
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
