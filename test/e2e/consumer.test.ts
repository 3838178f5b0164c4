/**
 * The package as a user gets it: `npm pack` from this checkout (its `prepack` builds `dist/`),
 * unpacked into a separate folder with nothing of `src/`, then a program that imports what the
 * docs promise is typechecked against the package's types and run on the real CLI.
 */
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { runCommand } from '../helpers/run-cli.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const run = (command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) =>
  runCommand(command, args, { timeoutMs: 170_000, ...options })

let dir: string
let mock: MockAnthropic
beforeAll(async () => {
  dir = await tempDir('consumer')
  mock = await startMockAnthropic()
})
afterAll(async () => {
  await mock?.close()
  await removeDir(dir)
})

describe('the packed package', () => {
  it('holds dist/ and the licence, and gives a consumer every export the docs name', async () => {
    const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT })
    expect(pack.code, pack.stderr).toBe(0)
    // prepack's build log comes first on stdout; npm's JSON starts on a line of its own.
    const json = pack.stdout.slice(pack.stdout.search(/^\[$/m))
    const [packed] = JSON.parse(json) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    const files = (packed?.files ?? []).map((f) => f.path)
    for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/cli.js']) {
      expect(files).toContain(file)
    }
    for (const entry of ['index', 'index-node', 'node', 'worker']) {
      expect(files).toContain(`dist/${entry}.js`)
      expect(files).toContain(`dist/${entry}.d.ts`)
    }
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([])

    // Unpacked where an install would put it; its dependencies are this checkout's.
    const consumer = join(dir, 'consumer')
    const pkg = join(consumer, 'node_modules/claude-code-api')
    await mkdir(pkg, { recursive: true })
    const untar = await run(
      'tar',
      ['-xzf', join(dir, packed?.filename ?? ''), '--strip-components=1', '-C', pkg],
      { cwd: dir }
    )
    expect(untar.code, untar.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'))
    for (const dep of [...Object.keys(manifest.dependencies), '@types/node']) {
      await mkdir(join(consumer, 'node_modules', dep, '..'), { recursive: true })
      await symlink(join(ROOT, 'node_modules', dep), join(consumer, 'node_modules', dep))
    }
    await cp(join(ROOT, 'test/fixtures/consumer'), consumer, { recursive: true })
    await writeFile(join(consumer, 'package.json'), '{"type":"module","private":true}\n')

    const types = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], {
      cwd: consumer,
    })
    expect(types.code, types.stdout + types.stderr).toBe(0)

    const program = await run(join(ROOT, 'node_modules/.bin/tsx'), ['main.ts'], {
      cwd: consumer,
      env: cliEnv(join(dir, 'home'), mock.url),
    })
    expect(program.code, program.stderr).toBe(0)
    expect(JSON.parse(program.stdout)).toEqual({
      defaultRunner: 'ECHO: default runner',
      json: { answer: 4 },
      health: { status: 'ok', service: 'claude-code-api', version: manifest.version },
      api: 'ECHO: over http',
      shorthand: 'ECHO: shorthand',
      wrongKey: 'unauthorized',
      remote: 'ECHO: via a runner host',
      worker: 200,
      errors: [true, true, true, true],
    })
  }, 180_000)
})
