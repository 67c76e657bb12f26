// The CA certificates an https connection to Pyroscope trusts: the system's store (where the
// operating system keeps its CAs and where a company adds its internal CA), plus node's bundled
// Mozilla list and NODE_EXTRA_CA_CERTS. Node 20 verifies against its bundled list only and has no
// API for the system store (tls.getCACertificates('system') arrived in later versions), so the
// store is read from the file OpenSSL itself uses: $SSL_CERT_FILE, else the distribution's bundle.
// No vscode import.

import * as fs from 'fs';
import * as tls from 'tls';

/** Where Linux distributions keep the system bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine). */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

let cached: { key: string; certs: string[] } | undefined;

function readPemFile(file: string): string[] {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    return [];
  }
}

/** The system bundle's path: $SSL_CERT_FILE when set, else the first that exists. */
export function systemBundlePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SSL_CERT_FILE) return env.SSL_CERT_FILE;
  return SYSTEM_BUNDLES.find((f) => fs.existsSync(f));
}

/** Every CA to trust, as PEM strings (read once per set of sources). */
export function trustedCertificates(env: NodeJS.ProcessEnv = process.env): string[] {
  const system = systemBundlePath(env);
  const extra = env.NODE_EXTRA_CA_CERTS;
  const key = `${system ?? ''}\0${extra ?? ''}`;
  if (cached?.key === key) return cached.certs;
  const certs = [...new Set([...tls.rootCertificates, ...(system ? readPemFile(system) : []), ...(extra ? readPemFile(extra) : [])])];
  cached = { key, certs };
  return certs;
}
