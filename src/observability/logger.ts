/**
 * The process logger: pino, structured, with national IDs and mobile numbers masked in every string of every
 * line. Masking happens on the serialised line, after pino's serializers, so error messages and stacks are
 * covered too; field redaction stays for the values we know are sensitive whole (message text, request bodies).
 */
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { maskDeep, maskPersonalText } from './mask-personal-data';

export function maskLogLine(line: string): string {
  try {
    return `${JSON.stringify(maskDeep(JSON.parse(line)))}\n`;
  } catch {
    // Not JSON (a custom destination or a partial write): mask the text as it is.
    return maskPersonalText(line);
  }
}

/** Wraps a destination so everything written to it is masked first. */
export function maskingDestination(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(maskLogLine(line)) };
}

export function createLogger(opts: { level: Level | 'silent'; destination?: DestinationStream }): Logger {
  return pino(
    { level: opts.level, redact: { paths: ['*.nationalId', '*.text', 'req.body'], censor: '[redacted]' } },
    maskingDestination(opts.destination ?? pino.destination(1)),
  );
}
