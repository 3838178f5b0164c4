/**
 * Structured logs: one JSON object per line on stderr. Runtime-agnostic (console only).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type LogFields = Record<string, unknown>

export type Logger = {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export const isLogLevel = (value: unknown): value is LogLevel =>
  typeof value === 'string' && value in ORDER

export const createLogger = (level: LogLevel = 'info'): Logger => {
  const write = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (ORDER[at] < ORDER[level]) return
    console.error(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...fields }))
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

export const silentLogger: Logger = createLogger('silent')
