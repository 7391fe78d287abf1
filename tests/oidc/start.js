#!/usr/bin/env node
/*
 * start.js - oidc-provider (a certified OpenID provider) on 127.0.0.1 for
 * slated's external-token tests.
 *
 *   node tests/oidc/start.js [--port P | --port 0] [--port-file FILE]
 *        [--client-id ID] [--groups a,b]
 *
 * The issuer is http://127.0.0.1:PORT, its JWKS at /jwks (a fresh RSA key
 * each start). One confidential client (--client-id, secret "secret") may
 * use the client_credentials grant: POST /token with
 * grant_type=client_credentials&scope=api answers an RFC 9068 access token
 * (header typ "at+jwt", RS256) for the resource urn:slate:api, with aud
 * and client_id the client, sub the client, and a "groups" claim
 * (--groups, default editor). The port is written to --port-file once the
 * server listens; the issuer is then printed on standard output.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

function usage(msg) {
  process.stderr.write(`start.js: ${msg}\n`);
  process.exit(2);
}

const opts = { port: 0, clientId: 'slate-test-client', groups: ['editor'] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = process.argv[i + 1];
  if (v === undefined) usage(`${a} needs a value`);
  if (a === '--port') opts.port = Number(v);
  else if (a === '--port-file') opts.portFile = v;
  else if (a === '--client-id') opts.clientId = v;
  else if (a === '--groups') opts.groups = v.split(',').filter((g) => g);
  else usage(`unknown option ${a}`);
  i++;
}

const RESOURCE = 'urn:slate:api';

function configuration() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
  return {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: 'secret',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        // The audience slated is configured with is the client id, as
        // Cognito's access tokens carry it (client_id).
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: opts.clientId,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    formats: {
      customizers: {
        jwt: (ctx, token, jwt) => {
          jwt.payload.groups = opts.groups;
        },
      },
    },
  };
}

const server = http.createServer();
server.on('error', (err) => {
  process.stderr.write(`start.js: ${err.stack || err}\n`);
  process.exit(1);
});
server.listen(opts.port, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack || err}\n`));
  server.on('request', provider.callback());
  if (opts.portFile) {
    // written whole, then renamed: a reader never sees half of it
    fs.writeFileSync(opts.portFile + '.tmp', String(port) + '\n');
    fs.renameSync(opts.portFile + '.tmp', opts.portFile);
  }
  process.stdout.write(`${issuer}\n`);
});
// Stop with the test: on SIGTERM, or when the test died without sending it.
process.on('SIGTERM', () => process.exit(0));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
