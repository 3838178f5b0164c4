/**
 * `npm run fixtures`: records the CLI's stdout for every case the parser tests and the fake CLI
 * replay, into test/fixtures/claude-cli-<version>/ (the pinned CLI, or CLAUDE_BIN's). Each case
 * is one run against the project's mock; absolute paths become `<cwd>`, `<home>`, `<tmpdir>`.
 * Run it when the pin moves: the old version's folder stays, and the tests read every folder.
 */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliEnv, removeDir, tempDir } from '../dev-tools/cli-env.js'
import {
  type MockHandler,
  startMockAnthropic,
  toolResultsOf,
} from '../dev-tools/mock-anthropic/server.js'
import { readClaudeVersion, resolveClaudeBinary } from '../src/adapters/node/process/binary.js'

type Case = {
  name: string
  args: string[]
  handler?: MockHandler
  /** Not logged in, or an API that refuses connections. */
  api?: 'none' | 'refused'
  env?: Record<string, string>
}

const JSON_OUT = ['--output-format', 'json']
const STREAM = ['--output-format', 'stream-json', '--verbose']
const SCHEMA = [
  '--json-schema',
  '{"type":"object","properties":{"answer":{"type":"number"}},"required":["answer"]}',
]
const error =
  (status: number, type: string, headers?: Record<string, string>): MockHandler =>
  () => ({
    kind: 'error',
    status,
    type,
    headers,
  })
/** Reads a file once, then answers with what it saw. */
const readOnce: MockHandler = (request) =>
  toolResultsOf(request.body).length > 0
    ? { kind: 'text', text: '4' }
    : { kind: 'tool', name: 'Read', input: { file_path: 'x.txt' }, text: 'Let me check.' }

const CASES: Case[] = [
  { name: 'json-success', args: JSON_OUT, handler: () => ({ kind: 'text', text: '4' }) },
  { name: 'json-api-400', args: JSON_OUT, handler: error(400, 'invalid_request_error') },
  { name: 'json-api-401', args: JSON_OUT, handler: error(401, 'authentication_error') },
  { name: 'json-api-403', args: JSON_OUT, handler: error(403, 'permission_error') },
  { name: 'json-error-max-budget', args: [...JSON_OUT, '--max-budget-usd', '0.0001'] },
  {
    name: 'json-error-max-turns',
    args: [...JSON_OUT, '--max-turns', '1', '--tools', 'Read', '--allowedTools', 'Read'],
    handler: () => ({ kind: 'tool', name: 'Read', input: { file_path: 'x.txt' } }),
  },
  { name: 'json-not-logged-in', args: JSON_OUT, api: 'none' },
  { name: 'json-structured-success', args: [...JSON_OUT, ...SCHEMA] },
  {
    name: 'json-structured-invalid',
    args: [...JSON_OUT, ...SCHEMA],
    handler: () => ({ kind: 'tool', name: 'StructuredOutput', input: { answer: 'four' } }),
  },
  {
    name: 'json-structured-plain-text',
    args: [...JSON_OUT, ...SCHEMA],
    handler: () => ({ kind: 'text', text: 'The answer is 4.' }),
  },
  {
    name: 'stream-json-api-429',
    args: STREAM,
    handler: error(429, 'rate_limit_error', { 'retry-after': '30' }),
  },
  { name: 'stream-json-api-500', args: STREAM, handler: error(500, 'api_error') },
  { name: 'stream-json-api-529', args: STREAM, handler: error(529, 'overloaded_error') },
  {
    name: 'stream-json-api-timeout',
    args: STREAM,
    handler: () => ({ kind: 'hang' }),
    env: { API_TIMEOUT_MS: '1500' },
  },
  { name: 'stream-json-connection-refused', args: STREAM, api: 'refused' },
  { name: 'stream-json-not-logged-in', args: STREAM, api: 'none' },
  {
    name: 'stream-json-partial-success',
    args: [...STREAM, '--include-partial-messages'],
    handler: () => ({ kind: 'text', text: 'The answer is 4.', chunks: 3 }),
  },
  {
    name: 'stream-json-tool-roundtrip',
    args: [...STREAM, '--tools', 'Read', '--allowedTools', 'Read'],
    handler: readOnce,
  },
]

const binary = resolveClaudeBinary(process.env)?.path
if (!binary) throw new Error('No Claude Code CLI (npm ci, or set CLAUDE_BIN)')
const version = (await readClaudeVersion(binary))?.split(' ')[0]
if (!version) throw new Error(`${binary} --version did not answer`)
const out = fileURLToPath(new URL(`../test/fixtures/claude-cli-${version}/`, import.meta.url))
await mkdir(out, { recursive: true })

const mock = await startMockAnthropic()
for (const c of CASES) {
  const home = await tempDir('fixture')
  const cwd = join(home, 'cwd')
  await mkdir(cwd)
  await writeFile(join(cwd, 'x.txt'), 'hello\n')
  mock.reset()
  if (c.handler) mock.setHandler(c.handler)
  const api = c.api === 'none' ? undefined : c.api === 'refused' ? 'http://127.0.0.1:9' : mock.url
  const env = cliEnv(home, api, c.env)
  const args = ['-p', 'What is 2+2?', '--model', 'haiku', '--setting-sources=', ...c.args]
  const stdout = await new Promise<string>((resolve) =>
    execFile(binary, args, { cwd, env, timeout: 60_000, maxBuffer: 32 << 20 }, (_e, so) =>
      resolve(so)
    )
  )
  const placed = stdout
    .replaceAll(cwd, '<cwd>')
    .replaceAll(cwd.replaceAll('/', '-'), '<cwd-slug>')
    .replaceAll(home, '<home>')
    .replaceAll(tmpdir(), '<tmpdir>')
  await writeFile(join(out, `${c.name}.stdout`), placed)
  process.stderr.write(`${c.name}: ${placed.length} bytes\n`)
  await removeDir(home)
}
await mock.close()
await writeFile(
  join(out, 'README.md'),
  `# Recorded outputs of the real Claude Code CLI ${version}

Stdout of \`claude\` ${version}, recorded by \`npm run fixtures\` (scripts/record-fixtures.ts)
against the project's mock Messages API on loopback, one file per case (the script's table says
how each was made). Absolute paths were replaced by \`<cwd>\`, \`<cwd-slug>\`, \`<home>\` and
\`<tmpdir>\`. The parser tests read every version's folder; the fake CLI replays them.
`
)
process.stderr.write(`recorded ${CASES.length} cases into ${out}\n`)
