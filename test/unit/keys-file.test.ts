import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { hashKey } from '../../src/auth/keys.js'
import { KeysFileError } from '../../src/errors/index.js'
import {
  createFileKeySource,
  createKey,
  readKeyRecords,
  revokeKey,
  rotateKey,
} from '../../src/runtime/node/keys.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { createFakeClock } from '../helpers/fake-clock.js'

let dir: string
let path: string
beforeEach(async () => {
  dir = await tempDir('keys')
  path = join(dir, '.api-keys')
})
afterEach(() => removeDir(dir))

describe('the keys file', () => {
  it('is created with mode 0600 in the original format', async () => {
    const { key, record } = await createKey(path, { name: 'production' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const text = await readFile(path, 'utf8')
    expect(text).toMatch(/^# Claude Code API Keys/)
    expect(text).toContain(`${await hashKey(key)}|production|${record.created}\n`)
    expect(record.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)
    expect(text).not.toContain(key)
  })

  it('keeps a file from the original working, comments and all', async () => {
    const original = `# Claude Code API Keys (SHA256 hashes)\n# my own note\n${await hashKey('cca_old')}|legacy|2026-01-10 12:00\n`
    await writeFile(path, original)
    await createKey(path, { name: 'new' })
    const text = await readFile(path, 'utf8')
    expect(text.startsWith(original)).toBe(true)
    expect((await readKeyRecords(path)).records.map((r) => r.name)).toEqual(['legacy', 'new'])
  })

  it('loses no key when 20 are created at once', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createKey(path, { name: `k${i}` }))
    )
    const { records } = await readKeyRecords(path)
    expect(records).toHaveLength(20)
    expect(new Set(records.map((r) => r.hash))).toEqual(new Set(created.map((c) => c.record.hash)))
  })

  it('rotation keeps the name and policy, and the old key stops matching', async () => {
    const policy = { models: ['haiku'], max_concurrent: 1, daily_usd: 2 }
    const first = await createKey(path, { name: 'svc', policy })
    const rotated = await rotateKey(path, first.record.hash.slice(0, 6))
    const { records } = await readKeyRecords(path)
    expect(records).toEqual([
      { hash: await hashKey(rotated.key), name: 'svc', created: expect.any(String), policy },
    ])
    expect(records[0]?.hash).not.toBe(first.record.hash)
  })

  it('revoke refuses an empty, unknown or ambiguous prefix', async () => {
    const a = await createKey(path, { name: 'a' })
    const b = await createKey(path, { name: 'b' })
    await expect(revokeKey(path, '')).rejects.toThrow(KeysFileError)
    await expect(revokeKey(path, 'zz')).rejects.toThrow(KeysFileError)
    const unknown = (a.record.hash[0] === 'f' ? '0' : 'f').repeat(12)
    await expect(revokeKey(path, unknown)).rejects.toThrow(/No key/)
    // A prefix shared by both: the empty-string case above, and a common first character if any.
    let common = 0
    while (a.record.hash[common] === b.record.hash[common]) common++
    if (common > 0) {
      await expect(revokeKey(path, a.record.hash.slice(0, common))).rejects.toThrow(
        /matches 2 keys/
      )
    }
    await revokeKey(path, a.record.hash.slice(0, 10))
    expect((await readKeyRecords(path)).records.map((r) => r.name)).toEqual(['b'])
  })

  it('refuses names that would break the format', async () => {
    await expect(createKey(path, { name: 'a|b' })).rejects.toThrow(KeysFileError)
    await expect(createKey(path, { name: 'a\nb' })).rejects.toThrow(KeysFileError)
  })
})

describe('hot reload', () => {
  it('picks up new, revoked and corrupt lines without a restart and without a read per request', async () => {
    const { logger, lines: warnings } = captureLogger()
    const clock = createFakeClock()
    const source = createFileKeySource({ path, checkIntervalMs: 100, logger, clock })
    expect((await source.load()).enabled).toBe(false)

    const first = await createKey(path, { name: 'first' })
    clock.advance(100)
    expect((await source.load()).records.map((r) => r.name)).toEqual(['first'])

    await appendFile(path, 'this line is garbage\n')
    const second = await createKey(path, { name: 'second' })
    // Within the interval the file is not read again.
    clock.advance(99)
    expect((await source.load()).records.map((r) => r.name)).toEqual(['first'])
    clock.advance(1)
    expect((await source.load()).records.map((r) => r.name)).toEqual(['first', 'second'])
    expect(warnings).toContainEqual(
      expect.objectContaining({ message: 'keys file: line skipped', line: 4 })
    )

    await revokeKey(path, first.record.hash.slice(0, 12))
    clock.advance(100)
    const keys = await source.load()
    expect(keys.records.map((r) => r.hash)).toEqual([second.record.hash])
    expect(keys.enabled).toBe(true)
  })

  it('fails closed when a file that existed at start goes, even one that held no key', async () => {
    await writeFile(path, '# hash|name|created\n')
    const clock = createFakeClock()
    const source = createFileKeySource({ path, checkIntervalMs: 10, clock })
    expect(await source.refresh(true)).toMatchObject({ enabled: true, records: [] })
    await removeDir(path)
    clock.advance(10)
    expect((await source.load()).unavailable).toMatch(/missing/)
  })

  it('merges API_KEY_HASHES, and API_AUTH_DISABLED turns auth off', async () => {
    const hash = await hashKey('cca_env')
    const source = createFileKeySource({ path, hashes: hash })
    expect(await source.refresh()).toMatchObject({ enabled: true, records: [{ hash }] })
    const off = createFileKeySource({ path, hashes: hash, disabled: true })
    expect((await off.refresh()).enabled).toBe(false)
  })
})

describe('the keys file lock', () => {
  it('is made, with its folder, where no folder exists yet', async () => {
    const nested = join(dir, 'new', 'folder', '.api-keys')
    const { record } = await createKey(nested, { name: 'nested' })
    expect((await readKeyRecords(nested)).records.map((r) => r.hash)).toEqual([record.hash])
  })
})
