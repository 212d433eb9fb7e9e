import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelDeliveryError } from '../channel-adapter';
import { callSmsProvider } from './provider-http';

// A local HTTP server answering with the scripted status: the provider faked at its HTTP boundary.
let server: Server;
let url: string;
let answer = { status: 200, body: '{"messageId":1}' };
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(status: number): Promise<ChannelDeliveryError> {
  answer = { status, body: '{"message":"no"}' };
  const err: unknown = await callSmsProvider('taqnyat', url, { method: 'POST', headers: {}, body: '{}' }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ChannelDeliveryError);
  return err as ChannelDeliveryError;
}

describe('callSmsProvider', () => {
  test.each([401, 403])('a %i carries its status and is permanent', async (status) => {
    expect(await failure(status)).toMatchObject({ status, retryable: false, retryAfterMs: undefined, message: `taqnyat: HTTP ${status} {"message":"no"}` });
  });

  test.each([
    [400, false],
    [408, true],
    [503, true],
  ])('a %i carries its status (retryable: %s)', async (status, retryable) => {
    expect(await failure(status)).toMatchObject({ status, retryable });
  });

  test('a network error carries no status', async () => {
    const err: unknown = await callSmsProvider('taqnyat', 'http://127.0.0.1:1/send', { method: 'POST', headers: {}, body: '{}' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelDeliveryError);
    expect((err as ChannelDeliveryError).status).toBeUndefined();
    expect((err as ChannelDeliveryError).retryable).toBe(true);
  });

  test('a 2xx returns the body', async () => {
    answer = { status: 200, body: '{"messageId":1}' };
    await expect(callSmsProvider('taqnyat', url, { method: 'POST', headers: {}, body: '{}' })).resolves.toEqual({ status: 200, body: { messageId: 1 } });
  });
});
