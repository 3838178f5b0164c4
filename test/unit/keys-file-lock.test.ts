/**
 * The keys file lock under the race a stale lock invites: waiters see it stale, and by the time
 * they act another waiter may already hold a fresh lock. `stat` is slowed down here so that
 * window is wide open; no waiter may then break a live lock and lose another's update.
 */
import type * as fs from 'node:fs/promises'
import { utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createKey, readKeyRecords } from '../../src/runtime/node/keys.js'

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fs>()
  return {
    ...real,
    stat: async (...args: Parameters<typeof real.stat>) => {
      const result = await real.stat(...args)
      if (String(args[0]).endsWith('.lock')) {
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40))
      }
      return result
    },
  }
})

let dir: string
beforeEach(async () => {
  dir = await tempDir('lock')
})
afterEach(() => removeDir(dir))

describe('the keys file lock, with a slow stat', () => {
  it('loses no key when many waiters find a stale lock', async () => {
    for (const round of [1, 2, 3]) {
      const path = join(dir, `keys-${round}`)
      await writeFile(`${path}.lock`, 'crashed')
      const old = new Date(Date.now() - 60_000)
      await utimes(`${path}.lock`, old, old)
      const made = await Promise.all(
        Array.from({ length: 12 }, (_, i) => createKey(path, { name: `k${i}` }))
      )
      const { records } = await readKeyRecords(path)
      expect(records.map((r) => r.name).sort()).toEqual(made.map((m) => m.record.name).sort())
    }
  })
})
