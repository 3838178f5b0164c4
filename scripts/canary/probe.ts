/**
 * What one CLI binary shows of itself, for comparing two versions: its flags (`--help`), what
 * it sends to the Messages API (top-level fields, betas, tools) and the stdout message types it
 * prints, each from one run against the project's mock.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'

const run = promisify(execFile)

export type Profile = {
  version: string
  flags: string[]
  requestFields: string[]
  betas: string[]
  tools: string[]
  messageTypes: string[]
}

const flagsOf = (help: string) =>
  [
    ...new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1] as string)),
  ].sort()

export const profile = async (binary: string): Promise<Profile> => {
  const home = await tempDir('canary-probe')
  const mock = await startMockAnthropic()
  try {
    const env = cliEnv(home, mock.url)
    const options = { env, cwd: home, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }
    const version = (await run(binary, ['--version'], options)).stdout.trim()
    const help = (await run(binary, ['--help'], options)).stdout
    const out = await run(
      binary,
      ['-p', 'What is 2+2?', '--output-format', 'stream-json', '--verbose', '--model', 'haiku'],
      { ...options, env: { ...env } }
    )
    const types = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const message = JSON.parse(line) as { type?: string; subtype?: string }
        return message.subtype ? `${message.type}/${message.subtype}` : String(message.type)
      })
    const [first] = mock.messageRequests()
    const beta = String(first?.headers['anthropic-beta'] ?? '')
    return {
      version,
      flags: flagsOf(help),
      requestFields: Object.keys(first?.body ?? {}).sort(),
      betas: beta.split(',').filter(Boolean).sort(),
      tools: (first?.body.tools ?? []).map((t) => t.name).sort(),
      messageTypes: [...new Set(types)].sort(),
    }
  } finally {
    await mock.close()
    await removeDir(home)
  }
}

/** What one list has that the other has not, both ways. */
export const difference = (before: string[], after: string[]) => ({
  added: after.filter((x) => !before.includes(x)),
  removed: before.filter((x) => !after.includes(x)),
})
