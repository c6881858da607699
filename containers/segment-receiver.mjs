// A stand-in for Segment's HTTP Tracking API in the compose check (containers/compose.ci.yml):
// answers every POST with Segment's 200 {"success":true} and keeps the JSON bodies, which
// GET /received lists. Never used in production.
import { createServer } from 'node:http';

const received = [];
createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/received') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    try {
      received.push({ path: request.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
    } catch {
      response.writeHead(400).end();
    }
  });
}).listen(8080, '0.0.0.0');
