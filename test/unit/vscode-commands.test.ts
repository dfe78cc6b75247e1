import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/vscode/commandIds';
import { repoRoot } from '../helpers/paths';

interface Manifest {
  contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string }[]>; walkthroughs: { steps: { description: string }[] }[] };
}

describe('commands', () => {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
  const contributed = manifest.contributes.commands.map((c) => c.command);

  it('has a handler for every command package.json contributes, and contributes every handled one', () => {
    const handled = new Set<string>(COMMAND_IDS);
    assert.deepEqual(contributed.filter((c) => !handled.has(c)), [], 'contributed without a handler');
    assert.deepEqual([...handled].filter((c) => !contributed.includes(c)), [], 'handled but not contributed');
    assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
  });

  it('menus and walkthrough links name only contributed commands', () => {
    const inMenus = Object.values(manifest.contributes.menus).flat().map((m) => m.command);
    const inSteps = manifest.contributes.walkthroughs.flatMap((w) => w.steps).flatMap((s) => [...s.description.matchAll(/command:([\w.]+)/g)].map((m) => m[1] ?? ''));
    for (const c of [...inMenus, ...inSteps]) assert.ok(contributed.includes(c), `${c} is not contributed`);
  });
});
