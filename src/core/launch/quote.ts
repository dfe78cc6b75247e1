/**
 * Quoting one argv for the shells our users type into: POSIX shells (bash, zsh, sh), PowerShell
 * 7.3+ (`pwsh`), Windows PowerShell 5.1 (`powershell`) and cmd.exe. Used for command lines shown
 * to people, written to logs and typed into terminals; launches themselves pass argv without a shell.
 */
import { StvError } from '../errors';

export type ShellKind = 'bash' | 'zsh' | 'sh' | 'pwsh' | 'powershell' | 'cmd';

/**
 * POSIX: single quotes keep everything literal; a single quote becomes '\''. Bare words are kept
 * bare only when no shell reads anything into them (zsh expands a leading '=' to a command path).
 */
export function quotePosix(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Bare in PowerShell's argument mode: plain names, paths, numbers, simple `-flags`. */
function powerShellBare(arg: string): boolean {
  if (arg === '--' || arg === '--%') return false; // end-of-parameters / stop-parsing tokens
  if (arg.startsWith('-')) return /^--?[A-Za-z][A-Za-z0-9-]*$/.test(arg); // `-a.b` and `-a:b` are split or bound by PowerShell
  // A token that starts with a digit may be read as a number (1e3, 0x10, 1kb) and passed on re-printed.
  return /^(?:0|[1-9][0-9]*)$/.test(arg) || /^[A-Za-z_/][A-Za-z0-9_:./\\-]*$/.test(arg);
}

const singleQuoted = (s: string) => `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;

/**
 * PowerShell 7.3+ (`$PSNativeCommandArgumentPassing` = Windows/Standard, the default): a
 * single-quoted string is literal (its quote characters, typographic ones included, double) and
 * reaches the program as exactly that argument, empty strings and embedded `"` included.
 */
export function quotePowerShell(arg: string): string {
  return powerShellBare(arg) ? arg : singleQuoted(arg);
}

/**
 * Windows PowerShell 5.1 (and pwsh before 7.3, "Legacy" passing): PowerShell rebuilds the
 * program's command line itself, wrapping an argument in double quotes when it has whitespace
 * but escaping nothing, and dropping empty strings. So the argument is pre-escaped for the
 * program's parser (CommandLineToArgvW): `"` becomes `\"` (backslashes before it doubled),
 * trailing backslashes double when PowerShell will add the closing quote, and '' becomes '""'.
 */
export function quoteWindowsPowerShell(arg: string): string {
  if (arg === '') return `'""'`;
  let s = arg.replace(/(\\*)"/g, '$1$1\\"');
  if (/\s/.test(s)) s = s.replace(/(\\+)$/, '$1$1');
  return powerShellBare(s) ? s : singleQuoted(s);
}

/** An argument as CommandLineToArgvW / the MSVC runtime reads it back (the rules every Windows program uses). */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

const CMD_META = /[%^&|<>!()"]/g;

function refuseNewline(arg: string): void {
  if (/[\r\n]/.test(arg))
    throw new StvError(
      'INVALID_REQUEST',
      'A line break cannot be typed into cmd.exe as part of an argument.',
      'Use PowerShell, or remove the line break.',
    );
}

/**
 * cmd.exe argument: quoted for the program's parser, then every cmd metacharacter — the quotes
 * included — gets a caret, so cmd never enters its quoted state and reads nothing into the text.
 * `%` cannot be escaped at the prompt, but `^%` puts the caret inside any would-be variable name
 * (`%PATH^%`), which no variable has. Delayed expansion (`!`) is off at the prompt by default.
 */
export function quoteCmd(arg: string): string {
  refuseNewline(arg);
  const q =
    arg === '' || /[\s"&|<>^%!()]/.test(arg) ? `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"` : arg;
  return q.replace(CMD_META, '^$&');
}

/**
 * cmd.exe program name: cmd finds the program from the first token itself, and only plain double
 * quotes keep a space in it (`^"C:\Program Files\x.exe^"` is split at the space). Inside quotes,
 * `& ( ) ^` are literal; a `%` is left outside them, caret-escaped: `"C:\a"^%"b\python.exe"`.
 */
export function quoteCmdProgram(exe: string): string {
  refuseNewline(exe);
  if (exe !== '' && !/[\s"&|<>^%!(),;=]/.test(exe)) return exe;
  if (exe.includes('"')) throw new StvError('INVALID_REQUEST', `A program path cannot contain a double quote: ${exe}`);
  return `"${exe.split('%').join('"^%"')}"`;
}

export function quoteFor(shell: ShellKind, arg: string): string {
  switch (shell) {
    case 'pwsh':
      return quotePowerShell(arg);
    case 'powershell':
      return quoteWindowsPowerShell(arg);
    case 'cmd':
      return quoteCmd(arg);
    default:
      return quotePosix(arg);
  }
}

/** A whole command line; PowerShell needs the call operator `&` to run a (quoted) program path. */
export function commandLine(shell: ShellKind, executable: string, args: string[]): string {
  const rest = args.map((a) => quoteFor(shell, a));
  switch (shell) {
    case 'pwsh':
    case 'powershell':
      return ['&', singleQuotedIfNeeded(executable), ...rest].join(' ');
    case 'cmd':
      return [quoteCmdProgram(executable), ...rest].join(' ');
    default:
      return [quotePosix(executable), ...rest].join(' ');
  }
}

/** The program after `&` is a PowerShell string, never passed through the native-argument rules. */
function singleQuotedIfNeeded(exe: string): string {
  return powerShellBare(exe) ? exe : singleQuoted(exe);
}

/** `NAME=value` assignments for one command, per shell (the token is never among them). */
export function envPrefix(shell: ShellKind, env: [string, string][]): string {
  if (env.length === 0) return '';
  for (const [k] of env)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new StvError('INVALID_REQUEST', `Not an environment variable name: ${k}`);
  switch (shell) {
    case 'pwsh':
    case 'powershell':
      return `${env.map(([k, v]) => `$env:${k} = ${singleQuoted(v)}`).join('; ')}; `;
    case 'cmd':
      // `set ^"K=v^"`: the carets keep cmd out of its quoted state, so every metacharacter in
      // the value is escaped like an argument's; `set` then strips the outer quotes.
      return `${env
        .map(([k, v]) => {
          refuseNewline(v);
          return `set ^"${k}=${v.replace(CMD_META, '^$&')}^"`;
        })
        .join(' && ')} && `;
    default:
      return `${env.map(([k, v]) => `${k}=${quotePosix(v)}`).join(' ')} `;
  }
}
