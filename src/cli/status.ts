/** `claude-code-api status`: is the CLI installed, which version, is it logged in. */
import { parseArgs } from 'node:util'
import { createNodeRunner } from '../adapters/node/runner.js'

export const STATUS_HELP = `Usage:
  claude-code-api status [--json]

Exit code 0 when the CLI is installed and logged in, 1 otherwise.`

export const statusCommand = async (argv: string[]) => {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) return console.log(STATUS_HELP)
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
