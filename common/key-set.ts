import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, importJWK, type CryptoKey, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/** Algorithms of key-set tokens: media hosts and routers hold only public keys. */
export const KEY_SET_ALGORITHMS = ['ES256', 'EdDSA'] as const;

const JwkSchema = z.object({
  kid: z.string().min(1).max(128),
  alg: z.enum(KEY_SET_ALGORITHMS),
  kty: z.enum(['EC', 'OKP']),
}).passthrough();
const PublicJwkSchema = JwkSchema.refine((k) => !('d' in k), 'a key set holds public keys only (remove "d")');

const JwksSchema = z.object({ keys: z.array(PublicJwkSchema).min(1) }).refine(
  (s) => new Set(s.keys.map((k) => k.kid)).size === s.keys.length, 'every key needs its own kid');

/** Checks a JWKS: public ES256/EdDSA keys, each with its own `kid`. Throws with the reason. */
export function parseKeySet(json: unknown): JSONWebKeySet {
  const parsed = JwksSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid key set: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return parsed.data as JSONWebKeySet;
}

async function readKeySet(file: string): Promise<JSONWebKeySet> {
  return parseKeySet(JSON.parse(await readFile(file, 'utf8')));
}

const fileVersion = async (file: string) => {
  const s = await stat(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
};

/**
 * The public keys visit tokens are verified against, from a JWKS file
 * (VISITWIRE_JWKS_FILE). The file is read again whenever it changes, so a key
 * is added or retired by rewriting the file; a file that does not parse keeps
 * the previous keys (and is reported through onReloadError).
 */
export class KeySet {
  private constructor(
    readonly file: string,
    private version: string,
    private getKey: JWTVerifyGetKey,
    private readonly onReloadError: (err: Error) => void,
  ) {}

  static async fromFile(file: string, onReloadError: (err: Error) => void = () => {}): Promise<KeySet> {
    const version = await fileVersion(file);
    return new KeySet(file, version, createLocalJWKSet(await readKeySet(file)), onReloadError);
  }

  /** jose's key resolver over the file's current keys. */
  async resolver(): Promise<JWTVerifyGetKey> {
    try {
      const version = await fileVersion(this.file);
      if (version !== this.version) {
        this.getKey = createLocalJWKSet(await readKeySet(this.file));
        this.version = version;
      }
    } catch (err) {
      this.onReloadError(err as Error);
    }
    return this.getKey;
  }
}

export interface SigningKey {
  kid: string;
  alg: (typeof KEY_SET_ALGORITHMS)[number];
  key: CryptoKey;
}

const PrivateJwkSchema = JwkSchema.extend({ d: z.string().min(1, 'a signing key needs its private part "d"') });

/** A private JWK (with `kid` and `alg`) from a file, for `visitwire token --key-file`. */
export async function loadSigningKey(file: string): Promise<SigningKey> {
  const parsed = PrivateJwkSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`invalid signing key: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  const jwk = parsed.data;
  return { kid: jwk.kid, alg: jwk.alg, key: await importJWK(jwk, jwk.alg) as CryptoKey };
}
