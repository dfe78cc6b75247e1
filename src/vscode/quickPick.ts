import * as vscode from 'vscode';

/**
 * Whether a picker should stay open when it loses focus. With a webview as the active editor (our
 * scene panel, a Markdown preview), the focus that VS Code hands back to the webview as the command
 * palette closes can arrive after our picker has opened, which then closes at once
 * (microsoft/vscode#93950; most likely what closed the scene picker in one of our CI runs). Escape
 * still closes it.
 */
export function keepPickerOpen(): boolean {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  // The timeline editor is a webview too (a custom editor's tab).
  return input instanceof vscode.TabInputWebview || input instanceof vscode.TabInputCustom;
}
