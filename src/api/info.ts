import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import { ModelsResponse, StatusResponse } from '../contract/run.js'
import type { RunnerStatus } from '../contract/runner.js'
import type { AppEnv } from '../http/env.js'

/**
 * Where the CLI lives, how it is logged in, the runner hosts' addresses and errors, and other
 * people's logins are for operators: keys without `admin` see the status without them.
 */
const withoutInternals = ({ logins: _, ...status }: RunnerStatus): RunnerStatus => ({
  ...status,
  binary_path: null,
  auth_method: null,
  ...(status.hosts && {
    hosts: status.hosts.map((host, i) => ({ ...host, url: `host ${i + 1}`, last_error: null })),
  }),
})

export const createInfoRoutes = () =>
  new Hono<AppEnv>()
    .get(
      '/status',
      describeRoute({
        summary: 'Is the Claude Code CLI available, which one, and how busy is the server',
        responses: {
          200: {
            description: 'CLI and capacity status',
            content: { 'application/json': { schema: resolver(StatusResponse) } },
          },
        },
      }),
      async (c) => {
        const status = await c.var.runner.status()
        const key = c.var.apiKey
        return c.json(key && !key.policy.admin ? withoutInternals(status) : status)
      }
    )
    .get(
      '/models',
      describeRoute({
        summary: 'Model aliases, the ids they resolve to with this CLI, and prices',
        responses: {
          200: {
            description: 'Model list',
            content: { 'application/json': { schema: resolver(ModelsResponse) } },
          },
        },
      }),
      async (c) => c.json({ models: await c.var.runner.models() })
    )
