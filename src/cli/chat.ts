/**
 * `claude-code-api chat`: a terminal chat that streams tokens as they arrive and keeps the
 * conversation across turns, through the local CLI or a remote server (`--url`, `--key`).
 * Ctrl-C during a reply cancels that reply (its run is stopped); Ctrl-C at the prompt, a second
 * Ctrl-C while a reply is being cancelled, or Ctrl-D quits.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createApiRunner } from '../adapters/api.js'
import { createNodeRunner } from '../adapters/node/runner.js'
import { ClaudeClient } from '../client/client.js'
import { isSafeModel } from '../contract/names.js'
import type { ClaudeRunner } from '../contract/runner.js'
import { isClaudeError, UsageError } from '../errors/index.js'

export const CHAT_HELP = `Usage:
  claude-code-api chat [--model MODEL] [--system PROMPT] [--url URL --key KEY]

Options:
  --model MODEL    alias or model id (default haiku)
  --system PROMPT  system prompt for the conversation
  --url URL        talk to a running server instead of the local CLI
  --key KEY        that server's API key (default: CLAUDE_CODE_API_KEY)
  -h, --help       this help

Type a message and press Enter. Ctrl-C stops a reply; Ctrl-C at the prompt, or Ctrl-D, quits.`

const describeError = (error: unknown) =>
  isClaudeError(error) ? `${error.message} (${error.type})` : String(error)

const parse = (argv: string[]) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string', default: 'haiku' },
      system: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return values
  if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
  if (!isSafeModel(values.model)) throw new UsageError(`not a model name: ${values.model}`)
  if (values.key && !values.url) throw new UsageError('--key goes with --url')
  if (values.url && !/^https?:\/\//.test(values.url))
    throw new UsageError('--url must start with http:// or https://')
  return values
}

/** A server is checked before the first prompt: a wrong URL or key is reported at once. */
const checkServer = async (runner: ClaudeRunner, url: string) => {
  try {
    await runner.status()
    return true
  } catch (error) {
    console.error(`error: ${url}: ${describeError(error)}`)
    process.exitCode = 1
    return false
  }
}

export const chatCommand = async (argv: string[], env: NodeJS.ProcessEnv) => {
  const values = parse(argv)
  if (values.help) {
    console.log(CHAT_HELP)
    return
  }
  const local = values.url ? undefined : createNodeRunner({ env })
  const runner: ClaudeRunner = values.url
    ? createApiRunner({ url: values.url, key: values.key ?? env.CLAUDE_CODE_API_KEY })
    : (local as NonNullable<typeof local>)
  if (values.url && !(await checkServer(runner, values.url))) return

  const client = new ClaudeClient({ runner, model: values.model, system: values.system })
  const interactive = Boolean(process.stdin.isTTY)
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
  })
  let sessionId: string | undefined
  let turn: AbortController | undefined
  let closing = false

  const quit = () => {
    closing = true
    turn?.abort()
    rl.close()
  }
  const interrupt = () => {
    // The first Ctrl-C of a reply stops it; a second one, or one at the prompt, quits.
    if (turn && !turn.signal.aborted) turn.abort()
    else quit()
  }
  rl.on('SIGINT', interrupt)
  process.on('SIGINT', interrupt)
  if (interactive) {
    console.log(
      `Chatting with ${values.model}${values.url ? ` at ${values.url}` : ''}. Ctrl-C stops a reply, Ctrl-D quits.`
    )
  }

  const prompt = () => {
    if (interactive && !closing) rl.prompt()
  }
  rl.setPrompt('you> ')
  prompt()
  for await (const line of rl) {
    const text = line.trim()
    if (!text) {
      prompt()
      continue
    }
    turn = new AbortController()
    try {
      const stream = client.stream(
        { prompt: text, ...(sessionId ? { sessionId } : { persistSession: true }) },
        { signal: turn.signal }
      )
      if (interactive) process.stdout.write('claude> ')
      for await (const event of stream) {
        if (event.type === 'text_delta') process.stdout.write(event.text)
        if (event.type === 'result') sessionId = event.result.sessionId ?? sessionId
      }
      process.stdout.write('\n')
    } catch (error) {
      process.stdout.write('\n')
      if (closing) break
      if (turn.signal.aborted) console.error('(reply stopped)')
      else console.error(`error: ${describeError(error)}`)
    } finally {
      turn = undefined
    }
    if (closing) break
    prompt()
  }
  // Leave the cursor on a fresh line, whatever was on screen.
  if (interactive && closing) process.stdout.write('\n')
  process.off('SIGINT', interrupt)
  await local?.close()
}
