// A tiny static file server with the two things the harness needs and `python3 -m http.server`
// lacks: CORS headers (a web player on another origin must be able to read the ladder) and byte
// ranges. play.mjs uses it for the test page; selftest.sh runs it as a command to stand in for
// Backbeat:
//
//     node static-server.mjs --root DIR [--cors] [--port N]   # prints "http://127.0.0.1:PORT"
//
// Only for tests on 127.0.0.1: no caching, no directory listings, nothing outside --root.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Content types of what a ladder and the test page are made of. */
const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'audio/iso.segment',
  '.mp4': 'audio/mp4',
  '.m4a': 'audio/mp4',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, ETag',
};

/**
 * Parses a single `bytes=` range against a file of `size` bytes; null when absent, 'invalid'
 * when unsatisfiable (multi-range requests are answered with the whole file, as RFC 9110 allows).
 */
function parseRange(header, size) {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  let start;
  let end;
  if (m[1] === '') {
    if (m[2] === '') return 'invalid';
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

/**
 * Starts a server on 127.0.0.1 (port 0 = a free one). `routes` maps exact URL paths to files
 * outside `root` (the page's scripts in node_modules). Resolves to { server, origin }.
 */
export async function startStaticServer({ root, cors = false, port = 0, routes = {} }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const extra = cors ? CORS : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, extra);
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...extra, Allow: 'GET, HEAD, OPTIONS' });
      res.end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400, extra);
      res.end();
      return;
    }
    let file = routes[path];
    if (!file) {
      const rel = normalize(path === '/' ? '/index.html' : path);
      file = join(base, rel);
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403, extra);
        res.end();
        return;
      }
    }
    let info;
    try {
      info = await stat(file);
    } catch {
      info = null;
    }
    if (!info || !info.isFile()) {
      res.writeHead(404, { ...extra, 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const headers = {
      ...extra,
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
      ETag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    };
    const range = parseRange(req.headers.range, info.size);
    if (range === 'invalid') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${info.size}` });
      res.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: info.size - 1 };
    const length = info.size === 0 ? 0 : end - start + 1;
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
    headers['Content-Length'] = String(length);
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

// Command-line use (selftest.sh): serve a directory until killed.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = opt('--root');
  if (!root) {
    console.error('usage: node static-server.mjs --root DIR [--cors] [--port N]');
    process.exit(2);
  }
  const { origin } = await startStaticServer({
    root,
    cors: args.includes('--cors'),
    port: Number(opt('--port') ?? 0),
  });
  console.log(origin);
}
