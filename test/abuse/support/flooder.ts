/**
 * The flooding sender, as its own process so its thousand requests a second do not share Wasl's event loop (a
 * real flooder never does). Posts the request bodies it reads as a JSON array on stdin to FLOOD_URL at
 * FLOOD_RATE a second, over at most 200 connections at once (as a provider's webhook sender would: none opens
 * thousands of sockets), and prints one JSON line: each request's HTTP status, in order (599 for a request
 * that got no answer), when each was written to a socket, and the first few errors.
 */
import { Agent, request } from 'node:http';

const url = new URL(process.env.FLOOD_URL!);
const rate = Number(process.env.FLOOD_RATE);
const MAX_SOCKETS = 200;
const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
const errors: string[] = [];
let started = 0;
/**
 * Milliseconds from the start until each request was written to a socket (-1: never). Handing a request to the
 * agent is not sending it: past MAX_SOCKETS it queues until an answer frees a socket, so a slow server paces
 * the flood whatever FLOOD_RATE says.
 */
const writtenMs: number[] = [];

function post(body: unknown, i: number): Promise<number> {
  const payload = Buffer.from(JSON.stringify(body));
  writtenMs[i] = -1;
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 599));
    });
    // 'finish' fires once the body is flushed to a socket, not when it is queued in the agent.
    req.on('finish', () => (writtenMs[i] = Date.now() - started));
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
  started = Date.now();
  const inFlight: Promise<number>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    inFlight.push(post(bodies[i], i));
    // Paced by the clock in ticks of 10 requests, so the offered rate holds whatever the machine's speed.
    const due = started + ((i + 1) * 1000) / rate;
    if (i % 10 === 9 && due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  const sentSeconds = (Date.now() - started) / 1000;
  const statuses = await Promise.all(inFlight);
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ statuses, sentSeconds, answeredSeconds: (Date.now() - started) / 1000, writtenMs, maxSockets: MAX_SOCKETS, errors })}\n`);
}

void main();
