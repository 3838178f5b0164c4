/**
 * `claude-code-api status`: is the CLI installed, which version, is it logged in; with `--url`, a
 * running server's state instead (server-status.ts).
 */
import { parseArgs } from 'node:util'
import { createNodeRunner } from '../adapters/node/runner.js'
import { serverStatus } from './server-status.js'

export const STATUS_HELP = `Usage:
  claude-code-api status [--json]
  claude-code-api status --url URL [--key ADMIN_KEY] [--json]

Without --url: this machine's Claude Code CLI; exit code 0 when it is installed and logged in,
1 otherwise. With --url: a running server's runs, quota, failures and runner hosts, from its
/admin/status (an admin key; also CLAUDE_CODE_API_KEY).`

export const statusCommand = async (argv: string[]) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return console.log(STATUS_HELP)
  if (values.url) {
    return serverStatus(
      values.url,
      values.key ?? process.env.CLAUDE_CODE_API_KEY,
      Boolean(values.json)
    )
  }
  const status = await createNodeRunner().status()
  if (values.json) {
    console.log(JSON.stringify(status, null, 2))
  } else {
    console.log(
      status.available
        ? `Claude Code CLI: ${status.version} (${status.binary_source}: ${status.binary_path})`
        : `Claude Code CLI: not available${status.binary_path ? ` (${status.binary_path} did not run)` : ' (not installed)'}`
    )
    console.log(
      `Logged in: ${status.logged_in === null ? 'unknown' : status.logged_in ? `yes (${status.auth_method})` : 'no (run `claude auth login` or set CLAUDE_CODE_OAUTH_TOKEN)'}`
    )
  }
  process.exitCode = status.available && status.logged_in ? 0 : 1
}
