// Credentials and tenant for a Pyroscope server, taken from the environment or from files and never
// from the command line (a command line is visible to every user in `ps` and /proc/PID/cmdline).
// Pyroscope itself has no authentication: operators put an authenticating proxy in front of it
// (bearer token or basic auth, as Grafana Cloud does), and a multi-tenant server reads the tenant
// from the X-Scope-OrgID header. No vscode import: the CLI and the extension both use this.

import * as fs from 'fs';

/** Where credentials come from: environment variables, each with a `_FILE` variant. */
export const AUTH_ENV = {
  token: 'PYROSCOPE_AUTH_TOKEN',
  tokenFile: 'PYROSCOPE_AUTH_TOKEN_FILE',
  user: 'PYROSCOPE_BASIC_AUTH_USER',
  password: 'PYROSCOPE_BASIC_AUTH_PASSWORD',
  passwordFile: 'PYROSCOPE_BASIC_AUTH_PASSWORD_FILE',
  tenant: 'PYROSCOPE_TENANT_ID',
} as const;

export class PyroscopeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PyroscopeConfigError';
  }
}

export interface PyroscopeAuth {
  /** Headers to send with every request (Authorization, X-Scope-OrgID). */
  headers: Record<string, string>;
  /** What was configured, for messages ("bearer token from PYROSCOPE_AUTH_TOKEN_FILE"); never the secret. */
  description: string;
}

export interface AuthSources {
  env: NodeJS.ProcessEnv;
  /** `--auth-token-file` (CLI) or a setting: a file holding the bearer token. */
  tokenFile?: string;
  /** `--tenant` or a setting; the environment's PYROSCOPE_TENANT_ID otherwise. */
  tenant?: string;
}

/** A secret read from a file: the first line, trimmed; an empty file is an error, not "no auth". */
function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PyroscopeConfigError(`cannot read the ${what} file ${file}: ${(e as Error).message}`);
  }
  const value = text.split(/\r?\n/)[0].trim();
  if (!value) throw new PyroscopeConfigError(`the ${what} file ${file} is empty`);
  return value;
}

/** Header values must not carry line breaks (header injection) or other control characters. */
function checkHeaderValue(value: string, what: string): string {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new PyroscopeConfigError(`${what} contains control characters`);
  return value;
}

export function resolveAuth(src: AuthSources): PyroscopeAuth {
  const env = src.env;
  const headers: Record<string, string> = {};
  const parts: string[] = [];
  const tokenFile = src.tokenFile ?? env[AUTH_ENV.tokenFile];
  let token: string | undefined;
  if (tokenFile) {
    token = readSecretFile(tokenFile, 'token');
    parts.push(`bearer token from ${src.tokenFile ? tokenFile : AUTH_ENV.tokenFile}`);
  } else if (env[AUTH_ENV.token]) {
    token = env[AUTH_ENV.token]!.trim();
    parts.push(`bearer token from ${AUTH_ENV.token}`);
  }
  const user = env[AUTH_ENV.user];
  if (token !== undefined && user) {
    throw new PyroscopeConfigError(`both a bearer token and ${AUTH_ENV.user} are set: choose one way to authenticate`);
  }
  if (token !== undefined) headers.Authorization = `Bearer ${checkHeaderValue(token, 'the bearer token')}`;
  if (user) {
    const passwordFile = env[AUTH_ENV.passwordFile];
    const password = passwordFile ? readSecretFile(passwordFile, 'password') : env[AUTH_ENV.password];
    if (password === undefined) {
      throw new PyroscopeConfigError(`${AUTH_ENV.user} is set but neither ${AUTH_ENV.password} nor ${AUTH_ENV.passwordFile} is`);
    }
    if (user.includes(':')) throw new PyroscopeConfigError(`${AUTH_ENV.user} must not contain ':' (basic auth separates user and password with it)`);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
    parts.push(`basic auth as ${user}${passwordFile ? ` (password from ${AUTH_ENV.passwordFile})` : ''}`);
  }
  const tenant = src.tenant ?? env[AUTH_ENV.tenant];
  if (tenant) {
    headers['X-Scope-OrgID'] = checkHeaderValue(tenant, 'the tenant id');
    parts.push(`tenant ${tenant}`);
  }
  return { headers, description: parts.length ? parts.join(', ') : 'no authentication' };
}
