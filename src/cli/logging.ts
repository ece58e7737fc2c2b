/**
 * The controller's logs: pino behind the core's tiny Logger interface. JSON lines (one object per
 * line, with `level`, `time`, `msg` and the bindings such as the DaemonSet key `ds`) unless a human
 * is reading a terminal, in which case pino-pretty formats them.
 */
import { isTerminal } from './output.js';
import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { Logger } from '../controller/logger.js';

/** How `everynode run` writes logs. */
export type LogFormat = 'json' | 'text';

/** The levels --log-level accepts, lowest first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Options of the process logger. */
export interface LoggingOptions {
  /** `json`, `text` (pretty), or undefined: pretty on a TTY, JSON otherwise. */
  readonly format?: LogFormat | undefined;
  /** pino level; default info. */
  readonly level?: string | undefined;
  /** Where lines go; default standard output (fd 1). */
  readonly destination?: DestinationStream | undefined;
  /** Whether the destination is a terminal; default process.stdout.isTTY. */
  readonly tty?: boolean | undefined;
}

/** Wraps a pino logger so the core sees only debug/info/warn/error/child. */
export function fromPino(p: PinoLogger): Logger {
  return {
    debug: (obj, msg) => {
      p.debug(obj, msg);
    },
    info: (obj, msg) => {
      p.info(obj, msg);
    },
    warn: (obj, msg) => {
      p.warn(obj, msg);
    },
    error: (obj, msg) => {
      p.error(obj, msg);
    },
    child: (bindings) => fromPino(p.child(bindings)),
  };
}

/** The pino-pretty stream (a runtime dependency), loaded only when text is asked for. */
function prettyStream(colorize: boolean): DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (opts: Record<string, unknown>) => DestinationStream;
    return pretty({
      colorize,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  } catch {
    return undefined;
  }
}

/**
 * The process logger and a flush function to call before exiting. Pretty only when the format
 * asks for it, or is unset and the destination is a terminal; JSON in every other case.
 */
export function createLogger(opts: LoggingOptions = {}): { logger: Logger; flush: () => void } {
  const tty = opts.tty ?? isTerminal(process.stdout);
  const wantPretty = opts.format === 'text' || (opts.format === undefined && tty);
  const dest =
    opts.destination ??
    (wantPretty ? prettyStream(tty) : undefined) ??
    pino.destination({ fd: 1, sync: true });
  const p = pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  return {
    logger: fromPino(p),
    flush: () => {
      try {
        p.flush();
      } catch {
        // A sync destination has nothing buffered.
      }
    },
  };
}
