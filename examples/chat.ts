import { ClaudeClient } from 'claude-code-api'

const claude = new ClaudeClient({ model: 'haiku' })
const answer = await claude.chat('What is 2+2?', { system: 'Answer with a number.' })
console.log(answer.text)
console.log(`cost: $${answer.totalCostUsd.toFixed(6)}, session: ${answer.sessionId}`)
