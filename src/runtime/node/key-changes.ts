/**
 * What a key store does to its records, the same whichever holds them (the keys file, keys.ts;
 * PostgreSQL, postgres/key-store.ts): find the one a hash prefix names, make a new key (checked),
 * a new key in place of an old one (its name and policy kept), a key bound to a login by name or
 * back to the server's login (`undefined`).
 */
import {
  formatCreated,
  generateKey,
  hashKey,
  type KeyPolicy,
  type KeyRecord,
  nameProblem,
  policyProblem,
} from '../../auth/keys.js'
import { KeysFileError } from '../../errors/index.js'

export type NewKey = { key: string; record: KeyRecord }

const checkNew = (name: string, policy: KeyPolicy) => {
  const problem = nameProblem(name) ?? policyProblem(policy)
  if (problem) throw new KeysFileError(problem)
}

export const newKey = async ({
  name = '',
  policy = {},
}: {
  name?: string
  policy?: KeyPolicy
} = {}): Promise<NewKey> => {
  checkNew(name, policy)
  const key = generateKey()
  return { key, record: { hash: await hashKey(key), name, created: formatCreated(), policy } }
}

export const rotatedKey = async (old: KeyRecord): Promise<NewKey> => {
  const key = generateKey()
  return { key, record: { ...old, hash: await hashKey(key), created: formatCreated() } }
}

export const withLogin = (old: KeyRecord, login: string | undefined): KeyRecord => {
  const { login: _, ...rest } = old.policy
  const record: KeyRecord = { ...old, policy: login ? { ...rest, login } : rest }
  checkNew(record.name, record.policy)
  return record
}

/** The one record a hash prefix names; an empty, unknown or ambiguous prefix is refused. */
export const matchOne = (records: readonly KeyRecord[], prefix: string): KeyRecord => {
  const wanted = prefix.trim().toLowerCase()
  if (!/^[0-9a-f]+$/.test(wanted)) {
    throw new KeysFileError('Give the start of a key hash (hex), as `keys list` shows it')
  }
  const matches = records.filter((r) => r.hash.startsWith(wanted))
  if (matches.length === 0) throw new KeysFileError(`No key hash starts with ${wanted}`)
  if (matches.length > 1) {
    const names = matches.map((m) => `${m.hash.slice(0, 12)} (${m.name || 'unnamed'})`)
    throw new KeysFileError(
      `${wanted} matches ${matches.length} keys: ${names.join(', ')}; give more characters`
    )
  }
  return matches[0] as KeyRecord
}
