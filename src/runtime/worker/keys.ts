/** API keys at the edge: hashes from the API_KEY_HASHES secret and, when bound, the KEYS namespace. */
import { type KeyPolicy, type KeyRecord, parseHashList, policyProblem } from '../../auth/keys.js'
import type { KeySource } from '../../auth/middleware.js'
import type { SharedSettings } from '../../config/settings.js'
import { type Logger, silentLogger } from '../../lib/logger.js'

/** The part of Workers KV this uses (so the types do not depend on the Workers runtime's). */
export type KeyValueStore = { get<T>(key: string, type: 'json'): Promise<T | null> }

export const bindingsKeySource = (
  kv: KeyValueStore | undefined,
  settings: Pick<SharedSettings, 'API_KEY_HASHES' | 'API_AUTH_DISABLED'>,
  logger: Logger = silentLogger
): KeySource => {
  const { records } = parseHashList(settings.API_KEY_HASHES)
  return {
    // At the edge auth is on unless disabled on purpose: no keys means no access.
    load: () => ({ enabled: !settings.API_AUTH_DISABLED, records }),
    ...(kv && {
      find: async (hash: string): Promise<KeyRecord | undefined> => {
        const value = await kv.get<{ name?: string; created?: string; policy?: KeyPolicy }>(
          hash,
          'json'
        )
        if (!value) return undefined
        // Checked like the keys file's: a malformed policy must not loosen a limit.
        const problem = policyProblem(value.policy ?? {})
        if (problem) {
          logger.error('KV key refused: its policy is invalid', { key: hash.slice(0, 8), problem })
          return undefined
        }
        return {
          hash,
          name: value.name ?? '',
          created: value.created ?? '',
          policy: value.policy ?? {},
        }
      },
    }),
  }
}
