/**
 * TLS for the emulator: a certificate passed in, or a self-signed one made at start for the
 * emulator's host (a day's validity, made with the `openssl` binary: Node's own crypto makes keys
 * but not X.509 certificates). The client trusts it by passing `cert` as its `ca`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A PEM private key and its certificate. */
export interface EmulatorCertificate {
  readonly key: string;
  readonly cert: string;
}

const run = promisify(execFile);

/** The subjectAltName that makes the certificate valid for `host` (and localhost, 127.0.0.1, ::1). */
export const subjectAltNames = (host: string): string => {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  names.add(isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`);
  return [...names].join(',');
};

/** Makes a self-signed certificate for `host`; rejects with a clear message when `openssl` cannot be run. */
export const selfSignedCertificate = async (host: string): Promise<EmulatorCertificate> => {
  const dir = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
    args.push('-subj', '/CN=discluster-emulator', '-addext', `subjectAltName=${subjectAltNames(host)}`, '-keyout', keyFile, '-out', certFile);
    await run('openssl', args).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
      const why = error.code === 'ENOENT' ? 'the openssl binary is not on PATH' : `openssl failed: ${String(error.stderr ?? error.message).trim().slice(0, 300)}`;
      throw new Error(`emulator option tls: true makes a self-signed certificate with openssl, but ${why}; pass tls: { key, cert } instead`);
    });
    const [key, cert] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    return { key, cert };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
