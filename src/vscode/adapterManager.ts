/**
 * The FastVideo adapter's lifecycle in VS Code: attach when fastVideo.endpointUrl answers,
 * otherwise run it in an integrated terminal (the process is the terminal's, so the user sees its
 * log and traceback), report a crash with "Show terminal" / "Restart", stop it on request.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import {
  WSL_DEFAULT_PYTHON,
  buildAdapterLaunch,
  type LaunchPlan,
  findPython,
  pythonCandidates,
  toShellCommandLine,
} from '../core/launch/adapterLaunch';
import { chooseLaunchMode, describeLocation } from '../core/launch/mode';
import { isLoopbackHostname } from '../core/net/loopback';
import { RealWslProbe, checkWsl, type WslProbe } from '../core/launch/wslProbe';
import type { Settings } from '../core/settings/schema';
import { log } from './log';
import { hasNvidiaGpu, runSetup } from './onboarding';
import type { SetupKind } from './setupSteps';
import { TOKEN_KEY, type ProviderHub } from './providerHub';

export class AdapterManager implements vscode.Disposable {
  private terminal?: vscode.Terminal;
  private stopping = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly hub: ProviderHub,
    private readonly settings: () => Settings,
    private readonly probe: WslProbe = new RealWslProbe(),
  ) {
    this.subs.push(vscode.window.onDidCloseTerminal((t) => t === this.terminal && this.onClosed(t)));
    // A process that dies may leave its terminal open (showing the traceback): health tells.
    this.subs.push(
      hub.onDidChangeHealth((h) => {
        if (h.provider !== 'fastvideo-local' || !this.terminal || this.stopping) return;
        if (h.state !== 'down') this.wasUp = true;
        else if (this.wasUp && !this.crashReported) this.reportCrash(this.terminal.exitStatus?.code);
      }),
    );
  }

  private wasUp = false;
  private crashReported = false;

  private reportCrash(code: number | undefined): void {
    this.crashReported = true;
    log().error(`the FastVideo adapter stopped (exit code ${code ?? '?'})`);
    void vscode.window
      .showErrorMessage(
        `The FastVideo adapter stopped (exit code ${code ?? 'unknown'}). Renders in progress failed.`,
        'Show terminal',
        'Restart',
        'Show log',
      )
      .then((pick) => {
        if (pick === 'Show terminal') this.terminal?.show();
        if (pick === 'Restart') void vscode.commands.executeCommand('sceneToVideo.startAdapter', { restart: true });
        if (pick === 'Show log') log().show();
      });
  }

  isRunning(): boolean {
    return !!this.terminal && this.terminal.exitStatus === undefined;
  }

  /**
   * Attaches to a running adapter or starts one; resolves when /health answers. `restart` first ends
   * the adapter this window started; aborting `signal` stops waiting and ends what was started.
   */
  async start(
    opts: { signal?: AbortSignal; restart?: boolean; backend?: 'fastvideo' | 'preview' } = {},
  ): Promise<'attached' | 'started'> {
    if (!vscode.workspace.isTrusted)
      throw new StvError(
        'WORKSPACE_UNTRUSTED',
        'This workspace is not trusted, so Scene to Video does not start the FastVideo adapter.',
        'Trust the workspace (Workspaces: Manage Workspace Trust), or start the adapter yourself and set fastVideo.endpointUrl.',
      );
    if (opts.restart) this.stop();
    const s = this.settings().fastVideo;
    const h = await this.hub.check('fastvideo-local');
    if (h.state !== 'down') return 'attached';
    if (this.isRunning()) return this.waitUntilUp(opts.signal);
    const url = new URL(s.endpointUrl);
    if (!isLoopbackHostname(url.hostname))
      throw new StvError(
        'UNREACHABLE',
        `fastVideo.endpointUrl points at another machine (${url.host}), which does not answer; the extension only starts adapters on this machine.`,
        'Start the adapter on that machine, or set fastVideo.endpointUrl to http://127.0.0.1:8055.',
      );
    const choice = chooseLaunchMode(
      s.launch,
      process.platform,
      s.launch === 'native' ? false : await this.probe.available(),
    );
    if (choice.note) log().warn(choice.note);
    let backend = opts.backend ?? s.backend;
    const token = (await this.ctx.secrets.get(TOKEN_KEY)) || undefined;
    const common = {
      platform: process.platform,
      host: '127.0.0.1',
      port: Number(url.port || 8055),
      modelId: s.modelId,
      ...(s.modelPath ? { modelPath: s.modelPath } : {}),
      attentionBackend: s.attentionBackend,
      cpuOffload: s.cpuOffload,
      // Its per-job records go to the extension's storage, not the workspace it runs in.
      artifactsDir: path.join(this.ctx.globalStorageUri.fsPath, 'adapter-runs'),
      // The token travels in the environment only; never on the command line.
      extraEnv: token ? { STV_ADAPTER_TOKEN: token } : ({} as Record<string, string>),
    };
    let plan;
    const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    if (choice.mode === 'wsl') {
      const distro = await checkWsl(this.probe, s.wslDistro, { needGpu: backend === 'fastvideo' });
      plan = buildAdapterLaunch({
        ...common,
        mode: 'wsl',
        wslDistro: distro.name,
        pythonPath: s.pythonPath || WSL_DEFAULT_PYTHON,
        backend,
      });
      this.hub.location = describeLocation('wsl', distro.name);
    } else {
      const python = this.findEnvironment();
      if (!python)
        throw new StvError(
          'SETTINGS_INVALID',
          'No Python environment with the adapter was found.',
          'Run "Scene to Video: Set up the FastVideo adapter", or set fastVideo.pythonPath to the environment\'s python.',
        );
      if (backend === 'fastvideo' && !(await hasNvidiaGpu())) backend = await this.offerPreviewWithoutGpu();
      plan = buildAdapterLaunch({ ...common, mode: 'native', pythonPath: python, backend });
      this.hub.location = describeLocation('native');
    }
    this.openTerminal(plan, workspaceDirs);
    return this.waitUntilUp(opts.signal);
  }

  /** No NVIDIA GPU answers: asks whether to start the preview backend instead (and remembers a yes). */
  private async offerPreviewWithoutGpu(): Promise<'fastvideo' | 'preview'> {
    const pick = await vscode.window.showWarningMessage(
      'No NVIDIA GPU answers on this machine, so FastVideo cannot run here. Start the preview backend (not AI: it animates each keyframe) instead?',
      'Use preview',
      'Start FastVideo anyway',
    );
    if (!pick) throw new StvError('CANCELLED', 'Not started.');
    if (pick !== 'Use preview') return 'fastvideo';
    await vscode.workspace
      .getConfiguration('fastVideo')
      .update('backend', 'preview', vscode.ConfigurationTarget.Global);
    return 'preview';
  }

  /** Runs the adapter's launch plan in an integrated terminal, logging its command line and warnings. */
  private openTerminal(plan: LaunchPlan, workspaceDirs: string[]): void {
    this.hub.invalidate();
    // Logged as a line the user can paste into their own shell (without the token).
    log().info(
      `starting the FastVideo adapter (${plan.description}): ${toShellCommandLine(plan, process.platform === 'win32' ? 'powershell' : 'bash')}`,
    );
    for (const w of plan.warnings ?? []) {
      log().warn(w);
      void vscode.window.showWarningMessage(w);
    }
    this.stopping = false;
    this.wasUp = false;
    this.crashReported = false;
    this.terminal = vscode.window.createTerminal({
      name: 'FastVideo adapter',
      shellPath: plan.executable,
      shellArgs: plan.args,
      env: plan.env,
      cwd: workspaceDirs[0] ?? this.ctx.extensionPath,
      iconPath: new vscode.ThemeIcon('server-process'),
    });
    this.terminal.show(true);
  }

  /** Creates the adapter's environment (onboarding.ts); resolves when it is done. */
  setUp(kind: SetupKind): Promise<void> {
    return runSetup(this.ctx, kind);
  }

  /** The adapter's Python on this machine (configured, a workspace's or the extension's venv, or the set-up's), if any. */
  findEnvironment(): string | undefined {
    const s = this.settings().fastVideo;
    if (s.launch === 'wsl' || (s.launch === 'auto' && process.platform === 'win32'))
      return s.pythonPath || WSL_DEFAULT_PYTHON; // WSL: checked when it starts
    const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return findPython(
      pythonCandidates({
        platform: process.platform,
        configured: s.pythonPath || undefined,
        workspaceDirs,
        extensionDir: this.ctx.extensionPath,
      }),
    );
  }

  private async waitUntilUp(signal?: AbortSignal): Promise<'started'> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (signal?.aborted) {
        this.stop();
        throw new StvError('CANCELLED', 'Starting the FastVideo adapter was cancelled; the adapter was stopped.');
      }
      if (this.terminal?.exitStatus)
        throw new StvError(
          'ADAPTER_CRASHED',
          `The FastVideo adapter exited while starting (exit code ${this.terminal.exitStatus.code ?? '?'}).`,
          'Look at the "FastVideo adapter" terminal for the reason.',
        );
      const h = await this.hub.check('fastvideo-local');
      if (h.state !== 'down') return 'started';
      await new Promise<void>((r) => {
        const t = setTimeout(done, 1000);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          r();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    throw new StvError(
      'TIMEOUT',
      'The FastVideo adapter did not answer within 3 minutes.',
      'Look at the "FastVideo adapter" terminal.',
    );
  }

  stop(): boolean {
    if (!this.terminal) return false;
    this.stopping = true;
    this.terminal.dispose();
    this.terminal = undefined;
    void this.hub.check('fastvideo-local');
    return true;
  }

  showTerminal(): void {
    this.terminal?.show();
  }

  private onClosed(t: vscode.Terminal): void {
    if (!this.stopping && !this.crashReported) this.reportCrash(t.exitStatus?.code);
    this.terminal = undefined;
    void this.hub.check('fastvideo-local');
  }

  dispose(): void {
    this.subs.forEach((d) => d.dispose());
  }
}
