/** The app over a fake runner, for unit tests: `post` sends JSON. */

import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import { silentLogger } from '../../src/lib/logger.js'

export const setupApp = (options: { heartbeatMs?: number; maxBodyBytes?: number } = {}) => {
  const fake = createFakeRunner()
  const app = createApp({ runner: fake.runner, logger: silentLogger, ...options })
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { ...fake, app, post }
}

/** Parses an SSE body into its events: `id`, `data` (parsed) and comments. */
export const parseSse = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const fields: { id?: string; data?: Record<string, unknown>; comment?: string } = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) fields.comment = line.slice(1).trim()
        else if (line.startsWith('id: ')) fields.id = line.slice(4)
        else if (line.startsWith('data: ')) fields.data = JSON.parse(line.slice(6))
      }
      return fields
    })
