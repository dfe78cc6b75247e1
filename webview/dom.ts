/** Small DOM builders the editor's views share: elements, keyed controls (focus survives redraws), buttons, links. */
import '@vscode-elements/elements/dist/vscode-button/index.js';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

/** Every control gets a stable key (action + its data) so focus can be put back after a redraw. */
export function keyed(e: HTMLElement, action: string, data: Record<string, string>): HTMLElement {
  e.dataset.action = action;
  for (const [k, v] of Object.entries(data)) e.dataset[k] = v;
  e.dataset.key = [action, ...Object.values(data)].join('|');
  return e;
}

export function button(
  label: string,
  action: string,
  data: Record<string, string> = {},
  opts: { secondary?: boolean; icon?: string; ariaLabel?: string } = {},
): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.icon) b.setAttribute('icon', opts.icon);
  if (opts.ariaLabel) b.setAttribute('aria-label', opts.ariaLabel);
  return keyed(b, action, data);
}

/** A small icon-only button (codicon) with a label for screen readers and a tooltip. */
export function iconButton(icon: string, label: string, action: string, data: Record<string, string>): HTMLElement {
  const b = el('button', { class: 'icon', type: 'button', 'aria-label': label, title: label });
  b.append(el('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }));
  return keyed(b, action, data);
}

export function link(label: string, action: string, data: Record<string, string> = {}): HTMLElement {
  return keyed(el('button', { class: 'link', type: 'button' }, label), action, data);
}
