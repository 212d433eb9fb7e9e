/**
 * The flooding sender, as its own process so its thousand requests a second do not share Wasl's event loop (a
 * real flooder never does). Posts the request bodies it reads as a JSON array on stdin to FLOOD_URL at
 * FLOOD_RATE a second, over at most 200 connections at once (as a provider's webhook sender would: none opens
 * thousands of sockets), and prints one JSON line: each request's HTTP status, in order (599 for a request
 * that got no answer), and the first few errors.
 */
import { Agent, request } from 'node:http';

const url = new URL(process.env.FLOOD_URL!);
const rate = Number(process.env.FLOOD_RATE);
const agent = new Agent({ keepAlive: true, maxSockets: 200 });
const errors: string[] = [];

function post(body: unknown): Promise<number> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 599));
    });
    req.on('error', (err) => {
      if (errors.length < 5) errors.push(err.message);
      resolve(599);
    });
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bodies = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
  const started = Date.now();
  const inFlight: Promise<number>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    inFlight.push(post(bodies[i]));
    // Paced by the clock in ticks of 10 requests, so the offered rate holds whatever the machine's speed.
    const due = started + ((i + 1) * 1000) / rate;
    if (i % 10 === 9 && due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  const sentSeconds = (Date.now() - started) / 1000;
  const statuses = await Promise.all(inFlight);
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ statuses, sentSeconds, answeredSeconds: (Date.now() - started) / 1000, errors })}\n`);
}

void main();
