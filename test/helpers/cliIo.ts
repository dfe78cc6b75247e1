import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli';

/** A CliIo whose output the test reads back; `interrupt` stands in for Ctrl-C. */
export function captureIo(interrupt?: Promise<void>): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    io: { stdout, stderr, env: {}, interrupted: interrupt ?? new Promise<void>(() => undefined) },
    out: () => out,
    err: () => err,
  };
}
