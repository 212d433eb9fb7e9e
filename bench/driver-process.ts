/**
 * The load benchmark's driver as a process of its own (bench/load-driver.ts): it says it is ready, then carries
 * out the benchmark's requests one at a time and answers each over Node's IPC channel.
 */
import { driverRequestSchema, serveDriverRequest, type DriverReply } from './load-driver';

if (!process.send) throw new Error('bench/driver-process.ts runs as a child with an IPC channel (startLoadDriver)');
const send = (reply: DriverReply | { kind: 'ready' }) => process.send!(reply);

process.on('message', (raw) => {
  const request = driverRequestSchema.safeParse(raw);
  if (!request.success) {
    send({ kind: 'failed', error: `not a driver request: ${request.error.message}` });
    return;
  }
  serveDriverRequest(request.data).then(send, (err: unknown) => send({ kind: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) }));
});
send({ kind: 'ready' });
