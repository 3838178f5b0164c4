/**
 * What every archive of kept sessions' transcripts keeps to (memory, PostgreSQL): a transcript
 * only for the key that kept it, the latest of each session, and nothing for an unknown id.
 */
import { describe, expect, it } from 'vitest'
import type { SessionArchive } from '../../src/adapters/remote/session-keeping.js'

export const describeSessionArchive = (label: string, create: () => Promise<SessionArchive>) =>
  describe(`the ${label} session archive`, () => {
    it("keeps each session's latest transcript for its owner, and for no other", async () => {
      const archive = await create()
      const id = '0b7e6a0c-4a59-4a8e-9d0b-6f2f3c1f6a11'
      await archive.save(id, 'ada', '{"turn":1}\n')
      await archive.save(id, 'ada', '{"turn":1}\n{"turn":2}\n')
      expect(await archive.load(id, 'ada')).toBe('{"turn":1}\n{"turn":2}\n')
      expect(await archive.load(id, 'bob')).toBeUndefined()
      expect(await archive.load('5f0c2a4e-1111-4a8e-9d0b-6f2f3c1f6a11', 'ada')).toBeUndefined()
    })
  })
