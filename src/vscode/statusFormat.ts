/** Status-bar text and tooltip for a provider's health; no `vscode` import, so it is unit-tested. */
import type { HealthProblem, ProviderHealth, ProviderId, ServerHealth } from '../core/providers/types';
import { forExtension } from './setupSteps';

/** Shown in the tooltip of an untrusted workspace, where the extension starts no process. */
export const RESTRICTED_MODE_NOTE =
  "Restricted Mode: this workspace is not trusted, so Scene to Video starts no process (no adapter, no set-up) and ignores the workspace's Python, model and workflow paths. It still attaches to an adapter that is already running.";

export const PROVIDER_LABEL: Record<ProviderId, string> = {
  'comfyui-local': 'ComfyUI',
  'fastvideo-local': 'FastVideo',
};
const ICON: Record<ProviderHealth['state'], string> = {
  ok: '$(pass-filled)',
  degraded: '$(warning)',
  down: '$(error)',
  checking: '$(sync~spin)',
};

/** What the status bar says for each problem: a down server, a config that cannot run, missing models. */
export const PROBLEM_LABEL: Record<HealthProblem, string> = {
  unreachable: 'down',
  config: 'workflow or settings invalid',
  models: 'models missing',
  auth: 'token refused',
};

/**
 * `chosen`: whether the user picked this provider (a setting, not the default). The default one,
 * never picked, is not flagged as a failure: it reads "not set up" without the warning colours.
 */
export function statusText(provider: ProviderId, health: ProviderHealth | undefined, chosen = true): string {
  const state = health?.state ?? 'checking';
  if (!chosen && (state === 'down' || state === 'degraded'))
    return `$(circle-outline) ${PROVIDER_LABEL[provider]}: not set up`;
  const problem = health?.problem;
  return `${ICON[state]} ${PROVIDER_LABEL[provider]}: ${problem && problem !== 'unreachable' ? PROBLEM_LABEL[problem] : state}`;
}

/** One server of several, in a line: its address, state, whether it renders now, and what it said. */
export function serverLine(s: ServerHealth): string {
  return `${ICON[s.state]} ${s.endpoint}: ${s.state}${s.busy ? ', rendering' : ''} — ${s.summary}`;
}

/** "Ray cluster: 4 workers (1 busy) on 2 nodes", and how many are not taking jobs, if any. */
export function clusterSummary(c: NonNullable<ProviderHealth['cluster']>): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const down = c.workers - c.ready;
  return `${plural(c.workers, 'worker')} (${c.busy} busy) on ${plural(c.nodes, 'node')}${down > 0 ? `, ${down} starting or lost` : ''}`;
}

/** Markdown for the tooltip: endpoint (or each server), model, GPU and free VRAM, where it runs, last check. */
export function statusTooltip(provider: ProviderId, health: ProviderHealth | undefined, notes: string[] = []): string {
  const extra = notes.map((n) => `\n\n${n}`).join('');
  if (!health) return `**${PROVIDER_LABEL[provider]}**: checking…${extra}`;
  const servers = health.servers ?? [];
  const rows: [string, string | undefined][] = [
    ['State', `${health.state} — ${health.summary}`],
    // Several servers: a row each instead of one endpoint.
    ...(servers.length
      ? servers.map((s, i): [string, string] => [`Server ${i + 1}`, serverLine(s)])
      : [['Endpoint', health.endpoint] as [string, string]]),
    [
      'Model',
      health.model
        ? `${health.model}${health.notAi && !/not AI/i.test(health.model) ? ' (not AI)' : ''}${health.followsKeyframe === false ? ' — ignores keyframes' : ''}`
        : undefined,
    ],
    ['GPU', health.gpuName],
    [
      'Free VRAM',
      health.vramFreeMb !== undefined && health.vramTotalMb
        ? `${(health.vramFreeMb / 1024).toFixed(1)} of ${(health.vramTotalMb / 1024).toFixed(1)} GB`
        : undefined,
    ],
    ['Runs', health.location],
    ['Queue', health.queueDepth !== undefined ? String(health.queueDepth) : undefined],
    ['Ray cluster', health.cluster ? clusterSummary(health.cluster) : undefined],
    ['Checked', new Date(health.checkedAt).toLocaleTimeString()],
  ];
  const table = rows
    .filter((r): r is [string, string] => !!r[1])
    .map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`);
  const hint = health.error?.hint ? `\n\n${forExtension(health.error.hint)}` : '';
  return (
    [`**${PROVIDER_LABEL[provider]}**`, '', '| | |', '|---|---|', ...table].join('\n') +
    hint +
    extra +
    '\n\nClick to switch provider.'
  );
}

/** One row of the "Switch video provider" quick pick: the provider, its health, and why. */
export function providerPickItem(
  provider: ProviderId,
  health: ProviderHealth | undefined,
  active: ProviderId,
): { label: string; description: string; detail: string } {
  const state = health?.state ?? 'checking';
  return {
    label: `${provider === active ? '$(check) ' : ''}${PROVIDER_LABEL[provider]}`,
    description: `${provider} · ${ICON[state]} ${state}`,
    detail: !health
      ? 'checking…'
      : health.servers?.length
        ? // A server each, so the picker says which one is down or busy.
          health.servers.map((s) => `${s.endpoint} ${s.state}${s.busy ? ' (rendering)' : ''}`).join(' · ')
        : `${health.summary}${health.endpoint && !health.summary.includes(health.endpoint) ? ` — ${health.endpoint}` : ''}`,
  };
}
