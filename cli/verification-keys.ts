import type { Config } from '../common/config.ts';
import { KeySet } from '../common/key-set.ts';
import type { Logger } from '../common/logger.ts';
import type { VerificationKeys } from '../common/tokens.ts';
import { fail } from './args.ts';

/**
 * What a node or router verifies visit tokens with: the key set in
 * VISITWIRE_JWKS_FILE when it is set (ES256/EdDSA by `kid`, reloaded on
 * change), else the development secret VISITWIRE_SECRET (HS256).
 */
export async function verificationKeys(config: Config, who: string, logger: Logger): Promise<VerificationKeys> {
  if (config.jwksFile) {
    return KeySet.fromFile(config.jwksFile, (err) => logger.error({ err, file: config.jwksFile }, 'key set not reloaded: keeping the previous keys'))
      .catch((err: Error) => fail(`VISITWIRE_JWKS_FILE ${config.jwksFile}: ${err.message}`));
  }
  return config.secret ?? fail(`VISITWIRE_SECRET is not set (nor VISITWIRE_JWKS_FILE): ${who} checks visit tokens with one of them`);
}
