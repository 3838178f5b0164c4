/**
 * `claude-code-api logins` and `keys … --login` as an operator runs them (the real command, a
 * child process): tokens from stdin only, sealed in a 0600 file under a 0600 secret, never
 * printed; keys bound to logins that exist; the secret rotated without losing a login.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { readKeyRecords } from '../../src/runtime/node/keys.js'
import { createLoginStore } from '../../src/runtime/node/logins/login-store.js'
import { runCli } from '../helpers/run-cli.js'

const ALICE = 'sk-ant-oat01-cli-alice-3d9f0a1b7c'
const BOB = 'sk-ant-oat01-cli-bob-e81c44f02a'
let dir: string
let env: Record<string, string>
let loginsFile: string
let keysFile: string
beforeAll(async () => {
  dir = await tempDir('cli-logins')
  loginsFile = join(dir, 'logins')
  keysFile = join(dir, 'keys')
  env = { CLAUDE_LOGINS_FILE: loginsFile, API_KEYS_FILE: keysFile }
})
afterAll(() => removeDir(dir))

const modeOf = async (path: string) => (await stat(path)).mode & 0o777
const store = () => createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } })

describe('logins', () => {
  it('add reads the token from stdin, seals it in 0600 files, and never prints it', async () => {
    const added = await runCli(['logins', 'add', 'alice'], { env, input: `${ALICE}\n` })
    expect(added.code).toBe(0)
    expect(added.stdout).toContain('Added login alice')
    expect(await modeOf(loginsFile)).toBe(0o600)
    expect(await modeOf(`${loginsFile}.secret`)).toBe(0o600)
    expect(await readFile(loginsFile, 'utf8')).not.toContain(ALICE)
    expect(await store().token('alice')).toBe(ALICE)

    const again = await runCli(['logins', 'add', 'alice'], { env, input: BOB })
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/exists/)
    const empty = await runCli(['logins', 'add', 'bob'], { env, input: '' })
    expect(empty.code).not.toBe(0)
    const badName = await runCli(['logins', 'add', '../x'], { env, input: BOB })
    expect(badName.code).not.toBe(0)

    const listed = await runCli(['logins', 'list'], { env })
    expect(listed.stdout).toMatch(/alice\s+\d{4}-\d\d-\d\dT/)
    for (const run of [added, again, listed]) expect(run.stdout + run.stderr).not.toContain(ALICE)
  })

  it('keys are bound only to logins that exist, and can be moved between them', async () => {
    const unknown = await runCli(['keys', 'create', '--name', 'x', '--login', 'bob'], { env })
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/no login named bob/)

    const created = await runCli(['keys', 'create', '--name', 'a', '--login', 'alice'], { env })
    expect(created.code).toBe(0)
    expect(created.stdout).toContain('login=alice')
    const [record] = (await readKeyRecords(keysFile)).records
    const prefix = record?.hash.slice(0, 8) ?? ''
    expect(record?.policy).toEqual({ login: 'alice' })

    expect((await runCli(['logins', 'add', 'bob'], { env, input: BOB })).code).toBe(0)
    const moved = await runCli(['keys', 'login', prefix, 'bob'], { env })
    expect(moved.code).toBe(0)
    expect((await readKeyRecords(keysFile)).records[0]?.policy).toEqual({ login: 'bob' })
    const back = await runCli(['keys', 'login', prefix, '--none'], { env })
    expect(back.stdout).toContain("the server's login")
    expect((await readKeyRecords(keysFile)).records[0]?.policy).toEqual({})
  })

  it('rotate-secret seals every login again under a new secret', async () => {
    const before = await readFile(`${loginsFile}.secret`)
    const rotated = await runCli(['logins', 'rotate-secret'], { env })
    expect(rotated.code).toBe(0)
    expect(await readFile(`${loginsFile}.secret`)).not.toEqual(before)
    expect(await modeOf(`${loginsFile}.secret`)).toBe(0o600)
    expect(await store().token('alice')).toBe(ALICE)
    expect(await store().token('bob')).toBe(BOB)
    // The old secret opens nothing now.
    await writeFile(join(dir, 'old.secret'), before)
    const old = createLoginStore({ file: loginsFile, secret: { file: join(dir, 'old.secret') } })
    await expect(old.token('alice')).rejects.toThrow()
  })

  it('remove takes a login away', async () => {
    const removed = await runCli(['logins', 'remove', 'alice'], { env })
    expect(removed.code).toBe(0)
    expect(await store().token('alice')).toBeUndefined()
    expect((await runCli(['logins', 'list'], { env })).stdout).not.toMatch(/alice/)
    expect((await runCli(['logins', 'remove', 'alice'], { env })).code).not.toBe(0)
  })
})
