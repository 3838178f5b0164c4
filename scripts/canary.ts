/**
 * `npm run canary`: the end-to-end suites on the newest `@anthropic-ai/claude-code` on npm (or
 * `-- --version X`), with the pinned one as the baseline: what changed (flags, what the CLI
 * sends, what it prints) and which tests pass. Never part of `npm test`, so CI stays
 * deterministic; move the pin in package.json when it passes, and record a fixtures folder for
 * the new version beside the old one (test/fixtures/claude-cli-<version>/).
 *   npm run canary [-- --version 2.1.332] [-- --only test/e2e/claude-code-client.test.ts]
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { tempDir } from '../dev-tools/cli-env.js'
import { resolveClaudeBinary } from '../src/adapters/node/process/binary.js'
import { difference, type Profile, profile } from './canary/probe.js'

const run = promisify(execFile)
const log = (message: string) => process.stderr.write(`${message}\n`)
const { values } = parseArgs({
  options: { version: { type: 'string' }, only: { type: 'string', multiple: true } },
})

const PACKAGE = '@anthropic-ai/claude-code'
const pinned = JSON.parse(await readFile('package.json', 'utf8')).dependencies[PACKAGE] as string
const newest = values.version ?? (await run('npm', ['view', PACKAGE, 'version'])).stdout.trim()
log(`pinned ${pinned}, trying ${newest}`)

const dir = await tempDir(`canary-${newest}`)
await run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', `${PACKAGE}@${newest}`], {
  maxBuffer: 16 * 1024 * 1024,
})
const binary = join(dir, 'node_modules', '.bin', 'claude')
const base = resolveClaudeBinary({})?.path
if (!base) throw new Error('The pinned CLI is not installed (npm ci)')

const [before, after] = await Promise.all([profile(base), profile(binary)])

/** The end-to-end suites with CLAUDE_BIN at the newest CLI: passed, failed, and which failed. */
const suites = () =>
  new Promise<{ passed: number; failed: number; failures: string[] }>((resolve, reject) => {
    const report = join(dir, 'vitest.json')
    const args = [
      'vitest',
      'run',
      ...(values.only ?? ['test/e2e']),
      '--reporter=json',
      `--outputFile=${report}`,
    ]
    const child = spawn('npx', args, {
      env: { ...process.env, CLAUDE_BIN: binary },
      stdio: 'inherit',
    })
    child.on('error', reject)
    child.on('close', async () => {
      const json = JSON.parse(await readFile(report, 'utf8'))
      const failures = json.testResults.flatMap(
        (file: { assertionResults: Array<{ status: string; fullName: string }> }) =>
          file.assertionResults.filter((t) => t.status === 'failed').map((t) => t.fullName)
      )
      resolve({ passed: json.numPassedTests, failed: json.numFailedTests, failures })
    })
  })
const tests = await suites()

const section = (title: string, key: Exclude<keyof Profile, 'version'>) => {
  const { added, removed } = difference(before[key], after[key])
  if (added.length === 0 && removed.length === 0) return `- ${title}: no change`
  return `- ${title}: ${[...added.map((x) => `+${x}`), ...removed.map((x) => `-${x}`)].join(', ')}`
}
const report = [
  `# Canary: Claude Code ${after.version} (pinned: ${before.version})`,
  '',
  '## What changed',
  section('flags', 'flags'),
  section('request fields sent to the Messages API', 'requestFields'),
  section('anthropic-beta values', 'betas'),
  section('default tools', 'tools'),
  section('stdout message types (stream-json)', 'messageTypes'),
  '',
  '## End-to-end suites on the new CLI',
  `${tests.passed} passed, ${tests.failed} failed`,
  ...tests.failures.map((name) => `- failed: ${name}`),
  '',
  tests.failed === 0
    ? `Move the pin: "${PACKAGE}": "${newest}" in package.json, then record test/fixtures/claude-cli-${newest}/.`
    : 'Keep the pin until the failures above are understood.',
].join('\n')
await mkdir('test-results', { recursive: true })
await writeFile(join('test-results', 'canary.md'), `${report}\n`)
process.stdout.write(`${report}\n`)
process.exitCode = tests.failed === 0 ? 0 : 1
