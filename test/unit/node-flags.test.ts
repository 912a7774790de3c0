/**
 * The app's V8 flags (src/node-flags.ts) are in every launcher of the default layout, from
 * the one list: `npm run start:combined` here, `appScript` (dev, the bench) below, the
 * image and compose in test/ops/docker.test.ts. And a process started without them still gives them to
 * its workflow threads (isolates created after applyNodeFlags).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingNodeFlags, NODE_FLAGS, NODE_FLAGS_LINE } from '../../src/node-flags';

const ROOT = join(__dirname, '../..');

test('a flag counts as given on the command line or in NODE_OPTIONS, by name (another value is the operator\'s choice)', () => {
  expect(NODE_FLAGS.length).toBeGreaterThan(0);
  expect(missingNodeFlags([], '')).toEqual([...NODE_FLAGS]);
  expect(missingNodeFlags([...NODE_FLAGS], '')).toEqual([]);
  expect(missingNodeFlags([], NODE_FLAGS_LINE)).toEqual([]);
  expect(missingNodeFlags(['--import', 'tsx'], `--enable-source-maps ${NODE_FLAGS_LINE}`)).toEqual([]);
  const [first] = NODE_FLAGS;
  const name = first!.split('=')[0]!;
  expect(missingNodeFlags([`${name}=32`], '')).not.toContain(first);
  expect(missingNodeFlags([`${name.replace(/(?<=\w)-/g, '_')}=32`], '')).not.toContain(first);
});

test('this node takes NODE_FLAGS on its command line (a flag it does not know, or a bad value, stops it)', () => {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write("up")'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect({ status: run.status, out: run.stdout, err: run.stderr }).toEqual({ status: 0, out: 'up', err: '' });
});

test('npm run start:combined runs node with NODE_FLAGS', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts['start:combined']).toContain(`node ${NODE_FLAGS.join(' ')} dist/src/main.js`);
});

test('appScript (npm run dev, the bench) runs the compiled entry with NODE_FLAGS', () => {
  // Required here, not imported: it compiles dist/ (scripts/build.ts) on first use.
  const { appScript } = require('../../scripts/stack') as typeof import('../../scripts/stack');
  const [command, args] = appScript('src/main.ts');
  expect(command).toBe(process.execPath);
  expect(args).toEqual([...NODE_FLAGS, join(ROOT, 'dist/src/main.js')]);
});

test('started without the flags, applyNodeFlags gives them to the isolates created afterwards (the workflow threads)', () => {
  // A fresh node without NODE_FLAGS: the main isolate's heap limit, then a worker thread's
  // before and after applyNodeFlags. heap_size_limit counts the young generation (3 semi-spaces).
  const script = `
    const { Worker } = require('node:worker_threads');
    const v8 = require('node:v8');
    const { applyNodeFlags } = require(${JSON.stringify(join(ROOT, 'src/node-flags.ts'))});
    const limit = () => v8.getHeapStatistics().heap_size_limit;
    const thread = () => new Promise((resolve) => {
      const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)", { eval: true });
      w.once('message', (m) => { resolve(m); void w.terminate(); });
    });
    (async () => {
      const before = await thread();
      let warned = null;
      const applied = applyNodeFlags((missing) => { warned = missing; });
      const after = await thread();
      console.log(JSON.stringify({ main: limit(), before, after, applied, warned }));
    })();`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8', cwd: ROOT });
  expect(run.stderr).toBe('');
  const out = JSON.parse(run.stdout) as { main: number; before: number; after: number; applied: string[]; warned: string[] | null };
  expect(out.applied).toEqual([...NODE_FLAGS]);
  expect(out.warned).toEqual([...NODE_FLAGS]);
  expect(out.before).toBe(out.main);
  expect(out.after).toBeLessThan(out.before);
});
