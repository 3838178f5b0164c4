import { ClaudeClient } from 'claude-code-api'
import * as v from 'valibot'

const Answer = v.object({ answer: v.number() })

const claude = new ClaudeClient()
// Typed as { answer: number }, validated against the schema.
const { answer } = await claude.chatJson('What is 2+2?', { schema: Answer, timeoutMs: 60_000 })
console.log(answer + 1)
