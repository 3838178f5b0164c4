import type { Logger, LogLevel } from '../../src/lib/logger.js'

export type LogLine = { level: LogLevel; message: string; [field: string]: unknown }

/** A logger that keeps every line, for assertions on what was (and was not) logged. */
export const captureLogger = () => {
  const lines: LogLine[] = []
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, ...fields })
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
  return { logger, lines }
}
