/**
 * Quoting per shell. POSIX shells are exercised for real (bash, dash as sh, zsh when installed):
 * the shell parses the line and a real program reports the argv and environment it received.
 * PowerShell and cmd.exe cannot run here, so their lines go through models of the parsers that
 * read them (PowerShell's single-quoted strings and native-argument passing as in its source,
 * cmd's documented percent/caret/quote phases, CommandLineToArgvW), plus fixed expected strings.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { StvError } from '../../src/core/errors';
import { toShellCommandLine, type LaunchPlan } from '../../src/core/launch/adapterLaunch';
import {
  commandLine,
  envPrefix,
  quoteCmd,
  quoteCmdProgram,
  quotePosix,
  quotePowerShell,
  quoteWindowsArg,
  quoteWindowsPowerShell,
} from '../../src/core/launch/quote';

const NASTY = [
  'plain',
  'with space',
  "it's",
  'say "hi"',
  '$HOME',
  '$(id)',
  '`id`',
  '100%',
  '%PATH%',
  'a&b|c',
  '^caret',
  '!bang!',
  '(x)',
  '<in>',
  'Ünïcödé 雪',
  '',
  ' ',
  'C:\\Users\\Ana Lia\\x.png',
  'C:\\dir with space\\',
  'back\\\\"slash',
  '-dash',
  '--',
  '--%',
  '=python',
  '~',
  '*',
  'a;b',
  'a,b',
  'tab\there',
  'it\u2019s',
  '#hash',
  '@splat',
  '{brace}',
  '1e3',
  '0x10',
];

function hasShell(sh: string): boolean {
  return spawnSync(sh, ['-c', 'true']).status === 0;
}

/** A real program that reports what it received: its argv and the variable X. */
const REPORTER = [
  '-e',
  'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), x: process.env.X ?? null }))',
];

describe('quoting: POSIX shells parse our lines back exactly (real shells)', () => {
  for (const sh of ['bash', 'sh', 'zsh']) {
    it(`${sh}: every awkward argument and an environment value survive`, function () {
      if (!hasShell(sh)) this.skip(); // zsh is optional on CI machines
      const plan: LaunchPlan = {
        executable: process.execPath,
        args: [...REPORTER, ...NASTY],
        env: { X: "va'l $HOME `id` 雪", STV_ADAPTER_TOKEN: 'secret' },
        description: '',
      };
      const line = toShellCommandLine(plan, sh as 'bash');
      assert.ok(!line.includes('secret'), 'the token is never printed');
      const out = execFileSync(sh, ['-c', line], {
        encoding: 'utf8',
        env: { ...process.env, X: undefined } as NodeJS.ProcessEnv,
      });
      assert.deepEqual(JSON.parse(out), { argv: NASTY, x: "va'l $HOME `id` 雪" });
    });
  }

  it('bash: random strings round-trip (property)', function () {
    if (!hasShell('bash')) this.skip();
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom(...'ab \t\'"\\$`!*?[]{}~=%^&|<>();#,é雪\n'.split('')) }), {
          maxLength: 6,
        }),
        (args) => {
          const out = execFileSync('bash', ['-c', commandLine('bash', process.execPath, [...REPORTER, ...args])], {
            encoding: 'utf8',
          });
          assert.deepEqual(JSON.parse(out).argv, args);
        },
      ),
      { numRuns: 15 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Models of the Windows parsers (documented behaviour; see the notes in src/core/launch/quote.ts)

/** CommandLineToArgvW / MSVC runtime (2008+) for the arguments after the program name. */
function parseWindowsArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) return out;
    let arg = '';
    let inQuotes = false;
    while (i < s.length) {
      const c = s[i] as string;
      if (!inQuotes && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let n = 0;
        while (s[i] === '\\') {
          n++;
          i++;
        }
        if (s[i] === '"') {
          arg += '\\'.repeat(n >> 1);
          if (n % 2) {
            arg += '"';
            i++;
          }
        } else arg += '\\'.repeat(n);
        continue;
      }
      if (c === '"') {
        if (inQuotes && s[i + 1] === '"') {
          arg += '"';
          i += 2;
        } else {
          inQuotes = !inQuotes;
          i++;
        }
        continue;
      }
      arg += c;
      i++;
    }
    out.push(arg);
  }
}

/** cmd.exe at the prompt (delayed expansion off): percent phase, then carets/quotes/operators. */
function cmdRun(
  line: string,
  env: Record<string, string>,
): { program: string; args: string[]; env: Record<string, string> } {
  // Phase 1: %NAME% of a defined variable expands; otherwise the % stays and the scan goes on after it.
  let p1 = '';
  for (let i = 0; i < line.length;) {
    if (line[i] === '%') {
      const j = line.indexOf('%', i + 1);
      const name = j > i + 1 ? line.slice(i + 1, j) : undefined;
      const hit = name !== undefined ? Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase()) : undefined;
      if (hit !== undefined) {
        p1 += env[hit];
        i = j + 1;
        continue;
      }
    }
    p1 += line[i];
    i++;
  }
  // Phase 2: ^ escapes outside quotes; " toggles quoting; unescaped & | < > ( ) outside quotes split commands.
  const commands: string[] = [''];
  let inQuotes = false;
  for (let i = 0; i < p1.length; i++) {
    const c = p1[i] as string;
    if (!inQuotes && c === '^') {
      commands[commands.length - 1] += p1[++i] ?? '';
      continue;
    }
    if (c === '"') inQuotes = !inQuotes;
    if (!inQuotes && '|<>()'.includes(c)) throw new Error(`cmd would treat ${c} as an operator in: ${line}`);
    if (!inQuotes && c === '&') {
      if (p1[i + 1] === '&') i++;
      commands.push('');
      continue;
    }
    commands[commands.length - 1] += c;
  }
  const vars = { ...env };
  let last: { program: string; args: string[] } | undefined;
  for (const raw of commands) {
    const cmd = raw.trim();
    const set = /^set\s+"([^=]+)=(.*)"$/s.exec(cmd);
    if (set) {
      vars[set[1] as string] = set[2] as string;
      continue;
    }
    // The program: the first token, quotes keeping spaces and then removed.
    let i = 0;
    let q = false;
    let program = '';
    for (; i < cmd.length && (q || !/\s/.test(cmd[i] as string)); i++) {
      if (cmd[i] === '"') q = !q;
      else program += cmd[i];
    }
    last = { program, args: parseWindowsArgs(cmd.slice(i)) };
  }
  if (!last) throw new Error('no command');
  return { ...last, env: vars };
}

/** PowerShell: `& program arg...` where each token is a bare word or a single-quoted string. */
function powerShellTokens(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const isQ = (c: string | undefined) => c !== undefined && "'\u2018\u2019\u201a\u201b".includes(c);
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (isQ(line[i])) {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated string in ${line}`);
        if (isQ(line[i])) {
          if (isQ(line[i + 1])) {
            s += line[i];
            i += 2;
          } else {
            i++;
            break;
          }
        } else s += line[i++];
      }
      out.push(s);
      continue;
    }
    const j = line.indexOf(' ', i);
    const word = line.slice(i, j < 0 ? undefined : j);
    // Only plain bare words may appear unquoted: nothing PowerShell would expand or split.
    if (!/^(?:&|(?:0|[1-9][0-9]*)|--?[A-Za-z][A-Za-z0-9-]*|[A-Za-z_/][A-Za-z0-9_:./\\-]*)$/.test(word))
      throw new Error(`unsafe bare word ${word}`);
    out.push(word);
    i = j < 0 ? line.length : j;
  }
  return out;
}

/** PowerShell's Legacy native-argument passing (NeedQuotes from its NativeCommandParameterBinder). */
function legacyPassing(args: string[]): string {
  const needQuotes = (s: string) => {
    let quotes = 0;
    let afterBackslash = false;
    for (const c of s) {
      if (c === '"' && !afterBackslash) quotes++;
      else if (/\s/.test(c) && quotes % 2 === 0) return true;
      afterBackslash = c === '\\';
    }
    return false;
  };
  return args
    .filter((a) => a !== '')
    .map((a) => (needQuotes(a) ? `"${a}"` : a))
    .join(' ');
}

const windowsChars = fc.constantFrom(...'ab \t\'"\\$`!%^&|<>()=,;@#{}~-é雪\u2019'.split(''));

describe('quoting: PowerShell', () => {
  it('pwsh (7.3+): literal single-quoted strings, doubled quotes, bare safe words', () => {
    assert.equal(quotePowerShell("it's"), "'it''s'");
    assert.equal(quotePowerShell('$HOME'), "'$HOME'");
    assert.equal(quotePowerShell('`id`'), "'`id`'");
    assert.equal(quotePowerShell('with space'), "'with space'");
    assert.equal(quotePowerShell('-m'), '-m');
    assert.equal(quotePowerShell('--port'), '--port');
    assert.equal(quotePowerShell('-a.b'), "'-a.b'", 'PowerShell splits -a.b for native programs');
    assert.equal(quotePowerShell('--%'), "'--%'");
    assert.equal(quotePowerShell('--'), "'--'");
    assert.equal(quotePowerShell('8055'), '8055');
    assert.equal(quotePowerShell('127.0.0.1'), "'127.0.0.1'", 'a token starting with a digit may be read as a number');
    assert.equal(quotePowerShell('C:\\Users\\x.png'), 'C:\\Users\\x.png');
    assert.equal(quotePowerShell(''), "''");
    assert.equal(quotePowerShell('it\u2019s'), "'it\u2019\u2019s'", 'typographic quotes are quotes to PowerShell too');
    assert.equal(quotePowerShell('Ünïcödé 雪'), "'Ünïcödé 雪'");
  });

  it('Windows PowerShell 5.1: pre-escaped for the program because PowerShell escapes nothing itself', () => {
    assert.equal(quoteWindowsPowerShell(''), `'""'`, 'an empty string would be dropped');
    assert.equal(quoteWindowsPowerShell('say "hi"'), `'say \\"hi\\"'`);
    assert.equal(quoteWindowsPowerShell('C:\\dir with space\\'), `'C:\\dir with space\\\\'`);
    assert.equal(quoteWindowsPowerShell('C:\\nospace\\'), 'C:\\nospace\\');
  });

  it('every argument reaches the program unchanged (model, both passing modes; property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: windowsChars }), { maxLength: 6 }), (args) => {
        const std = powerShellTokens(commandLine('pwsh', 'C:\\Program Files\\x\\python.exe', args));
        assert.deepEqual(std, ['&', 'C:\\Program Files\\x\\python.exe', ...args]);
        const legacy = powerShellTokens(commandLine('powershell', 'python.exe', args));
        assert.deepEqual(parseWindowsArgs(legacyPassing(legacy.slice(2))), args);
      }),
      { numRuns: 300 },
    );
    for (const a of NASTY) assert.deepEqual(powerShellTokens(commandLine('pwsh', 'wsl.exe', [a])).slice(2), [a], a);
  });
});

describe('quoting: cmd.exe', () => {
  it('arguments: quoted for the program, every metacharacter caret-escaped, % included', () => {
    assert.equal(quoteCmd('plain'), 'plain');
    assert.equal(quoteCmd('with space'), '^"with space^"');
    assert.equal(quoteCmd('100%'), '^"100^%^"');
    assert.equal(quoteCmd('%PATH%'), '^"^%PATH^%^"');
    assert.equal(quoteCmd('a&b|c'), '^"a^&b^|c^"');
    assert.equal(quoteCmd('say "hi"'), '^"say \\^"hi\\^"^"');
    assert.equal(quoteCmd(''), '^"^"');
    assert.equal(quoteCmd('C:\\dir with space\\'), '^"C:\\dir with space\\\\^"');
    assert.throws(
      () => quoteCmd('two\nlines'),
      (e: unknown) => e instanceof StvError && /line break/.test(e.message),
    );
  });

  it('the program: plain double quotes (a caret-quoted path is split at its space), % outside them', () => {
    assert.equal(quoteCmdProgram('wsl.exe'), 'wsl.exe');
    assert.equal(
      quoteCmdProgram('C:\\Program Files (x86)\\py\\python.exe'),
      '"C:\\Program Files (x86)\\py\\python.exe"',
    );
    assert.equal(quoteCmdProgram('C:\\100%\\python.exe'), '"C:\\100"^%"\\python.exe"');
  });

  it('every argument reaches the program unchanged, with variables defined (model; property)', () => {
    const env = { PATH: 'C:\\Windows', HOME: 'C:\\Users\\ana', A: 'x' };
    const program = 'C:\\Program Files (x86)\\S&V 100%\\python.exe';
    fc.assert(
      fc.property(fc.array(fc.string({ unit: windowsChars }), { maxLength: 6 }), (args) => {
        const r = cmdRun(commandLine('cmd', program, args), env);
        assert.equal(r.program, program);
        assert.deepEqual(r.args, args);
      }),
      { numRuns: 300 },
    );
    for (const a of NASTY) assert.deepEqual(cmdRun(commandLine('cmd', program, [a]), env).args, [a], a);
  });

  it('environment values through `set ^"K=v^"` keep their metacharacters', () => {
    const line = envPrefix('cmd', [['X', 'a&b %PATH% "q" ^ (x)']]) + commandLine('cmd', 'wsl.exe', ['-d', 'Ubuntu']);
    const r = cmdRun(line, { PATH: 'C:\\Windows' });
    assert.equal(r.env.X, 'a&b %PATH% "q" ^ (x)');
    assert.deepEqual(r.args, ['-d', 'Ubuntu']);
    assert.throws(() => envPrefix('cmd', [['BAD NAME', 'x']]), StvError);
  });

  it('quoteWindowsArg is what CommandLineToArgvW reads back (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: windowsChars }), { maxLength: 6 }), (args) => {
        assert.deepEqual(parseWindowsArgs(args.map(quoteWindowsArg).join(' ')), args);
      }),
      { numRuns: 300 },
    );
  });
});

describe('quoting: bare words stay readable', () => {
  it('ordinary adapter arguments need no quotes in any shell', () => {
    const args = [
      '-m',
      'stv_adapter',
      'serve',
      '--host',
      '--port',
      '8055',
      'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
      '/home/ana/.cache/fastvideo',
    ];
    for (const a of args) {
      assert.equal(quotePosix(a), a);
      assert.equal(quotePowerShell(a), a);
      assert.equal(quoteCmd(a), a);
    }
  });
});
