import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import { statusTooltip } from '../../src/vscode/statusFormat';

/** /health of a front door of a Ray cluster (`serve --cluster ray`), as the adapter writes it (2 nodes, 3 workers). */
const frontDoorHealth = {
  status: 'ok',
  backend: 'fastvideo',
  isAi: true,
  modelId: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
  modelProfile: 'fastwan2.2-ti2v-5b',
  modelLoaded: true,
  followsKeyframe: false,
  attentionBackend: null,
  device: 'cuda',
  gpu: { name: 'NVIDIA L40S', memoryFreeMb: 20000, memoryTotalMb: 46068 },
  memory: { rssMb: 900 },
  queueDepth: 3,
  maxQueue: 32,
  runningJobId: 'a1',
  version: '0.1.0',
  outputRoot: '/renders',
  cluster: {
    kind: 'ray',
    address: '10.0.0.1:6379',
    gpusPerWorker: 2,
    nodes: [
      { nodeId: 'n1', ip: '10.0.0.1', alive: true, cpus: 32, gpus: 4 },
      { nodeId: 'n2', ip: '10.0.0.2', alive: true, cpus: 32, gpus: 2 },
      { nodeId: 'n3', ip: '10.0.0.3', alive: false, cpus: 32, gpus: 2 },
    ],
    workers: [
      { name: 'worker-0', state: 'busy', nodeId: 'n1', nodeIp: '10.0.0.1', jobId: 'a1', jobsDone: 4, gpus: 2 },
      { name: 'worker-1', state: 'idle', nodeId: 'n1', nodeIp: '10.0.0.1', jobId: null, jobsDone: 5, gpus: 2 },
      { name: 'worker-2', state: 'restarting', nodeId: 'n2', nodeIp: '10.0.0.2', jobId: null, jobsDone: 1, gpus: 2 },
    ],
    workersReady: 2,
    workersBusy: 1,
  },
};

describe('FastVideo provider: a front door of a Ray cluster', () => {
  let server: Server;
  let endpoint: string;
  before(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/health' ? frontDoorHealth : { error: { code: 'NOT_FOUND', message: 'x' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("shows the cluster's workers, busy ones and live nodes in the status bar tooltip", async () => {
    const h = await new FastVideoProvider({ endpoint }).health();
    assert.equal(h.state, 'ok');
    assert.deepEqual(h.cluster, { workers: 3, ready: 2, busy: 1, nodes: 2 });
    assert.match(
      statusTooltip('fastvideo-local', h),
      /\| Ray cluster \| 3 workers \(1 busy\) on 2 nodes, 1 starting or lost \|/,
    );
  });

  it('says nothing of a cluster for a single adapter', async () => {
    const { cluster: _, ...single } = frontDoorHealth;
    server.removeAllListeners('request');
    server.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(single));
    });
    const h = await new FastVideoProvider({ endpoint }).health();
    assert.equal(h.cluster, undefined);
    assert.doesNotMatch(statusTooltip('fastvideo-local', h), /Ray cluster/);
  });
});
