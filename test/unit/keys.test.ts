import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  findByHash,
  generateKey,
  hashKey,
  isKeyShaped,
  type KeyRecord,
  parseHashList,
  parseKeysFile,
  recordLine,
  timingSafeEqual,
} from '../../src/auth/keys.js'
import { ConfigError } from '../../src/errors/index.js'
import { assertSafeBind } from '../../src/runtime/node/config.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('keys', () => {
  it('are cca_ + 32 hex characters, and differ every time', () => {
    const keys = new Set(Array.from({ length: 100 }, generateKey))
    expect(keys.size).toBe(100)
    for (const key of keys) expect(isKeyShaped(key)).toBe(true)
  })

  it('are stored as the SHA-256 hex of the whole key, as the original does', async () => {
    const key = generateKey()
    expect(await hashKey(key)).toBe(sha256(key))
  })

  it('reads the original file format: comments, blank lines, hash|name|created', () => {
    const a = sha256('a')
    const b = sha256('b')
    const text = `# Claude Code API Keys (SHA256 hashes)\n# Format: hash|name|created\n\n${a}|production|2026-01-10 12:00\n  ${b} | staging | 2026-01-11 09:30  \n`
    const { records, problems } = parseKeysFile(text)
    expect(problems).toEqual([])
    expect(records).toEqual([
      { hash: a, name: 'production', created: '2026-01-10 12:00', policy: {} },
      { hash: b, name: 'staging', created: '2026-01-11 09:30', policy: {} },
    ])
  })

  it('skips and reports corrupt lines, keeping the rest', () => {
    const good = sha256('good')
    const text = [
      'd41d8cd98f00b204e9800998ecf8427e|md5-length|2026-01-01 00:00',
      `${sha256('x')}|bad policy|2026-01-01 00:00|{not json`,
      `${sha256('y')}|bad limit|2026-01-01 00:00|{"max_concurrent":0}`,
      `${good}|good|2026-01-01 00:00`,
    ].join('\n')
    const { records, problems } = parseKeysFile(text)
    expect(records.map((r) => r.name)).toEqual(['good'])
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3])
  })

  it('round-trips a policy in the fourth field', () => {
    const record: KeyRecord = {
      hash: sha256('p'),
      name: 'limited',
      created: '2026-11-24 10:00',
      policy: { models: ['haiku'], tools: ['Read'], max_concurrent: 2, daily_usd: 1.5 },
    }
    expect(parseKeysFile(recordLine(record)).records).toEqual([record])
  })

  it('reads API_KEY_HASHES, reporting entries that are not hashes', () => {
    const { records, problems } = parseHashList(` ${sha256('1')}, ${sha256('2')}:ci ,nope`)
    expect(records.map((r) => r.name)).toEqual(['env', 'ci'])
    expect(problems).toHaveLength(1)
  })

  it('compares in constant time: every record is compared, even after a match', () => {
    const records = Array.from({ length: 5 }, (_, i) => ({
      hash: sha256(String(i)),
      name: String(i),
      created: '',
      policy: {},
    }))
    const read: number[] = []
    const watched = new Proxy(records, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) read.push(Number(prop))
        return Reflect.get(target, prop, receiver)
      },
    })
    expect(findByHash(watched, sha256('0'))?.name).toBe('0')
    expect(read).toEqual([0, 1, 2, 3, 4])
    expect(timingSafeEqual('abc', 'abc')).toBe(true)
    expect(timingSafeEqual('abc', 'abd')).toBe(false)
    expect(timingSafeEqual('abc', 'abcd')).toBe(false)
  })
})

describe('binding without keys', () => {
  it('refuses a public address with no keys, and says how to make one', () => {
    expect(() => assertSafeBind('0.0.0.0', false, false)).toThrow(ConfigError)
    expect(() => assertSafeBind('0.0.0.0', false, false)).toThrow(/keys create/)
    expect(() => assertSafeBind('192.0.2.10', false, false)).toThrow(ConfigError)
  })

  it('allows loopback without keys, any address with keys, and an explicit opt-out', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      expect(() => assertSafeBind(host, false, false)).not.toThrow()
    }
    expect(() => assertSafeBind('0.0.0.0', true, false)).not.toThrow()
    expect(() => assertSafeBind('0.0.0.0', false, true)).not.toThrow()
  })
})
