// A real OpenID Connect provider for the federation tests: panva's oidc-provider, configured like a national
// digital-ID provider (ThaiD / NDID pattern): authorization-code flow with PKCE, `acr` values, and the claims
// email, email_verified, name, pid (citizen ID) and ial.
//
//   node provider.mjs --port 9000 --client-id borikan --client-secret S --redirect-uri http://testserver/cb/
//
// The signing key (RS256) is generated at start and published at /jwks. Everything lives in memory.
//
// Interaction routes the tests drive over HTTP (instead of a person at a browser):
//   GET  /interaction/:uid           the pending prompt as JSON; a consent prompt is granted at once (303).
//   POST /interaction/:uid/login     form: sub, email, email_verified, name, pid, ial, acr, amr (comma-separated)
//                                    → logs that account in with that acr; deny=1 answers error=access_denied.
// Test controls (this program is a test fixture, never a real provider):
//   POST /test/tamper  {"mode": ...} the NEXT token response carries an ID token altered this way:
//        expired | future_iat | audience | extra_audience | nonce | issuer   (re-signed with the real key)
//        foreign_key (signed by a key not published, same kid) | altered (payload changed, signature kept)
//        alg_none | hs256_client_secret | hs256_public_key | rotated (a new key, published, then used)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    host: { type: 'string', default: '127.0.0.1' },
    'client-id': { type: 'string', default: 'borikan' },
    'client-secret': { type: 'string', default: 'test-client-secret-0123456789abcdef' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    acr: { type: 'string', multiple: true, default: [] },
  },
});

const port = Number(args.port);
const issuer = `http://${args.host}:${port}`;
const clientId = args['client-id'];
const clientSecret = args['client-secret'];
const acrValues = args.acr.length ? args.acr : ['urn:borikan:test:loa:low', 'urn:borikan:test:loa:substantial', 'urn:borikan:test:loa:high'];

function newSigningKey(kid) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { jwk, privateKey, publicKey };
}

const signing = newSigningKey(`k-${randomBytes(6).toString('hex')}`);
const extraPublished = []; // public JWKs added by the "rotated" tamper mode
let tamper = null;

// The accounts the tests log in, by subject: claims given at the login step.
const accounts = new Map();

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: args['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signing.jwk] },
  pkce: { required: () => true },
  acrValues,
  claims: {
    acr: null,
    auth_time: null,
    sid: null,
    openid: ['sub', 'acr', 'amr'], // acr and amr in every ID token, requested or not
    email: ['email', 'email_verified'],
    profile: ['name'],
    pid: ['pid', 'ial'],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString();
  if ((req.headers['content-type'] || '').includes('application/json')) return text ? JSON.parse(text) : {};
  return Object.fromEntries(new URLSearchParams(text));
}

async function grantConsent(ctx, details) {
  const { prompt, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  const consent = details.grantId ? {} : { grantId };
  await provider.interactionFinished(ctx.req, ctx.res, { consent }, { mergeWithLastSubmission: true });
  ctx.respond = false;
}

async function logIn(ctx, details, form) {
  if (form.deny) {
    const result = { error: 'access_denied', error_description: 'the person declined' };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  const sub = String(form.sub || '');
  if (!sub) {
    ctx.status = 400;
    ctx.body = { error: 'sub is required' };
    return;
  }
  const claims = { email: form.email, name: form.name };
  if (form.email_verified !== undefined) claims.email_verified = ['1', 'true', true].includes(form.email_verified);
  if (form.pid) claims.pid = form.pid;
  if (form.ial) claims.ial = form.ial;
  accounts.set(sub, claims);
  const login = { accountId: sub, acr: form.acr || acrValues[0], amr: (form.amr || 'pwd').split(',') };
  await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  ctx.respond = false;
}

const INTERACTION = /^\/interaction\/([^/]+)(\/login)?$/;

// Test routes and interactions, mounted before the provider's own routes.
provider.use(async (ctx, next) => {
  const match = INTERACTION.exec(ctx.path);
  if (match) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== match[1]) ctx.throw(400, 'interaction mismatch');
    if (ctx.method === 'GET') {
      if (details.prompt.name === 'consent') return grantConsent(ctx, details);
      ctx.body = { uid: details.uid, prompt: details.prompt.name, params: details.params };
      return;
    }
    if (ctx.method === 'POST' && match[2]) return logIn(ctx, details, await readForm(ctx.req));
    ctx.throw(405);
  }
  if (ctx.path === '/test/tamper' && ctx.method === 'POST') {
    tamper = (await readForm(ctx.req)).mode || null;
    ctx.body = { tamper };
    return;
  }
  await next();
  if (ctx.path === '/jwks' && ctx.body && extraPublished.length) {
    const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
    ctx.body = { keys: [...body.keys, ...extraPublished] };
  }
  if (ctx.path === '/token' && ctx.status === 200 && tamper) {
    const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
    body.id_token = await tampered(body.id_token, tamper);
    ctx.body = body;
    tamper = null;
  }
});

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function resign(claims, key, header) {
  return new jose.SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function tampered(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const header = jose.decodeProtectedHeader(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'expired':
      return resign({ ...claims, iat: now - 1200, exp: now - 600 }, signing.privateKey, header);
    case 'future_iat':
      return resign({ ...claims, iat: now + 600, exp: now + 1200 }, signing.privateKey, header);
    case 'audience':
      return resign({ ...claims, aud: 'someone-else' }, signing.privateKey, header);
    case 'extra_audience': {
      const { azp, ...rest } = claims;
      return resign({ ...rest, aud: [clientId, 'someone-else'] }, signing.privateKey, header);
    }
    case 'nonce':
      return resign({ ...claims, nonce: 'not-the-nonce-that-was-sent' }, signing.privateKey, header);
    case 'issuer':
      return resign({ ...claims, iss: 'https://impostor.example' }, signing.privateKey, header);
    case 'foreign_key':
      return resign(claims, newSigningKey(header.kid).privateKey, header);
    case 'altered': {
      const [h, , s] = idToken.split('.');
      return `${h}.${b64({ ...claims, sub: `${claims.sub}-other` })}.${s}`;
    }
    case 'alg_none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    case 'hs256_client_secret':
      return resign(claims, new TextEncoder().encode(clientSecret), { alg: 'HS256', kid: header.kid });
    case 'hs256_public_key': {
      const pem = signing.publicKey.export({ type: 'spki', format: 'pem' });
      return resign(claims, new TextEncoder().encode(pem), { alg: 'HS256', kid: header.kid });
    }
    case 'rotated': {
      const next = newSigningKey(`k-${randomBytes(6).toString('hex')}`);
      const { d, p, q, dp, dq, qi, ...publicJwk } = next.jwk;
      extraPublished.push(publicJwk);
      return resign(claims, next.privateKey, { ...header, kid: next.jwk.kid });
    }
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
}

const server = http.createServer(provider.callback());
server.listen(port, args.host, () => {
  console.log(`oidc-provider listening at ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
