/**
 * Registers every contributed command at activation, each with a handler that loads commands.ts
 * on the first call: the handlers pull in most of the extension (the timeline loader and its zod
 * schemas, the importers, the cut, keyframe generation, onboarding), none of which a window needs
 * until a command runs. An error is reported, never thrown back (nobody waits on a button).
 */
import * as vscode from 'vscode';
import { COMMAND_IDS, type CommandId } from './commandIds';
import type { CommandDeps, CommandHandler } from './commands';
import { showError } from './render';

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  let handlers: Promise<Record<CommandId, CommandHandler>> | undefined;
  const load = () =>
    (handlers ??= import('./commands.js').then(
      (m) => m.commandHandlers(d),
      (e: unknown) => {
        // A failed load (a broken install) is retried by the next command rather than remembered.
        handlers = undefined;
        throw e;
      },
    ));
  return COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await (await load())[id](...args);
      } catch (e) {
        void showError(e, d.settings().videoProvider);
        return undefined;
      }
    }),
  );
}
