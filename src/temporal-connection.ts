/**
 * How every process reaches Temporal: the address, and TLS or an API key when the
 * configuration asks for them (a TLS cluster with mTLS, or Temporal Cloud). One place,
 * so the API's client, the worker, the dispatcher and the admin CLI connect alike.
 * Both Connection (grpc-js) and NativeConnection (the Rust core) take these options.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

type TemporalConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/** Reads the PEM files at start: a missing file stops the process naming the variable. */
export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionOptions {
  const read = (variable: keyof TemporalConfig, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`invalid configuration:\n  ${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const crt = read('TEMPORAL_TLS_CERT_PATH', config.TEMPORAL_TLS_CERT_PATH);
  const key = read('TEMPORAL_TLS_KEY_PATH', config.TEMPORAL_TLS_KEY_PATH);
  const ca = read('TEMPORAL_TLS_CA_PATH', config.TEMPORAL_TLS_CA_PATH);
  const wantsTls = config.TEMPORAL_TLS || Boolean(crt) || Boolean(ca) || Boolean(config.TEMPORAL_API_KEY);
  const tls: TLSConfig | undefined = wantsTls
    ? {
        ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        ...(ca ? { serverRootCACertificate: ca } : {}),
        ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
      }
    : undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
