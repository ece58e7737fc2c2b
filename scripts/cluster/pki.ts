/**
 * PKI and kubeconfig for the test control plane, made with openssl: one CA, one admin certificate
 * (O=system:masters, server and client usage, SAN 127.0.0.1/localhost) that serves as the
 * apiserver's serving cert and every component's client cert (as kwokctl does), and the
 * service-account signing key.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the generated files. */
export interface Pki {
  readonly dir: string;
  readonly caCrt: string;
  readonly caKey: string;
  readonly adminCrt: string;
  readonly adminKey: string;
  readonly saKey: string;
}

function openssl(cwd: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${err.stderr?.toString() || err.message}`, {
      cause: e,
    });
  }
}

/** Generates the PKI into `dir` (created); guarantees every returned path exists. */
export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = '3650';
  openssl(dir, ['genrsa', '-out', 'ca.key', '2048']);
  openssl(
    dir,
    ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', days].concat([
      '-subj',
      '/CN=everynode-test-ca',
      '-out',
      'ca.crt',
    ]),
  );
  openssl(dir, ['genrsa', '-out', 'admin.key', '2048']);
  openssl(
    dir,
    ['req', '-new', '-key', 'admin.key', '-subj', '/O=system:masters/CN=everynode-admin'].concat([
      '-out',
      'admin.csr',
    ]),
  );
  writeFileSync(
    join(dir, 'admin.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '',
    ].join('\n'),
  );
  openssl(
    dir,
    ['x509', '-req', '-in', 'admin.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key'].concat([
      '-CAcreateserial',
      '-days',
      days,
      '-sha256',
      '-extfile',
      'admin.ext',
      '-out',
      'admin.crt',
    ]),
  );
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  return {
    dir,
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    adminCrt: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    saKey: join(dir, 'sa.key'),
  };
}

/**
 * Writes a kubeconfig with the CA and the admin credentials embedded (so every client, including
 * @kubernetes/client-node, reads it without file references) and returns its path.
 */
export function writeKubeconfig(path: string, server: string, pki: Pki): string {
  const b64 = (p: string): string => readFileSync(p).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'everynode', cluster: { server, 'certificate-authority-data': b64(pki.caCrt) } },
    ],
    users: [
      {
        name: 'everynode-admin',
        user: {
          'client-certificate-data': b64(pki.adminCrt),
          'client-key-data': b64(pki.adminKey),
        },
      },
    ],
    contexts: [{ name: 'everynode', context: { cluster: 'everynode', user: 'everynode-admin' } }],
    'current-context': 'everynode',
  };
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return path;
}
