/**
 * API keys, compatible with the Python original: `cca_` + 32 hex characters (128 random bits),
 * stored only as the SHA-256 hex of the whole key, one `hash|name|created` line each. A fourth
 * field, a JSON policy, is this server's extension; files without it keep working.
 * Web Crypto only, so this runs on Node and Workers alike.
 */

import { LOGIN_NAME } from '../contract/names.js'

export const KEY_PREFIX = 'cca_'
const KEY_PATTERN = /^cca_[0-9a-f]{32}$/
const HASH_PATTERN = /^[0-9a-f]{64}$/

export type KeyPolicy = {
  /** Models (aliases or ids) this key may use; absent = any the server allows. */
  models?: string[]
  /** Built-in tools this key may enable, under the server's own ceiling; absent = the server's. */
  tools?: string[]
  /** Runs at once for this key. */
  max_concurrent?: number
  /** USD per UTC day for this key. */
  daily_usd?: number
  /** May read /admin/usage. */
  admin?: boolean
  /** May run while the login spends paid extra usage (its window used up); otherwise refused. */
  allow_overage?: boolean
  /** The Claude login this key's runs use (`claude-code-api logins`); absent = the server's. */
  login?: string
}

export type KeyRecord = {
  hash: string
  name: string
  created: string
  policy: KeyPolicy
}

export type KeyFileProblem = { line: number; message: string }

const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

export const generateKey = (): string =>
  `${KEY_PREFIX}${toHex(crypto.getRandomValues(new Uint8Array(16)))}`

export const isKeyShaped = (key: string) => KEY_PATTERN.test(key)

export const hashKey = async (key: string): Promise<string> =>
  toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))))

/** Compares two strings in time that depends only on their lengths. */
export const timingSafeEqual = (a: string, b: string): boolean => {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length; i++) {
    diff |= a.charCodeAt(i) ^ (i < b.length ? b.charCodeAt(i) : 0)
  }
  return diff === 0
}

/** Finds the record for a hash, comparing against every record (no early exit). */
export const findByHash = (records: readonly KeyRecord[], hash: string): KeyRecord | undefined => {
  let found: KeyRecord | undefined
  for (const record of records) {
    if (timingSafeEqual(record.hash, hash) && !found) found = record
  }
  return found
}

const positive = (value: unknown) => typeof value === 'number' && value > 0
const strings = (value: unknown) =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0)

/** Checks a policy's shape; returns the problem, if any. */
export const policyProblem = (policy: unknown): string | undefined => {
  if (!policy || typeof policy !== 'object' || Array.isArray(policy))
    return 'policy is not an object'
  const p = policy as Record<string, unknown>
  if (p.models !== undefined && !strings(p.models)) return 'models must be a list of names'
  if (p.tools !== undefined && !strings(p.tools)) return 'tools must be a list of names'
  if (
    p.max_concurrent !== undefined &&
    !(positive(p.max_concurrent) && Number.isInteger(p.max_concurrent))
  ) {
    return 'max_concurrent must be a whole number above 0'
  }
  if (p.daily_usd !== undefined && !positive(p.daily_usd)) return 'daily_usd must be above 0'
  if (p.admin !== undefined && typeof p.admin !== 'boolean') return 'admin must be true or false'
  if (p.allow_overage !== undefined && typeof p.allow_overage !== 'boolean') {
    return 'allow_overage must be true or false'
  }
  if (p.login !== undefined && !(typeof p.login === 'string' && LOGIN_NAME.test(p.login))) {
    return 'login must be a login name (lower-case letters, digits, - and _)'
  }
  return undefined
}

/** A name may not break the line format. */
export const nameProblem = (name: string): string | undefined =>
  name.includes('|') || [...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20)
    ? 'a key name may not contain "|" or control characters'
    : undefined

export const parseKeysFile = (
  text: string
): { records: KeyRecord[]; problems: KeyFileProblem[] } => {
  const records: KeyRecord[] = []
  const problems: KeyFileProblem[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const [hashField = '', name = '', created = '', ...rest] = line.split('|')
    const hash = hashField.trim()
    if (!HASH_PATTERN.test(hash)) {
      problems.push({ line: index + 1, message: 'not a SHA-256 hex hash' })
      return
    }
    let policy: KeyPolicy = {}
    const policyText = rest.join('|').trim()
    if (policyText) {
      try {
        policy = JSON.parse(policyText)
      } catch {
        problems.push({ line: index + 1, message: 'policy is not valid JSON' })
        return
      }
      const problem = policyProblem(policy)
      if (problem) {
        problems.push({ line: index + 1, message: problem })
        return
      }
    }
    records.push({ hash, name: name.trim(), created: created.trim(), policy })
  })
  return { records, problems }
}

export const KEYS_FILE_HEADER = `# Claude Code API Keys (SHA256 hashes)
# Format: hash|name|created[|policy JSON]
`

export const recordLine = (r: KeyRecord): string => {
  const base = `${r.hash}|${r.name}|${r.created}`
  return Object.keys(r.policy).length ? `${base}|${JSON.stringify(r.policy)}` : base
}

/** The hash a line starts with (comments and blank lines have none). */
export const lineHash = (line: string) => line.trim().split('|')[0]?.trim() ?? ''

/** `YYYY-MM-DD HH:MM` in local time, as the original wrote it. */
export const formatCreated = (date = new Date()) => {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** Hashes from API_KEY_HASHES (comma-separated); bad entries are reported, not fatal. */
export const parseHashList = (value: string | undefined) => {
  const records: KeyRecord[] = []
  const problems: string[] = []
  for (const item of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [hash = '', name = 'env'] = item.split(':')
    if (HASH_PATTERN.test(hash)) records.push({ hash, name, created: '', policy: {} })
    else
      problems.push(
        `API_KEY_HASHES has an entry that is not a SHA-256 hex hash: ${hash.slice(0, 8)}…`
      )
  }
  return { records, problems }
}
