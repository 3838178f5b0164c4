import { ClaudeClient, RateLimitedError } from 'claude-code-api'

const claude = new ClaudeClient({ model: 'haiku' })
const controller = new AbortController()
try {
  for await (const event of claude.stream('Tell me a story', { signal: controller.signal })) {
    if (event.type === 'text_delta') process.stdout.write(event.text)
    if (event.type === 'result') console.log(`\n(${event.result.usage?.output_tokens} tokens)`)
  }
} catch (error) {
  if (error instanceof RateLimitedError) console.error(`rate limited until ${error.resetAt}`)
  else throw error
}
