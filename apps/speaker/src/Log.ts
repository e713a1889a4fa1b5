/**
 * Structured logs: one JSON object per line on stdout, flat so that `jq`,
 * Loki or journald take it as it is:
 * `{"time":"2026-11-22T14:00:00.000Z","level":"info","msg":"session established","peer":"192.0.2.2"}`.
 * Annotations (`Effect.annotateLogs`) become top-level fields in name order; a cause becomes `cause`.
 */
import { Cause, HashMap, Layer, Logger, LogLevel } from "effect"
import type { LogLevelName } from "./Cli.js"

const levelName = (l: LogLevel.LogLevel): string => {
  switch (l._tag) {
    case "Fatal":
    case "Error":
      return "error"
    case "Warning":
      return "warn"
    case "Info":
      return "info"
    default:
      return "debug"
  }
}

const messageText = (m: unknown): string => {
  const parts = Array.isArray(m) ? m : [m]
  return parts.map((p) => (typeof p === "string" ? p : p instanceof Error ? p.message : safeJson(p))).join(" ")
}

const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

/** The log line for one entry (exported for tests). */
export const format = (entry: {
  readonly date: Date
  readonly logLevel: LogLevel.LogLevel
  readonly message: unknown
  readonly annotations: HashMap.HashMap<string, unknown>
  readonly cause: Cause.Cause<unknown>
}): string => {
  const line: Record<string, unknown> = { time: entry.date.toISOString(), level: levelName(entry.logLevel), msg: messageText(entry.message) }
  // Annotations in name order: a HashMap has no insertion order, and a stable order reads better.
  const annotations = HashMap.toEntries(entry.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [k, v] of annotations) {
    if (!(k in line)) line[k] = v
  }
  if (!Cause.isEmpty(entry.cause)) line.cause = Cause.pretty(entry.cause)
  return safeJson(line)
}

/** Writes each entry as a JSON line through `write` (stdout by default). */
export const make = (write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger.Logger<unknown, void> =>
  Logger.make((entry) => write(format(entry)))

const LEVELS: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error
}

/** Replaces Effect's default logger with the JSON one, at the given minimum level. */
export const layer = (level: LogLevelName = "info", write?: (line: string) => void): Layer.Layer<never> =>
  Layer.merge(Logger.replace(Logger.defaultLogger, make(write)), Logger.minimumLogLevel(LEVELS[level]))
