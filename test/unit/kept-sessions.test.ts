/**
 * A kept session carried from a front door's shared store: made on a host that does not hold it,
 * with its transcript where the CLI resumes it from, and never over a session the host holds.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { projectDir } from '../../src/adapters/node/disk/history.js'
import { createSessionStore } from '../../src/adapters/node/disk/kept-sessions.js'
import { prepareWorkDir } from '../../src/adapters/node/disk/work-dir.js'

let dir: string
beforeEach(async () => {
  dir = await tempDir('kept')
})
afterEach(() => removeDir(dir))

const TRANSCRIPT = '{"type":"user","message":{"role":"user","content":"hello"}}\n'

it('makes a carried session from its transcript, for its owner only', async () => {
  const configDir = join(dir, 'config')
  const sessions = createSessionStore({ workDir: join(dir, 'work'), configDir })
  const id = '0b7e6a0c-4a59-4a8e-9d0b-6f2f3c1f6a11'
  const request = { resumeSessionId: id, owner: 'ada', carriedTranscript: TRANSCRIPT }
  const opened = await prepareWorkDir(request, { workDir: join(dir, 'work'), configDir, sessions })
  expect(opened).toMatchObject({ sessionId: id, resume: true, persist: true })
  expect(await readFile(join(projectDir(configDir, opened.cwd), `${id}.jsonl`), 'utf8')).toBe(
    TRANSCRIPT
  )
  expect(await sessions.transcript(id, 'ada')).toBe(TRANSCRIPT)
  await expect(sessions.transcript(id, 'bob')).rejects.toMatchObject({ type: 'session_not_found' })
  // Another key carrying a transcript under the same id does not replace ada's.
  await expect(
    prepareWorkDir(
      { ...request, owner: 'bob', carriedTranscript: 'forged\n' },
      { workDir: join(dir, 'work'), configDir, sessions }
    )
  ).rejects.toMatchObject({ type: 'session_not_found' })
  expect(await sessions.transcript(id, 'ada')).toBe(TRANSCRIPT)
  // Without a transcript, a session that is not here is not found, as before.
  await expect(
    prepareWorkDir(
      { resumeSessionId: '5f0c2a4e-1111-4a8e-9d0b-6f2f3c1f6a11', owner: 'ada' },
      { workDir: join(dir, 'work'), configDir, sessions }
    )
  ).rejects.toMatchObject({ type: 'session_not_found' })
})
