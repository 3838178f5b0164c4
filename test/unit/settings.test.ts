/**
 * One settings schema for every runtime: the Node server and the Worker read the shared
 * variables with it, so the same bad value is the same error in both (the Node server stops
 * with it; the Worker answers it to every request, test/worker/edge.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/runtime/node/config.js'
import { readWorkerSettings } from '../../src/runtime/worker/config.js'

const errorOf = (read: () => unknown) => {
  try {
    read()
  } catch (error) {
    return error
  }
  return undefined
}

describe('the settings every runtime reads', () => {
  it.each([
    [
      { LOG_LEVEL: 'loud' },
      /^LOG_LEVEL must be debug, info, warn, error or silent \(got "loud"\)$/,
    ],
    [{ RUNNER_URLS: 'runner-a:7743' }, /^RUNNER_URLS must list http\(s\) URLs/],
    [{ CORS_ORIGINS: 'ftp://x' }, /^CORS_ORIGINS must list origins/],
  ])('%j is the same error in Node and in a Worker', (env, message) => {
    const node = errorOf(() => loadConfig(env))
    const worker = errorOf(() => readWorkerSettings(env))
    expect(node).toMatchObject({ type: 'config_error', message: expect.stringMatching(message) })
    expect(worker).toMatchObject({ type: 'config_error', message: (node as Error).message })
  })

  it('read the same values the same way, defaults once', () => {
    const env = {
      LOG_LEVEL: 'warn',
      RUNNER_URLS: 'http://10.0.0.5:7743, https://runner.example.com',
      API_AUTH_DISABLED: 'yes',
      CORS_ORIGINS: 'https://chat.example.com/',
    }
    const node = loadConfig(env)
    const worker = readWorkerSettings({ ...env, KEYS: {}, USAGE_LEASE_MS: '500' })
    expect(worker).toMatchObject({
      LOG_LEVEL: node.logLevel,
      RUNNER_URLS: node.runnerUrls,
      API_AUTH_DISABLED: node.authDisabled,
      CORS_ORIGINS: node.corsOrigins,
      USAGE_LEASE_MS: 500,
    })
    expect(readWorkerSettings({}).LOG_LEVEL).toBe(loadConfig({}).logLevel)
    expect(errorOf(() => readWorkerSettings({ USAGE_LEASE_MS: 'soon' }))).toMatchObject({
      message: 'USAGE_LEASE_MS must be a whole number (got "soon")',
    })
  })
})
