// The ceiling: a minimal Node `http` server answering recorded responses from memory.
// Run as a child process (pinned like the registry): node --import tsx ceiling-server.ts <manifest.json>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

interface Route {
  path: string;
  status: number;
  headers: Record<string, string>;
  file: string;
}

const manifest = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { port: number; routes: Route[] };
const routes = new Map<string, { status: number; headers: Record<string, string>; body: Buffer }>();
for (const route of manifest.routes) {
  const body = readFileSync(route.file);
  routes.set(route.path, { status: route.status, headers: { ...route.headers, 'content-length': String(body.length) }, body });
}

const server = createServer((req, res) => {
  const route = routes.get(req.url ?? '');
  if (!route) {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
    return;
  }
  res.writeHead(route.status, route.headers);
  res.end(route.body);
});
server.listen(manifest.port, '127.0.0.1', () => process.stdout.write('READY\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
