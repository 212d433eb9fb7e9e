/**
 * The flooding sender, as its own process so its thousand requests a second do not share Wasl's event loop (a
 * real flooder never does). Posts the request bodies it reads as a JSON array on stdin to FLOOD_URL at FLOOD_RATE a
 * second and prints one JSON line: each request's HTTP status, in order (599 for a connection that failed).
 */
const url = process.env.FLOOD_URL!;
const rate = Number(process.env.FLOOD_RATE);

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bodies = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
  const started = Date.now();
  const inFlight: Promise<number>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    inFlight.push(
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bodies[i]) })
        .then(async (res) => (await res.arrayBuffer(), res.status))
        .catch(() => 599),
    );
    // Paced by the clock in ticks of 10 requests, so the rate holds whatever the machine's speed.
    const due = started + ((i + 1) * 1000) / rate;
    if (i % 10 === 9 && due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  const sentSeconds = (Date.now() - started) / 1000;
  const statuses = await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify({ statuses, sentSeconds, answeredSeconds: (Date.now() - started) / 1000 })}\n`);
}

void main();
