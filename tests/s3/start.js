#!/usr/bin/env node
/*
 * start.js - s3rver for slated's storage tests, on 127.0.0.1, with the
 * buckets made and every AWS Signature Version 4 checked.
 *
 *   node tests/s3/start.js --directory DIR [--port P | --port 0]
 *        [--port-file FILE] [--bucket NAME]...
 *
 * s3rver 3.7.1 checks V2 signatures and the expiry of presigned URLs but
 * takes any well-formed V4 signature from a known key. The middleware
 * below recomputes V4 signatures (Authorization header and query string,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
 * with the key pair S3RVER/S3RVER and answers 403 SignatureDoesNotMatch
 * when they differ, as S3 does. The listening port is written to
 * --port-file once the server is up; each request is then logged on
 * standard output as "METHOD /bucket/key?query STATUS".
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const S3rver = require(path.join(__dirname, 'node_modules', 's3rver'));

const SECRETS = { S3RVER: 'S3RVER' };

function usage(msg) {
  process.stderr.write(`start.js: ${msg}\n`);
  process.exit(2);
}

const opts = { port: 0, buckets: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = process.argv[i + 1];
  if (v === undefined) usage(`${a} needs a value`);
  if (a === '--directory') opts.directory = v;
  else if (a === '--port') opts.port = Number(v);
  else if (a === '--port-file') opts.portFile = v;
  else if (a === '--bucket') opts.buckets.push(v);
  else usage(`unknown option ${a}`);
  i++;
}
if (!opts.directory) usage('--directory is required');

// RFC 3986 encoding, as SigV4 wants it.
function enc(s) {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function hmac(key, msg) {
  return crypto.createHmac('sha256', key).update(msg, 'utf8').digest();
}

function deny(ctx, code, message) {
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

async function sigv4(ctx, next) {
  const raw = ctx.req.url;
  const qi = raw.indexOf('?');
  const rawPath = qi < 0 ? raw : raw.slice(0, qi);
  const rawQuery = qi < 0 ? '' : raw.slice(qi + 1);
  let pairs;
  try {
    pairs = rawQuery
      .split('&')
      .filter((p) => p.length)
      .map((p) => {
        const i = p.indexOf('=');
        return i < 0
          ? [decodeURIComponent(p), '']
          : [decodeURIComponent(p.slice(0, i)), decodeURIComponent(p.slice(i + 1))];
      });
  } catch (e) {
    return deny(ctx, 'InvalidRequest', 'bad query encoding');
  }
  const q = Object.fromEntries(pairs);
  const auth = ctx.get('authorization');
  let credential, signedHeaders, signature, amzDate, payload;
  if ('X-Amz-Algorithm' in q) {
    if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') return next();
    credential = q['X-Amz-Credential'];
    signedHeaders = q['X-Amz-SignedHeaders'];
    signature = q['X-Amz-Signature'];
    amzDate = q['X-Amz-Date'];
    payload = q['X-Amz-Content-Sha256'] || 'UNSIGNED-PAYLOAD';
  } else if (auth.startsWith('AWS4-HMAC-SHA256 ')) {
    const m = {};
    for (const part of auth.slice(17).split(',')) {
      const [k, ...v] = part.trim().split('=');
      m[k] = v.join('=');
    }
    credential = m.Credential;
    signedHeaders = m.SignedHeaders;
    signature = m.Signature;
    amzDate = ctx.get('x-amz-date');
    payload = ctx.get('x-amz-content-sha256');
  } else {
    return next(); // unsigned, or V2: s3rver's own rules
  }
  if (!credential || !signedHeaders || !signature || !amzDate || !payload)
    return deny(ctx, 'AccessDenied', 'incomplete V4 signature');
  const scope = credential.split('/');
  const secret = SECRETS[scope[0]];
  if (scope.length !== 5 || !secret)
    return deny(ctx, 'InvalidAccessKeyId', 'unknown access key');
  const [, date, region, service, term] = scope;
  if (!amzDate.startsWith(date) || service !== 's3' || term !== 'aws4_request')
    return deny(ctx, 'AuthorizationHeaderMalformed', 'bad credential scope');
  const names = signedHeaders.split(';');
  if (!names.includes('host'))
    return deny(ctx, 'AccessDenied', 'host must be signed');
  let canonUri;
  try {
    canonUri = rawPath
      .split('/')
      .map((s) => enc(decodeURIComponent(s)))
      .join('/');
  } catch (e) {
    return deny(ctx, 'InvalidRequest', 'bad path encoding');
  }
  const canonQuery = pairs
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0,
    )
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonHeaders = names
    .map((n) => {
      const v = ctx.req.headers[n];
      return `${n}:${String(v === undefined ? '' : v).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const creq = [ctx.method, canonUri, canonQuery, canonHeaders, signedHeaders, payload].join('\n');
  const sts = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope.slice(1).join('/'),
    crypto.createHash('sha256').update(creq, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac('AWS4' + secret, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, term);
  const want = crypto.createHmac('sha256', key).update(sts, 'utf8').digest('hex');
  if (
    want.length !== signature.length ||
    !crypto.timingSafeEqual(Buffer.from(want), Buffer.from(signature))
  ) {
    process.stderr.write(`SignatureDoesNotMatch: ${ctx.method} ${raw}\n${creq}\n---\n`);
    return deny(
      ctx,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  return next();
}

const server = new S3rver({
  address: '127.0.0.1',
  port: opts.port,
  directory: opts.directory,
  silent: true,
  configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
});
server.middleware.unshift(sigv4);
server.middleware.unshift(async (ctx, next) => {
  try {
    await next();
  } finally {
    process.stdout.write(`${ctx.method} ${ctx.req.url} ${ctx.status}\n`);
  }
});
server.run().then(
  ({ port }) => {
    if (opts.portFile) {
      // written whole, then renamed: a reader never sees half of it
      fs.writeFileSync(opts.portFile + '.tmp', String(port) + '\n');
      fs.renameSync(opts.portFile + '.tmp', opts.portFile);
    }
    process.stdout.write(`s3rver listening on 127.0.0.1:${port}\n`);
  },
  (err) => {
    process.stderr.write(`start.js: ${err.stack || err}\n`);
    process.exit(1);
  },
);
// Stop with the test: on SIGTERM, or when the test died without sending it.
process.on('SIGTERM', () => process.exit(0));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
