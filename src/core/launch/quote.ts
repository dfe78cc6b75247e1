/**
 * Quoting one argv for the shells our users type into: POSIX shells (bash, zsh, sh), PowerShell
 * (pwsh and Windows PowerShell) and cmd.exe. Used for command lines shown to people and typed into
 * terminals; launches themselves pass argv without a shell.
 */
export type ShellKind = 'bash' | 'zsh' | 'sh' | 'pwsh' | 'powershell' | 'cmd';

/** POSIX: single quotes keep everything literal; a single quote becomes '\''. */
export function quotePosix(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * PowerShell: single-quoted strings are literal; a single quote (and its typographic forms)
 * doubles. Arguments of native programs may start with '-' unquoted; only the stop-parsing token
 * `--%` must be quoted.
 */
export function quotePowerShell(arg: string): string {
  if (arg !== '' && arg !== '--%' && /^[A-Za-z0-9_:./\\-]+$/.test(arg)) return arg;
  return `'${arg.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/**
 * cmd.exe: double-quote (backslashes before a quote double, quotes become \" for the program's
 * argv parser), then caret-escape cmd's own metacharacters, including % which no quoting stops.
 */
export function quoteCmd(arg: string): string {
  let q = arg;
  if (q === '' || /[\s"&|<>^%!()]/.test(q)) {
    q = `"${q.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
  }
  return q.replace(/[%^&|<>!()"]/g, '^$&');
}

export function quoteFor(shell: ShellKind, arg: string): string {
  switch (shell) {
    case 'pwsh':
    case 'powershell':
      return quotePowerShell(arg);
    case 'cmd':
      return quoteCmd(arg);
    default:
      return quotePosix(arg);
  }
}

/** A whole command line; PowerShell needs the call operator to run a quoted executable path. */
export function commandLine(shell: ShellKind, executable: string, args: string[]): string {
  const parts = [executable, ...args].map((a) => quoteFor(shell, a));
  return shell === 'pwsh' || shell === 'powershell' ? `& ${parts.join(' ')}` : parts.join(' ');
}
