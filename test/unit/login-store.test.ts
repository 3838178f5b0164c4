/**
 * The sealed login store under an operator's secret (CLAUDE_LOGINS_SECRET) rather than a secret
 * file: tokens open only under that secret and only under their own name, a short secret is
 * refused, and a rotation to a new secret keeps every login.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createLoginStore } from '../../src/runtime/node/logins/login-store.js'

const SECRET = 'an-operator-secret-of-32-characters-or-more'
const NEXT = 'the-next-operator-secret-of-32-characters-too'
let dir: string
let file: string
const storeUnder = (env: string) =>
  createLoginStore({ file, secret: { env, file: join(dir, 'unused') } })

beforeEach(async () => {
  dir = await tempDir('login-store')
  file = join(dir, 'logins')
})
afterEach(() => removeDir(dir))

describe('logins sealed under CLAUDE_LOGINS_SECRET', () => {
  it('open under that secret only, and make no secret file', async () => {
    await storeUnder(SECRET).add('alice', 'sk-ant-oat01-alice')
    expect(await storeUnder(SECRET).token('alice')).toBe('sk-ant-oat01-alice')
    await expect(storeUnder(NEXT).token('alice')).rejects.toThrow()
    await expect(readFile(join(dir, 'unused'))).rejects.toThrow()
  })

  it('are bound to their name: a sealed token moved to another login does not open', async () => {
    const store = storeUnder(SECRET)
    await store.add('alice', 'sk-ant-oat01-alice')
    await store.add('bob', 'sk-ant-oat01-bob')
    const logins = JSON.parse(await readFile(file, 'utf8'))
    logins.logins[1].sealed = logins.logins[0].sealed
    await writeFile(file, JSON.stringify(logins))
    await expect(storeUnder(SECRET).token('bob')).rejects.toThrow()
  })

  it('refuse a secret shorter than 32 characters', async () => {
    await expect(storeUnder('short').add('alice', 'sk-ant-oat01-alice')).rejects.toThrow(
      /32 characters/
    )
  })

  it('are sealed again under the next secret, which alone opens them then', async () => {
    await storeUnder(SECRET).add('alice', 'sk-ant-oat01-alice')
    await expect(storeUnder(SECRET).rotateSecret()).rejects.toThrow(/give the new secret/)
    expect(await storeUnder(SECRET).rotateSecret(NEXT)).toEqual({ secretInFile: false })
    expect(await storeUnder(NEXT).token('alice')).toBe('sk-ant-oat01-alice')
    await expect(storeUnder(SECRET).token('alice')).rejects.toThrow()
  })
})
