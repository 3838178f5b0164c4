/**
 * Starts the project's mock Anthropic Messages API for a try-out without an account:
 *   npm run mock            (then, in another shell, the command it prints)
 * It echoes every prompt back as `ECHO: <prompt>`.
 */
import { startMockAnthropic } from '../dev-tools/mock-anthropic/server.js'

const mock = await startMockAnthropic()
console.log(`Mock Messages API on ${mock.url}. In another shell, start the server against it:

  ANTHROPIC_BASE_URL=${mock.url} ANTHROPIC_AUTH_TOKEN=mock npm start

Ctrl-C stops the mock.`)
const stop = async () => {
  await mock.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
