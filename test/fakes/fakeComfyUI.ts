/**
 * An in-process fake of ComfyUI's HTTP + WebSocket protocol, shaped after the real server
 * (server.py routes, execution.py messages, comfy_api PreviewVideo outputs). It "executes" a
 * prompt by walking its nodes with the same message sequence the real server sends, and saves a
 * real MP4. Knobs let tests reject prompts, fail nodes, drop sockets and change output shapes.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeComfyOptions {
  nodeTypes?: string[];
  models?: Record<string, string[]>; // loader class -> available files
  videoFixture: string;
  stepDelayMs?: number;
  steps?: number;
  /** 'images-animated' (core SaveVideo), 'videos', or 'gifs' (VideoHelperSuite). */
  outputShape?: 'images-animated' | 'videos' | 'gifs';
  failNode?: { nodeId: string; message: string; type?: string };
  rejectWith?: { status: number; body: unknown };
  dropSocketsAtStep?: number;
  garbage?: boolean;
  silent?: boolean;
}

interface PromptState {
  id: string;
  clientId: string;
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  status: 'pending' | 'running' | 'done';
  interrupted: boolean;
}

export const DEFAULT_NODE_TYPES = ['UNETLoader', 'CLIPLoader', 'VAELoader', 'LoadImage', 'CLIPTextEncode', 'Wan22ImageToVideoLatent', 'ModelSamplingSD3', 'KSampler', 'VAEDecode', 'CreateVideo', 'SaveVideo', 'RepeatImageBatch'];

export class FakeComfyUI {
  private server?: Server;
  private wss?: WebSocketServer;
  private readonly sockets = new Map<string, Set<WebSocket>>();
  private readonly queue: PromptState[] = [];
  private running?: PromptState;
  readonly history: Record<string, unknown> = {};
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'fake-comfy-'));
  readonly received: { prompts: PromptState[]; uploads: string[]; interrupts: unknown[]; deletes: unknown[] } = { prompts: [], uploads: [], interrupts: [], deletes: [] };
  port = 0;

  constructor(public opts: FakeComfyOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/ws' || this.opts.silent) return socket.destroy();
      this.wss?.handleUpgrade(req, socket, head, (ws) => {
        const cid = u.searchParams.get('clientId') ?? randomUUID();
        if (!this.sockets.has(cid)) this.sockets.set(cid, new Set());
        this.sockets.get(cid)?.add(ws);
        ws.on('close', () => this.sockets.get(cid)?.delete(ws));
        ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: this.queue.length } }, sid: cid } }));
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
    this.wss?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  dropSockets(): void {
    for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
  }

  private send(clientId: string, type: string, data: Record<string, unknown>): void {
    for (const ws of this.sockets.get(clientId) ?? []) ws.send(JSON.stringify({ type, data }));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (this.opts.garbage) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.opts.silent) return; // never answers: the client's timeout must fire
    const u = new URL(req.url ?? '/', 'http://x');
    const types = this.opts.nodeTypes ?? DEFAULT_NODE_TYPES;
    if (req.method === 'GET' && u.pathname === '/system_stats')
      return this.json(res, 200, { system: { os: 'posix', comfyui_version: '0.3.99-fake', python_version: '3.12', pytorch_version: '2.8.0' }, devices: [{ name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', type: 'cuda', index: 0, vram_total: 24 * 2 ** 30, vram_free: 20 * 2 ** 30, torch_vram_total: 0, torch_vram_free: 0 }] });
    if (req.method === 'GET' && u.pathname === '/object_info') {
      const models = this.opts.models ?? { UNETLoader: ['wan2.2_ti2v_5B_fp16.safetensors'], CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'], VAELoader: ['wan2.2_vae.safetensors'] };
      const field: Record<string, string> = { UNETLoader: 'unet_name', CLIPLoader: 'clip_name', VAELoader: 'vae_name' };
      const info: Record<string, unknown> = {};
      for (const t of types) info[t] = { input: { required: field[t] ? { [field[t] as string]: [models[t] ?? []] } : {} }, output: [], name: t };
      return this.json(res, 200, info);
    }
    if (req.method === 'POST' && u.pathname === '/upload/image') {
      const form = await new Request('http://x/', { method: 'POST', headers: req.headers as Record<string, string>, body: await this.body(req) }).formData();
      const file = form.get('image') as File;
      const sub = String(form.get('subfolder') ?? '');
      mkdirSync(path.join(this.dir, 'input', sub), { recursive: true });
      writeFileSync(path.join(this.dir, 'input', sub, file.name), Buffer.from(await file.arrayBuffer()));
      this.received.uploads.push(file.name);
      return this.json(res, 200, { name: file.name, subfolder: sub, type: 'input' });
    }
    if (req.method === 'POST' && u.pathname === '/prompt') {
      const body = JSON.parse((await this.body(req)).toString()) as { prompt: PromptState['prompt']; client_id: string };
      if (this.opts.rejectWith) return this.json(res, this.opts.rejectWith.status, this.opts.rejectWith.body);
      for (const [id, n] of Object.entries(body.prompt)) {
        if (!types.includes(n.class_type))
          return this.json(res, 400, { error: { type: 'missing_node_type', message: `Node '${n.class_type}' not found. The custom node may not be installed.`, details: `Node ID '#${id}'`, extra_info: { node_id: id, class_type: n.class_type } }, node_errors: {} });
      }
      const p: PromptState = { id: randomUUID(), clientId: body.client_id, prompt: body.prompt, status: 'pending', interrupted: false };
      this.queue.push(p);
      this.received.prompts.push(p);
      this.json(res, 200, { prompt_id: p.id, number: this.received.prompts.length, node_errors: {} });
      void this.pump();
      return;
    }
    if (req.method === 'GET' && u.pathname.startsWith('/history/')) {
      const id = decodeURIComponent(u.pathname.slice('/history/'.length));
      return this.json(res, 200, id in this.history ? { [id]: this.history[id] } : {});
    }
    if (req.method === 'GET' && u.pathname === '/queue') {
      const row = (p: PromptState) => [0, p.id, p.prompt, { client_id: p.clientId }, []];
      return this.json(res, 200, { queue_running: this.running ? [row(this.running)] : [], queue_pending: this.queue.map(row) });
    }
    if (req.method === 'POST' && u.pathname === '/queue') {
      const body = JSON.parse((await this.body(req)).toString() || '{}') as { delete?: string[] };
      this.received.deletes.push(body);
      for (const id of body.delete ?? []) {
        const i = this.queue.findIndex((p) => p.id === id);
        if (i >= 0) this.queue.splice(i, 1);
      }
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'POST' && u.pathname === '/interrupt') {
      const raw = (await this.body(req)).toString();
      const body = raw ? (JSON.parse(raw) as { prompt_id?: string }) : {};
      this.received.interrupts.push(body);
      if (this.running && (!body.prompt_id || body.prompt_id === this.running.id)) this.running.interrupted = true;
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET' && u.pathname === '/view') {
      const file = path.join(this.dir, u.searchParams.get('type') ?? 'output', u.searchParams.get('subfolder') ?? '', u.searchParams.get('filename') ?? '');
      try {
        const bytes = readFileSync(file);
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length }).end(bytes);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    res.writeHead(404).end();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const p = this.queue.shift();
    if (!p) return;
    this.running = p;
    p.status = 'running';
    try {
      await this.execute(p);
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }

  private async execute(p: PromptState): Promise<void> {
    const delay = this.opts.stepDelayMs ?? 5;
    const steps = this.opts.steps ?? 8;
    const wait = () => new Promise((r) => setTimeout(r, delay));
    const messages: [string, unknown][] = [];
    const emit = (type: string, data: Record<string, unknown>) => {
      const d = { ...data, prompt_id: p.id };
      if (type.startsWith('execution_')) messages.push([type, { ...d, timestamp: Date.now() }]);
      this.send(p.clientId, type, d);
    };
    emit('execution_start', { timestamp: Date.now() });
    emit('execution_cached', { nodes: [] });
    const outputs: Record<string, unknown> = {};
    for (const [id, node] of Object.entries(p.prompt)) {
      if (p.interrupted) break;
      emit('executing', { node: id, display_node: id });
      await wait();
      if (this.opts.failNode?.nodeId === id) {
        emit('execution_error', { node_id: id, node_type: node.class_type, executed: [], exception_message: this.opts.failNode.message, exception_type: this.opts.failNode.type ?? 'RuntimeError', traceback: [], current_inputs: {}, current_outputs: {} });
        this.history[p.id] = { prompt: [0, p.id, p.prompt, {}, []], outputs: {}, status: { status_str: 'error', completed: false, messages }, meta: {} };
        return;
      }
      if (node.class_type === 'KSampler') {
        for (let s = 1; s <= steps && !p.interrupted; s++) {
          await wait();
          emit('progress', { value: s, max: steps, node: id });
          if (this.opts.dropSocketsAtStep === s) this.dropSockets();
        }
      }
      if (node.class_type === 'SaveVideo') {
        const prefix = String(node.inputs.filename_prefix ?? 'ComfyUI');
        const sub = path.dirname(prefix) === '.' ? '' : path.dirname(prefix);
        const name = `${path.basename(prefix)}_00001_.mp4`;
        mkdirSync(path.join(this.dir, 'output', sub), { recursive: true });
        copyFileSync(this.opts.videoFixture, path.join(this.dir, 'output', sub, name));
        const saved = [{ filename: name, subfolder: sub, type: 'output' }];
        const shape = this.opts.outputShape ?? 'images-animated';
        const out = shape === 'videos' ? { videos: saved } : shape === 'gifs' ? { gifs: saved.map((f) => ({ ...f, format: 'video/h264-mp4' })) } : { images: saved, animated: [true] };
        outputs[id] = out;
        emit('executed', { node: id, display_node: id, output: out });
      }
    }
    if (p.interrupted) {
      emit('execution_interrupted', { node_id: 'x', node_type: 'KSampler', executed: [] });
      this.history[p.id] = { prompt: [0, p.id, p.prompt, {}, []], outputs: {}, status: { status_str: 'error', completed: false, messages }, meta: {} };
      return;
    }
    // As the real server: execution_success first, then the history entry (prompt_worker's
    // task_done), then `executing` with node null.
    emit('execution_success', {});
    await wait();
    this.history[p.id] = { prompt: [0, p.id, p.prompt, {}, []], outputs, status: { status_str: 'success', completed: true, messages }, meta: {} };
    emit('executing', { node: null });
  }
}
