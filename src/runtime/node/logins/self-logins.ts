/**
 * Key holders' own logins (`POST /llm/login`, CLAUDE_SELF_SERVICE_LOGINS): each key's is sealed
 * under a name of its own (`key-` and the start of its hash), and the keys file binds the key to it.
 */
import type { SelfLogins } from '../../../api/login.js'
import type { KeyRecord } from '../../../auth/keys.js'
import { isClaudeError, PolicyError } from '../../../errors/index.js'
import { setKeyLogin } from '../keys.js'
import type { LoginStore } from './login-store.js'

export type SelfLoginsOptions = {
  store: Pick<LoginStore, 'add' | 'remove'>
  keysFile: string
  /** Reads the keys file again, so the next request already runs on the new login. */
  refreshKeys: () => Promise<unknown>
}

const nameOf = (key: KeyRecord) => `key-${key.hash.slice(0, 12)}`

export const createSelfLogins = ({
  store,
  keysFile,
  refreshKeys,
}: SelfLoginsOptions): SelfLogins => ({
  async set(key, token) {
    const name = nameOf(key)
    await store.add(name, token, true)
    try {
      await setKeyLogin(keysFile, key.hash, name)
    } catch (error) {
      await store.remove(name)
      // A key from API_KEY_HASHES has no line to bind.
      if (isClaudeError(error) && error.type === 'keys_file_error') {
        throw new PolicyError(
          'This key is not in the keys file, so it cannot have a login of its own'
        )
      }
      throw error
    }
    await refreshKeys()
    return name
  },
  async clear(key) {
    const name = nameOf(key)
    if (key.policy.login === name) await setKeyLogin(keysFile, key.hash, undefined)
    const removed = await store.remove(name)
    await refreshKeys()
    return removed
  },
})
