#!/usr/bin/env node
/**
 * `scene-to-video`: the same core as the extension, headless.
 *   render <timeline> [--scene id ...] [--provider comfyui-local|fastvideo-local] [--endpoint URL]
 *          [--backend preview|fastvideo] [--output DIR] [--json] [--start-adapter | --no-start-adapter]
 *   validate <timeline>
 *   upgrade <timeline>                      (version 1 -> 2, keeping the file's formatting)
 *   import <gemDirect1 file> [--out DIR]    (project export, story or scene file)
 *   health [--provider ...] [--endpoint URL]   (ComfyUI: URL,URL,... for several servers)
 *   keyframe <timeline> --shot ID [--end] [--variants N] [--seed S] [--pick FILE]
 * Exit codes: 0 ok, 1 a render failed, 2 bad input, 3 provider unreachable, 130 cancelled.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROVIDER_IDS, type ProviderId } from './core/providers/types';
import { CLI_OPTIONS, EXIT, type CliCommand, type CliIo } from './cli/context';
import { healthCommand } from './cli/health';
import { renderCommand } from './cli/render';
import { validateCommand } from './cli/validate';
import { upgradeCli } from './cli/upgrade';
import { importCli } from './cli/import';
import { CUT_COMMANDS, CUT_USAGE, cutMain } from './cli/cut';
import { KEYFRAME_USAGE, keyframeCommand } from './cli/keyframe';

export { EXIT, type CliIo } from './cli/context';

const USAGE = `Usage:
  scene-to-video render <timeline.json> [--scene ID ...] [--provider comfyui-local|fastvideo-local]
                        [--endpoint URL] [--backend preview|fastvideo] [--output DIR] [--json]
                        [--start-adapter | --no-start-adapter]
                        [--workflow api-workflow.json --mapping mapping.json]   (ComfyUI: your own workflow)
  scene-to-video validate <timeline.json>
  scene-to-video upgrade <timeline.json>           (rewrite a version 1 timeline as version 2)
  scene-to-video import <gemDirect1.json> [--out DIR]
                        (a gemDirect1 project export, story or scene file -> <name>.timeline.json + keyframes/)
  --scene takes a scene id (all its shots) or scene/shot.
${KEYFRAME_USAGE}${CUT_USAGE}  scene-to-video health [--provider ID] [--endpoint URL]
  --endpoint takes several ComfyUI servers as URL,URL,... (one job each at a time; health prints each).
  -h, --help            print this and exit
`;

/** The commands parsed with CLI_OPTIONS; the cut's commands (src/cli/cut.ts) parse their own. */
const COMMANDS = new Map<string, CliCommand>([
  ['render', renderCommand],
  ['validate', validateCommand],
  ['health', healthCommand],
  ['upgrade', upgradeCli],
  ['import', importCli],
  ['keyframe', keyframeCommand],
]);

function repoRoot(): string {
  // dist/cli.js (bundled) or out/src/cli.js (compiled tests): the repository is above either.
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'python', 'pyproject.toml'))) return dir;
    dir = path.dirname(dir);
  }
  return path.dirname(__dirname);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const err = (line: string) => io.stderr.write(`${line}\n`);
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command && CUT_COMMANDS.has(command) && !rest.includes('--help') && !rest.includes('-h'))
    return cutMain(command, rest, io, { repoRoot: repoRoot(), run: (a) => main(a, io) });
  let args;
  try {
    args = parseArgs({ args: rest, allowPositionals: true, options: CLI_OPTIONS });
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.badInput;
  }
  const o = args.values;
  if (o.help || !command) {
    io.stdout.write(USAGE);
    return command ? EXIT.ok : EXIT.badInput;
  }
  if (o.provider && !PROVIDER_IDS.includes(o.provider as ProviderId)) {
    err(`Unknown provider "${o.provider}": use ${PROVIDER_IDS.join(' or ')}.`);
    return EXIT.badInput;
  }
  if (o.backend && o.backend !== 'preview' && o.backend !== 'fastvideo') {
    err(`Unknown backend "${o.backend}": use preview or fastvideo.`);
    return EXIT.badInput;
  }
  const run = COMMANDS.get(command);
  if (!run) {
    err(`Unknown command "${command}".\n\n${USAGE}`);
    return EXIT.badInput;
  }
  const token = io.env.STV_ADAPTER_TOKEN || undefined;
  return run({ io, o, positionals: args.positionals, usage: USAGE, err, token, repoRoot });
}

if (require.main === module) {
  let onInt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (onInt = resolve));
  let count = 0;
  process.on('SIGINT', () => {
    if (++count > 1) process.exit(EXIT.cancelled); // a second Ctrl-C does not wait
    onInt();
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
