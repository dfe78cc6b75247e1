/** Status-bar text and tooltip for a provider's health; no `vscode` import, so it is unit-tested. */
import type { ProviderHealth, ProviderId } from '../core/providers/types';

export const PROVIDER_LABEL: Record<ProviderId, string> = { 'comfyui-local': 'ComfyUI', 'fastvideo-local': 'FastVideo' };
const ICON: Record<ProviderHealth['state'], string> = { ok: '$(pass-filled)', degraded: '$(warning)', down: '$(error)', checking: '$(sync~spin)' };

export function statusText(provider: ProviderId, health: ProviderHealth | undefined): string {
  const state = health?.state ?? 'checking';
  return `${ICON[state]} ${PROVIDER_LABEL[provider]}: ${state}`;
}

/** Markdown for the tooltip: endpoint, model, GPU and free VRAM, where it runs, last check. */
export function statusTooltip(provider: ProviderId, health: ProviderHealth | undefined): string {
  if (!health) return `**${PROVIDER_LABEL[provider]}**: checking…`;
  const rows: [string, string | undefined][] = [
    ['State', `${health.state} — ${health.summary}`],
    ['Endpoint', health.endpoint],
    ['Model', health.model ? `${health.model}${health.notAi ? ' (not AI)' : ''}${health.followsKeyframe === false ? ' — ignores keyframes' : ''}` : undefined],
    ['GPU', health.gpuName],
    ['Free VRAM', health.vramFreeMb !== undefined && health.vramTotalMb ? `${(health.vramFreeMb / 1024).toFixed(1)} of ${(health.vramTotalMb / 1024).toFixed(1)} GB` : undefined],
    ['Runs', health.location],
    ['Queue', health.queueDepth !== undefined ? String(health.queueDepth) : undefined],
    ['Checked', new Date(health.checkedAt).toLocaleTimeString()],
  ];
  const table = rows.filter((r): r is [string, string] => !!r[1]).map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`);
  const hint = health.error?.hint ? `\n\n${health.error.hint}` : '';
  return [`**${PROVIDER_LABEL[provider]}**`, '', '| | |', '|---|---|', ...table].join('\n') + hint + '\n\nClick to switch provider.';
}
