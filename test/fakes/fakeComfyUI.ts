/**
 * An in-process fake of ComfyUI's HTTP + WebSocket protocol, shaped after the real server
 * (server.py routes, execution.py messages, comfy_api PreviewVideo outputs). It "executes" a
 * prompt by walking its nodes with the same message sequence the real server sends, and saves a
 * real MP4. Knobs let tests reject prompts, fail nodes, drop sockets and change output shapes.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { repoRoot } from '../helpers/paths';
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
  /** Every HTTP answer is an HTML error page (a proxy in front of a dead server). */
  garbage?: boolean;
  /** Only these paths answer garbage, e.g. ['/history'] to break a render mid-way. */
  garbageOn?: string[];
  /** Accepts connections and never answers; refuses WebSocket upgrades. */
  silent?: boolean;
  /** Refuses WebSocket upgrades but answers HTTP (a proxy that does not pass WebSockets). */
  silentWs?: boolean;
  /** Free VRAM reported by /system_stats, in GiB (default 20 of 24). */
  vramFreeGb?: number;
  /** Resets every connection (a crashed server whose port is still half there). */
  refuse?: boolean;
  /** Called at each KSampler step, for faults injected mid-render. */
  onStep?: (step: number, fake: FakeComfyUI) => void;
  /** The prompt keeps running after /interrupt (a node that never checks for interrupts). */
  ignoreInterrupt?: boolean;
  /** What SaveVideo reports instead of the file it saved (to test hostile names). */
  outputOverride?: { filename: string; subfolder: string; type?: string };
  /** Saves the uploaded keyframe and never answers the upload (issue 13, as the client saw it). */
  hangUpload?: boolean;
  /** How a missing node type is rejected: ComfyUI 0.3.x (`invalid_prompt`) or newer (`missing_node_type`). */
  missingNodeShape?: 'invalid_prompt' | 'missing_node_type';
}

interface PromptState {
  id: string;
  clientId: string;
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  status: 'pending' | 'running' | 'done';
  interrupted: boolean;
  /** Forgotten by a simulated restart: it stops silently, with no history entry. */
  lost?: boolean;
}

const MODEL_FIELDS: Record<string, string> = {
  UNETLoader: 'unet_name',
  CLIPLoader: 'clip_name',
  VAELoader: 'vae_name',
};
const DEFAULT_MODELS: Record<string, string[]> = {
  UNETLoader: ['wan2.2_ti2v_5B_fp16.safetensors'],
  CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'],
  VAELoader: ['wan2.2_vae.safetensors', 'pixel_space'],
};

/** /object_info of a real ComfyUI 0.3.64 for DEFAULT_NODE_TYPES (test/fixtures/comfyui/object_info-0.3.64.json). */
const REAL_OBJECT_INFO = JSON.parse(
  readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/object_info-0.3.64.json'), 'utf8'),
) as Record<string, { input: { required?: Record<string, unknown>; optional?: Record<string, unknown> } }>;

export const DEFAULT_NODE_TYPES = [
  'UNETLoader',
  'CLIPLoader',
  'VAELoader',
  'LoadImage',
  'CLIPTextEncode',
  'Wan22ImageToVideoLatent',
  'ModelSamplingSD3',
  'KSampler',
  'VAEDecode',
  'CreateVideo',
  'SaveVideo',
  'RepeatImageBatch',
];

export class FakeComfyUI {
  private server?: Server;
  private wss?: WebSocketServer;
  /** One socket per clientId: the real server replaces the old one when a client reconnects. */
  private readonly sockets = new Map<string, WebSocket>();
  private lastNode?: string;
  private readonly queue: PromptState[] = [];
  private running?: PromptState;
  history: Record<string, unknown> = {};
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'fake-comfy-'));
  readonly received: {
    prompts: PromptState[];
    uploads: string[];
    interrupts: unknown[];
    deletes: unknown[];
    views: string[];
  } = { prompts: [], uploads: [], interrupts: [], deletes: [], views: [] };
  port = 0;
  /** The most prompts it ever held at once (queued and running): 1 when a client sends one at a time. */
  maxInFlight = 0;

  constructor(public opts: FakeComfyOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/ws' || this.opts.silent || this.opts.silentWs) return socket.destroy();
      this.wss?.handleUpgrade(req, socket, head, (ws) => {
        const cid = u.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
        this.sockets.set(cid, ws); // as server.py: a reconnect replaces the old socket, which is not closed
        ws.on('close', () => {
          if (this.sockets.get(cid) === ws) this.sockets.delete(cid);
        });
        ws.send(
          JSON.stringify({
            type: 'status',
            data: { status: { exec_info: { queue_remaining: this.queueRemaining() } }, sid: cid },
          }),
        );
        // On reconnect the real server repeats the node it runs, without a prompt_id.
        if (this.running?.clientId === cid && this.lastNode)
          ws.send(JSON.stringify({ type: 'executing', data: { node: this.lastNode } }));
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.values()) ws.terminate();
    this.server?.closeAllConnections();
    this.wss?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * A restart: sockets drop, the queue and the running prompt are forgotten (ComfyUI keeps them
   * in memory only), the history is empty.
   */
  crash(): void {
    if (this.running) this.running.lost = true;
    this.queue.length = 0;
    this.history = {};
    this.dropSockets();
  }

  dropSockets(): void {
    for (const ws of this.sockets.values()) ws.terminate();
  }

  private queueRemaining(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  private send(clientId: string | undefined, type: string, data: Record<string, unknown>): void {
    const ws = clientId ? this.sockets.get(clientId) : undefined;
    if (ws?.readyState === ws?.OPEN) ws?.send(JSON.stringify({ type, data }));
  }

  /** `status` goes to every client whenever the queue changes (server.py queue_updated). */
  private broadcastStatus(): void {
    for (const ws of this.sockets.values())
      if (ws.readyState === ws.OPEN)
        ws.send(
          JSON.stringify({
            type: 'status',
            data: { status: { exec_info: { queue_remaining: this.queueRemaining() } } },
          }),
        );
  }

  private json(res: ServerResponse, status: number, body: unknown, pathname = ''): void {
    if (this.opts.garbage || this.opts.garbageOn?.some((p) => pathname.startsWith(p))) {
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
    if (this.opts.refuse) {
      req.socket.destroy();
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const types = this.opts.nodeTypes ?? DEFAULT_NODE_TYPES;
    if (req.method === 'GET' && u.pathname === '/system_stats')
      return this.json(
        res,
        200,
        {
          system: { os: 'posix', comfyui_version: '0.3.99-fake', python_version: '3.12', pytorch_version: '2.8.0' },
          devices: [
            {
              name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync',
              type: 'cuda',
              index: 0,
              vram_total: 24 * 2 ** 30,
              vram_free: (this.opts.vramFreeGb ?? 20) * 2 ** 30,
              torch_vram_total: 0,
              torch_vram_free: 0,
            },
          ],
        },
        u.pathname,
      );
    if (req.method === 'GET' && u.pathname === '/object_info') {
      const models = this.opts.models ?? DEFAULT_MODELS;
      const field = MODEL_FIELDS;
      const info: Record<string, unknown> = {};
      // The real 0.3.64 specs of the node types we know (their inputs), with this fake's model lists.
      for (const t of types) {
        const spec = structuredClone(REAL_OBJECT_INFO[t]?.input ?? { required: {} });
        const f = field[t];
        if (f) spec.required = { ...spec.required, [f]: [models[t] ?? []] };
        info[t] = { input: spec, output: [], name: t };
      }
      return this.json(res, 200, info, u.pathname);
    }
    if (req.method === 'POST' && u.pathname === '/upload/image') {
      const form = await new Request('http://x/', {
        method: 'POST',
        headers: req.headers as Record<string, string>,
        body: await this.body(req),
      }).formData();
      const file = form.get('image') as File;
      const sub = String(form.get('subfolder') ?? '');
      mkdirSync(path.join(this.dir, 'input', sub), { recursive: true });
      writeFileSync(path.join(this.dir, 'input', sub, file.name), Buffer.from(await file.arrayBuffer()));
      this.received.uploads.push(file.name);
      if (this.opts.hangUpload) return;
      return this.json(res, 200, { name: file.name, subfolder: sub, type: 'input' }, u.pathname);
    }
    if (req.method === 'POST' && u.pathname === '/prompt') {
      const body = JSON.parse((await this.body(req)).toString()) as {
        prompt: PromptState['prompt'];
        client_id: string;
        prompt_id?: string;
      };
      if (this.opts.rejectWith)
        return this.json(res, this.opts.rejectWith.status, this.opts.rejectWith.body, u.pathname);
      for (const [id, n] of Object.entries(body.prompt)) {
        if (!types.includes(n.class_type))
          return this.json(
            res,
            400,
            this.opts.missingNodeShape === 'missing_node_type'
              ? {
                  error: {
                    type: 'missing_node_type',
                    message: `Node '${n.class_type}' not found. The custom node may not be installed.`,
                    details: `Node ID '#${id}'`,
                    extra_info: { node_id: id, class_type: n.class_type },
                  },
                  node_errors: {},
                }
              : {
                  error: {
                    type: 'invalid_prompt',
                    message: `Cannot execute because node ${n.class_type} does not exist.`,
                    details: `Node ID '#${id}'`,
                    extra_info: {},
                  },
                  node_errors: {},
                },
            u.pathname,
          );
      }
      const nodeErrors = this.validate(body.prompt);
      if (Object.keys(nodeErrors).length)
        return this.json(
          res,
          400,
          {
            error: {
              type: 'prompt_outputs_failed_validation',
              message: 'Prompt outputs failed validation',
              details: '',
              extra_info: {},
            },
            node_errors: nodeErrors,
          },
          u.pathname,
        );
      const p: PromptState = {
        id: body.prompt_id ?? randomUUID(),
        clientId: body.client_id,
        prompt: body.prompt,
        status: 'pending',
        interrupted: false,
      };
      this.queue.push(p);
      this.received.prompts.push(p);
      this.maxInFlight = Math.max(this.maxInFlight, this.queueRemaining());
      this.json(res, 200, { prompt_id: p.id, number: this.received.prompts.length - 1, node_errors: {} }, u.pathname);
      this.broadcastStatus();
      void this.pump();
      return;
    }
    if (req.method === 'GET' && u.pathname.startsWith('/history/')) {
      const id = decodeURIComponent(u.pathname.slice('/history/'.length));
      return this.json(res, 200, id in this.history ? { [id]: this.history[id] } : {}, u.pathname);
    }
    if (req.method === 'GET' && u.pathname === '/queue') {
      const row = (p: PromptState) => [0, p.id, p.prompt, { client_id: p.clientId }, []];
      return this.json(
        res,
        200,
        { queue_running: this.running ? [row(this.running)] : [], queue_pending: this.queue.map(row) },
        u.pathname,
      );
    }
    if (req.method === 'POST' && u.pathname === '/queue') {
      const body = JSON.parse((await this.body(req)).toString() || '{}') as { delete?: string[] };
      this.received.deletes.push(body);
      for (const id of body.delete ?? []) {
        const i = this.queue.findIndex((p) => p.id === id);
        if (i >= 0) this.queue.splice(i, 1);
      }
      this.broadcastStatus();
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'POST' && u.pathname === '/interrupt') {
      const raw = (await this.body(req)).toString();
      const body = raw ? (JSON.parse(raw) as { prompt_id?: string }) : {};
      this.received.interrupts.push(body);
      if (this.running && !this.opts.ignoreInterrupt && (!body.prompt_id || body.prompt_id === this.running.id))
        this.running.interrupted = true;
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET' && u.pathname === '/view') {
      // The real route's checks: 400 for '..' or a leading '/', 403 for a subfolder outside the folder.
      const filename = u.searchParams.get('filename') ?? '';
      if (!filename || filename.startsWith('/') || filename.includes('..')) return void res.writeHead(400).end();
      const type = u.searchParams.get('type') ?? 'output';
      if (!['output', 'input', 'temp'].includes(type)) return void res.writeHead(400).end();
      const base = path.join(this.dir, type);
      const folder = path.resolve(base, u.searchParams.get('subfolder') ?? '');
      if (folder !== base && !folder.startsWith(base + path.sep)) return void res.writeHead(403).end();
      this.received.views.push(u.search);
      const file = path.join(folder, path.basename(filename));
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

  /** Validation as execution.validate_inputs does it for the inputs we care about. */
  private validate(prompt: PromptState['prompt']): Record<string, unknown> {
    const models = this.opts.models ?? DEFAULT_MODELS;
    const errors: Record<string, unknown> = {};
    for (const [id, n] of Object.entries(prompt)) {
      const field = MODEL_FIELDS[n.class_type];
      const value = field ? n.inputs[field] : undefined;
      if (field && typeof value === 'string' && !(models[n.class_type] ?? []).includes(value))
        errors[id] = {
          errors: [
            {
              type: 'value_not_in_list',
              message: 'Value not in list',
              details: `${field}: '${value}' not in ${JSON.stringify(models[n.class_type] ?? [])}`,
              extra_info: { input_name: field, input_config: [models[n.class_type] ?? [], {}], received_value: value },
            },
          ],
          dependent_outputs: [],
          class_type: n.class_type,
        };
      if (n.class_type === 'LoadImage' && !existsSync(path.join(this.dir, 'input', String(n.inputs.image))))
        errors[id] = {
          errors: [
            {
              type: 'custom_validation_failed',
              message: 'Custom validation failed for node',
              details: `image - Invalid image file: ${String(n.inputs.image)}`,
              extra_info: { input_name: 'image' },
            },
          ],
          dependent_outputs: [],
          class_type: n.class_type,
        };
    }
    return errors;
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
      p.status = 'done';
      this.running = undefined;
      this.lastNode = undefined;
      this.broadcastStatus();
      void this.pump();
    }
  }

  /** Runs a prompt with the message sequence of execution.py / main.py's prompt_worker. */
  private async execute(p: PromptState): Promise<void> {
    const delay = this.opts.stepDelayMs ?? 5;
    const steps = this.opts.steps ?? 8;
    const wait = () => new Promise((r) => setTimeout(r, delay));
    const messages: [string, unknown][] = [];
    // PromptExecutor.add_message: execution_* go into the history's status messages too.
    const emit = (type: string, data: Record<string, unknown>) => {
      const d = { ...data, prompt_id: p.id };
      if (type.startsWith('execution_')) {
        const withTime = { ...d, timestamp: Date.now() };
        messages.push([type, withTime]);
        this.send(p.clientId, type, withTime);
      } else this.send(p.clientId, type, d);
    };
    const entry = (outputs: Record<string, unknown>, ok: boolean) => ({
      prompt: [0, p.id, p.prompt, { client_id: p.clientId }, []],
      outputs,
      status: { status_str: ok ? 'success' : 'error', completed: ok, messages },
      meta: {},
    });
    const end = async (outputs: Record<string, unknown>, ok: boolean) => {
      await wait();
      this.history[p.id] = entry(outputs, ok); // task_done writes the history ...
      emit('executing', { node: null }); // ... then the end is signalled
    };
    emit('execution_start', {});
    emit('execution_cached', { nodes: [] });
    const outputs: Record<string, unknown> = {};
    const executed: string[] = [];
    for (const [id, node] of Object.entries(p.prompt)) {
      // nodes.before_node_execution(): an interrupt takes effect before the next node starts.
      if (p.interrupted) {
        emit('execution_interrupted', { node_id: id, node_type: node.class_type, executed });
        return end({}, false);
      }
      this.lastNode = id;
      this.send(p.clientId, 'progress_state', {
        prompt_id: p.id,
        nodes: { [id]: { value: 0, max: 1, state: 'running', node_id: id, prompt_id: p.id } },
      });
      emit('executing', { node: id, display_node: id });
      await wait();
      if (this.opts.failNode?.nodeId === id) {
        emit('execution_error', {
          node_id: id,
          node_type: node.class_type,
          executed,
          exception_message: this.opts.failNode.message,
          exception_type: this.opts.failNode.type ?? 'RuntimeError',
          traceback: [],
          current_inputs: {},
          current_outputs: [],
        });
        return end({}, false);
      }
      if (node.class_type === 'KSampler') {
        for (let s = 1; s <= steps; s++) {
          await wait();
          // The progress hook throws when interrupted: the sampler stops mid-way.
          if (p.interrupted) {
            emit('execution_interrupted', { node_id: id, node_type: node.class_type, executed });
            return end({}, false);
          }
          emit('progress', { value: s, max: steps, node: id });
          if (this.opts.dropSocketsAtStep === s) this.dropSockets();
          this.opts.onStep?.(s, this);
          if (p.lost) return;
        }
      }
      if (node.class_type === 'SaveVideo') {
        const prefix = String(node.inputs.filename_prefix ?? 'ComfyUI');
        const sub = path.dirname(prefix) === '.' ? '' : path.dirname(prefix);
        mkdirSync(path.join(this.dir, 'output', sub), { recursive: true });
        let counter = 1;
        while (
          existsSync(
            path.join(this.dir, 'output', sub, `${path.basename(prefix)}_${String(counter).padStart(5, '0')}_.mp4`),
          )
        )
          counter++;
        const name = `${path.basename(prefix)}_${String(counter).padStart(5, '0')}_.mp4`;
        copyFileSync(this.opts.videoFixture, path.join(this.dir, 'output', sub, name));
        const saved = [
          this.opts.outputOverride
            ? { type: 'output', ...this.opts.outputOverride }
            : { filename: name, subfolder: sub, type: 'output' },
        ];
        const shape = this.opts.outputShape ?? 'images-animated';
        const out =
          shape === 'videos'
            ? { videos: saved }
            : shape === 'gifs'
              ? { gifs: saved.map((f) => ({ ...f, format: 'video/h264-mp4' })) }
              : { images: saved, animated: [true] };
        outputs[id] = out;
        emit('executed', { node: id, display_node: id, output: out });
      }
      executed.push(id);
      this.send(p.clientId, 'progress_state', {
        prompt_id: p.id,
        nodes: { [id]: { value: 1, max: 1, state: 'finished', node_id: id, prompt_id: p.id } },
      });
    }
    emit('execution_success', {});
    return end(outputs, true);
  }
}
